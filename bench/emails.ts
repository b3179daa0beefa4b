// `npm run bench:emails`: attendee emails per second from one worker process to a local SMTP
// server, outbox to 250, through the real relay and email Worker; with `--outage-seconds S`, the
// server refuses connections for the first S seconds and the run says how long after it came
// back the last email arrived.
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SmtpReceiver } from '../test/support/smtp-receiver.js';
import { cpuSeconds, freePort, type Role, startRole, stopRole } from './cluster.js';
import { freshDatabase, seedUsers } from './setup.js';
import { round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    emails: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '5' },
    'outage-seconds': { type: 'string', default: '0' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const emails = Number(args.emails);
const outageMs = Number(args['outage-seconds']) * 1000;

const db = await freshDatabase(args['database-url']!, 'evently_bench_emails');
const receiver = new SmtpReceiver();
receiver.port = await freePort();
const env = {
  NODE_ENV: 'development',
  DATABASE_URL: db.url,
  REDIS_URL: args['redis-url']!,
  REDIS_PREFIX: `bench-mail-${randomUUID().slice(0, 8)}`,
  JWT_SECRET: randomBytes(32).toString('hex'),
  LOG_LEVEL: 'warn',
  WORKER_METRICS_PORT: '0',
  SMTP_URL: receiver.url,
  MAIL_FROM: 'Evently <tickets@evently.test>',
  MAIL_CONCURRENCY: args.concurrency!,
};
const roles: Role[] = [];
try {
  // The outbox as a flash sale leaves it: one booking.confirmed per buyer, each buyer's emails on.
  const users = await seedUsers(db, emails, env.JWT_SECRET);
  const {
    rows: [event],
  } = await db.pool.query(
    `INSERT INTO events (name, venue, starts_at, capacity, time_zone)
     VALUES ('Bench Night', 'Bench Hall', now() + interval '30 days', $1, 'Europe/Berlin') RETURNING id`,
    [emails],
  );
  await db.pool.query(
    `INSERT INTO webhook_outbox (message_id, type, event_id, user_id, payload, audience)
     SELECT 'msg_' || gen_random_uuid(), 'booking.confirmed', $1, u,
            jsonb_build_object('type', 'booking.confirmed', 'timestamp', now(), 'data', jsonb_build_object(
              'eventId', $1::uuid, 'bookingRequest', jsonb_build_object('id', gen_random_uuid(), 'status', 'confirmed'),
              'booking', jsonb_build_object('id', gen_random_uuid(), 'status', 'confirmed', 'quantity', 2, 'seats', null))),
            'owner'
       FROM unnest($2::uuid[]) AS u`,
    [event.id, users.map((u) => u.id)],
  );
  if (outageMs === 0) await receiver.start();
  const started = performance.now();
  const worker = await startRole('worker0', 'worker', { ...env, LOG_LEVEL: 'info' }, '"worker started"');
  roles.push(worker);
  // From here on the worker's CPU is the emails' (its start-up is not counted in CPU per email).
  const cpuAtStart = cpuSeconds(worker.child.pid);
  const sending = performance.now();
  let back = started;
  if (outageMs > 0) {
    await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (performance.now() - started))));
    await receiver.start();
    back = performance.now();
  }
  const deadline = Date.now() + 600_000;
  const arrivedIds = () => new Set(receiver.accepted.map((e) => e.messageId)).size;
  while (arrivedIds() < emails && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const done = performance.now();
  const workerCpuSeconds = cpuSeconds(worker.child.pid) - cpuAtStart;
  const {
    rows: [counts],
  } = await db.pool.query(
    `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, max(attempts)::int AS "maxAttempts"
       FROM email_notifications`,
  );
  const seconds = (done - started) / 1000;
  const summary = {
    emails,
    accepted: receiver.accepted.length,
    distinctMessageIds: arrivedIds(),
    sentInDatabase: counts.sent,
    concurrency: Number(args.concurrency),
    wallSeconds: round(seconds, 2),
    emailsPerSecond: round(arrivedIds() / seconds, 0),
    // Without the worker's start-up (tsx compiling, connecting): the sending rate itself.
    sendingSeconds: round((done - sending) / 1000, 2),
    emailsPerSecondSending: round(arrivedIds() / ((done - sending) / 1000), 0),
    workerCpuMsPerEmail: round((workerCpuSeconds * 1000) / arrivedIds(), 2),
    outageSeconds: outageMs / 1000,
    deliveredSecondsAfterServerBack: outageMs > 0 ? round((done - back) / 1000, 2) : null,
    maxAttempts: counts.maxAttempts,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await Promise.all(roles.map(stopRole));
  await receiver.stop();
  await db.pool.end();
}
