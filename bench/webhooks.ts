// `npm run bench:webhooks`: webhook delivery throughput to a local receiver (deliveries/s),
// outbox to 2xx, through the real relay and delivery worker processes.
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WebhookReceiver } from '../test/support/webhook-receiver.js';
import { cpuSeconds, freePort, type Role, startRole, stopRole } from './cluster.js';
import { deleteKeys, freshDatabase, seedUsers } from './setup.js';
import { round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '20' },
    // Subjects the messages are spread over (ordering keys): one per message by default, as in a
    // flash sale where every purchase is its own subject.
    subjects: { type: 'string' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    // The run drops and re-creates this database: runs that may overlap need names of their own.
    database: { type: 'string', default: 'evently_bench_webhooks' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const messages = Number(args.messages);
const subjects = Number(args.subjects ?? args.messages);
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(args.database!)) throw new Error('--database is a lower-case SQL name');

const db = await freshDatabase(args['database-url']!, args.database!);
const receiver = await new WebhookReceiver().start();
const jwtSecret = randomBytes(32).toString('hex');
const port = await freePort();
const prefix = `bench-wh-${randomUUID().slice(0, 8)}`;
const env = {
  NODE_ENV: 'development',
  DATABASE_URL: db.url,
  REDIS_URL: args['redis-url']!,
  REDIS_PREFIX: prefix,
  JWT_SECRET: jwtSecret,
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  WEBHOOK_ALLOW_PRIVATE: new URL(receiver.baseUrl).host, // 127.0.0.1:<its port> only
  WEBHOOK_CONCURRENCY: args.concurrency!,
  WORKER_METRICS_PORT: '0',
};
const roles: Role[] = [];
const unique = () => new Set(receiver.at('/bench').map((a) => a.webhookId)).size;
try {
  roles.push(await startRole('api', 'api', env, `http://127.0.0.1:${port}/health/live`));
  const [partner] = await seedUsers(db, 1, jwtSecret, 'partner');
  const res = await fetch(`http://127.0.0.1:${port}/webhook-endpoints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${partner!.token}` },
    body: JSON.stringify({ url: `${receiver.baseUrl}/bench`, eventTypes: ['booking.confirmed'] }),
  });
  if (res.status !== 201) throw new Error(`register endpoint: ${res.status}`);
  const workers: Role[] = [];
  for (let i = 0; i < Number(args.workers); i++) {
    workers.push(await startRole(`worker${i}`, 'worker', { ...env, LOG_LEVEL: 'info' }, '"worker started"'));
  }
  roles.push(...workers);
  const cpuBefore = workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid), 0);
  // The outbox as the allocator would leave it after a flash sale: one message per outcome,
  // committed while the workers run (so start-up is not counted).
  const started = performance.now();
  await db.pool.query(
    `INSERT INTO webhook_outbox (message_id, type, user_id, ordering_key, payload)
     SELECT 'msg_' || gen_random_uuid(), 'booking.confirmed', $1, 'subject-' || (i % $3),
            jsonb_build_object('type', 'booking.confirmed', 'timestamp', now(),
                               'data', jsonb_build_object('bookingRequest', jsonb_build_object('id', gen_random_uuid())))
       FROM generate_series(1, $2) AS i`,
    [partner!.id, messages, subjects],
  );
  const deadline = Date.now() + 300_000;
  while (unique() < messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  const cpu = workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid), 0) - cpuBefore;
  const received = unique();
  process.stdout.write(
    `messages ${messages} over ${subjects} subjects, received ${received} (${receiver.arrivals.length} arrivals) ` +
      `in ${round(seconds, 2)} s from the outbox commit: ${round(received / seconds, 0)} deliveries/s ` +
      `with ${args.workers} worker(s) x concurrency ${args.concurrency}; worker CPU ` +
      `${round((cpu * 1000) / Math.max(received, 1), 3)} ms per delivery; ${receiver.connections} TCP connections\n`,
  );
} finally {
  await Promise.all(roles.map(stopRole));
  await receiver.stop();
  await db.pool.end();
  await deleteKeys(args['redis-url']!, prefix);
}
