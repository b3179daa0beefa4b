// `npm run bench:ceilings`: the ceilings the booking pipeline runs under on this machine, measured
// in the same sitting as `npm run bench` so the two can be compared as ratios.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    seconds: { type: 'string', default: '10' },
    jobs: { type: 'string', default: '20000' },
    json: { type: 'string' },
  },
});

/**
 * One booking decision per transaction, from one client, with pgbench: lock the event row,
 * bump its counter, insert a booking, update the request, insert an outbox row. Scratch
 * tables of the same shape in their own schema, dropped afterwards.
 */
function pgbenchOneBookingPerTransaction(databaseUrl: string, seconds: number): number {
  const url = new URL(databaseUrl);
  const psql = (sql: string) =>
    execFileSync('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qc', sql], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  psql(`DROP SCHEMA IF EXISTS ceiling CASCADE; CREATE SCHEMA ceiling;
    CREATE TABLE ceiling.events (id int PRIMARY KEY, booked int NOT NULL, capacity int NOT NULL, CHECK (booked <= capacity));
    CREATE TABLE ceiling.requests (id bigint PRIMARY KEY, status text NOT NULL);
    CREATE TABLE ceiling.bookings (id bigserial PRIMARY KEY, event_id int NOT NULL, request_id bigint NOT NULL UNIQUE);
    CREATE TABLE ceiling.outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL);
    INSERT INTO ceiling.events VALUES (1, 0, 2000000000);
    INSERT INTO ceiling.requests SELECT g, 'queued' FROM generate_series(1, 1000000) g;`);
  const dir = mkdtempSync(path.join(tmpdir(), 'ceiling-'));
  const script = path.join(dir, 'booking.sql');
  writeFileSync(
    script,
    `\\set r random(1, 1000000)
BEGIN;
SELECT booked FROM ceiling.events WHERE id = 1 FOR NO KEY UPDATE;
UPDATE ceiling.events SET booked = booked + 1 WHERE id = 1;
INSERT INTO ceiling.bookings (event_id, request_id) VALUES (1, :r) ON CONFLICT DO NOTHING;
UPDATE ceiling.requests SET status = 'confirmed' WHERE id = :r;
INSERT INTO ceiling.outbox (payload) VALUES ('{"type": "booking.confirmed"}');
COMMIT;
`,
  );
  const out = execFileSync(
    'pgbench',
    [
      '-n',
      '-c',
      '1',
      '-T',
      String(seconds),
      '-f',
      script,
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      url.username,
      url.pathname.slice(1),
    ],
    { encoding: 'utf8' },
  );
  psql('DROP SCHEMA ceiling CASCADE');
  return Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? 0);
}

/** BullMQ alone: adds per second from 200 concurrent callers. */
async function bullmqAdds(redisUrl: string, jobs: number, prefix: string): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('ceiling-adds', { connection, prefix });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < jobs) {
        next += 1;
        await queue.add('noop', {}, { jobId: randomUUID(), removeOnComplete: true });
      }
    }),
  );
  const rate = jobs / ((performance.now() - started) / 1000);
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  return rate;
}

/** BullMQ alone: no-op jobs drained per second from one queue at concurrency 1. */
async function bullmqDrain(redisUrl: string, jobs: number, prefix: string): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('ceiling-drain', { connection, prefix });
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, jobs - i) }, () => ({
        name: 'noop',
        data: {},
        opts: { removeOnComplete: true },
      })),
    );
  }
  let done = 0;
  const started = performance.now();
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker('ceiling-drain', async () => undefined, { connection, prefix, concurrency: 1 });
    worker.on('completed', () => {
      done += 1;
      if (done === jobs) void worker.close().then(resolve);
    });
  });
  await finished;
  const rate = jobs / ((performance.now() - started) / 1000);
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  return rate;
}

async function main() {
  const prefix = `ceiling-${randomUUID().slice(0, 8)}`;
  const jobs = Number(args.jobs);
  const figures = {
    pgbenchBookingTps: round(pgbenchOneBookingPerTransaction(args['database-url']!, Number(args.seconds)), 0),
    bullmqAddsPerSec: round(await bullmqAdds(args['redis-url']!, jobs, prefix), 0),
    bullmqNoopDrainPerSec: round(await bullmqDrain(args['redis-url']!, jobs, prefix), 0),
  };
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(24)} ${value}\n`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify(figures, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
