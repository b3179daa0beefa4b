// `npm run bench:webhooks`: webhook delivery throughput to a local receiver (deliveries/s),
// outbox to 2xx, through the real relay and delivery worker processes.
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WebhookReceiver } from '../test/support/webhook-receiver.js';
import { freePort, type Role, startRole, stopRole } from './cluster.js';
import { freshDatabase, seedUsers } from './setup.js';
import { round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '20' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const messages = Number(args.messages);

const db = await freshDatabase(args['database-url']!, 'evently_bench_webhooks');
const receiver = await new WebhookReceiver().start();
const jwtSecret = randomBytes(32).toString('hex');
const port = await freePort();
const env = {
  NODE_ENV: 'development',
  DATABASE_URL: db.url,
  REDIS_URL: args['redis-url']!,
  REDIS_PREFIX: `bench-wh-${randomUUID().slice(0, 8)}`,
  JWT_SECRET: jwtSecret,
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  WEBHOOK_ALLOW_PRIVATE: new URL(receiver.baseUrl).host, // 127.0.0.1:<its port> only
  WEBHOOK_CONCURRENCY: args.concurrency!,
  WORKER_METRICS_PORT: '0',
};
const roles: Role[] = [];
try {
  roles.push(await startRole('api', 'api', env, `http://127.0.0.1:${port}/health/live`));
  const [partner] = await seedUsers(db, 1, jwtSecret, 'partner');
  const res = await fetch(`http://127.0.0.1:${port}/webhook-endpoints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${partner!.token}` },
    body: JSON.stringify({ url: `${receiver.baseUrl}/bench`, eventTypes: ['booking.confirmed'] }),
  });
  if (res.status !== 201) throw new Error(`register endpoint: ${res.status}`);
  // The outbox as the allocator would leave it after a flash sale: one message per outcome.
  await db.pool.query(
    `INSERT INTO webhook_outbox (message_id, type, user_id, payload)
     SELECT 'msg_' || gen_random_uuid(), 'booking.confirmed', $1,
            jsonb_build_object('type', 'booking.confirmed', 'timestamp', now(),
                               'data', jsonb_build_object('bookingRequest', jsonb_build_object('id', gen_random_uuid())))
       FROM generate_series(1, $2)`,
    [partner!.id, messages],
  );
  const started = performance.now();
  for (let i = 0; i < Number(args.workers); i++) {
    roles.push(await startRole(`worker${i}`, 'worker', { ...env, LOG_LEVEL: 'info' }, '"worker started"'));
  }
  const deadline = Date.now() + 300_000;
  while (new Set(receiver.at('/bench').map((a) => a.webhookId)).size < messages && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  const received = new Set(receiver.at('/bench').map((a) => a.webhookId)).size;
  process.stdout.write(
    `messages ${messages}, received ${received}, ${round(seconds, 2)} s (incl. worker start-up): ` +
      `${round(received / seconds, 0)} deliveries/s with ${args.workers} worker(s) x concurrency ${args.concurrency}\n`,
  );
} finally {
  await Promise.all(roles.map(stopRole));
  await receiver.stop();
  await db.pool.end();
}
