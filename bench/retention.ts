// `npm run bench:retention`: do intake and allocation stay as cheap with 10 million old rows in
// the tables as without, and how fast does retention prune them while intake runs?
//
// One sitting, one fresh database, the API and a worker in this process:
// 1. a sale on the empty database: `--requests` booking requests submitted by `--clients`
//    clients with no worker running (intake alone: latency of each 202), then a worker started
//    to decide the backlog (allocation alone: milliseconds per decided request);
// 2. `--rows` old finished rows seeded in single INSERT ... SELECT statements (80 % decided
//    booking requests, 10 % relayed outbox messages, 10 % delivered webhook deliveries), then
//    VACUUM ANALYZE, and the same sale again: the ratios loaded / empty are the result;
// 3. retention prunes (batches of RETENTION_BATCH_SIZE, no pause) while a third sale's intake
//    runs, for at most `--prune-seconds`: rows per second, and that sale's intake latency.
// The database is dropped at the end.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createApp } from '../api/app.js';
import { createApiDeps } from '../api/index.js';
import { loadConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { startWorker } from '../worker/index.js';
import { PRUNE_TARGETS, pruneBatch } from '../worker/retention/index.js';
import { deleteKeys, freshDatabase, seedUsers } from './setup.js';
import { percentile, round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    requests: { type: 'string', default: '4000' },
    clients: { type: 'string', default: '40' },
    'prune-seconds': { type: 'string', default: '180' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'database-name': { type: 'string', default: 'evently_bench_retention' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    json: { type: 'string' },
  },
});
const rows = Number(args.rows);
const requests = Number(args.requests);
const clients = Number(args.clients);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const db = await freshDatabase(args['database-url']!, args['database-name']!);
  const jwtSecret = 'bench-retention-secret-0123456789abcdef';
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: args['redis-url'],
    REDIS_PREFIX: `evently-bench-retention-${process.pid}`,
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'warn',
    RATE_LIMITS_ENABLED: 'false',
    WEBHOOKS_ENABLED: 'false',
    RECONCILE_INTERVAL_MS: '600000',
    RECONCILE_GRACE_MS: '600000',
  });
  const logger = createLogger(config.logLevel, 'bench');
  const deps = await createApiDeps(config, logger);
  const server = http.createServer(createApp(deps).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const [admin] = await seedUsers(db, 1, jwtSecret, 'admin');
  const buyers = await seedUsers(db, clients, jwtSecret);

  /** An event on sale with seats for half the requests: half confirmed, half rejected. */
  const newEvent = async () => {
    const res = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Retention bench',
        venue: 'Hall',
        startsAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
        capacity: Math.ceil(requests / 2),
      }),
    });
    if (res.status !== 201) throw new Error(`create event: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  };

  /** `requests` submissions by `clients` closed-loop clients; each 202's latency. */
  const intake = async (eventId: string) => {
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      buyers.map(async (buyer, c) => {
        for (let i = c; i < requests; i += clients) {
          const t = performance.now();
          const res = await fetch(`${base}/events/${eventId}/bookings`, {
            method: 'POST',
            headers: { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' },
            body: '{"quantity":1}',
          });
          await res.arrayBuffer();
          if (res.status !== 202) throw new Error(`submit: ${res.status}`);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      p50Ms: round(percentile(latencies, 50), 2),
      p95Ms: round(percentile(latencies, 95), 2),
      perSec: round(requests / seconds, 0),
    };
  };

  /** Starts a worker on the event's backlog; milliseconds of allocation per decided request. */
  const allocation = async (eventId: string) => {
    const worker = await startWorker(config, logger);
    try {
      for (;;) {
        const { rows: left } = await db.pool.query(
          `SELECT count(*)::int AS n FROM booking_requests WHERE event_id = $1 AND status = 'queued'`,
          [eventId],
        );
        if (left[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.close();
    }
    // A step decides up to ALLOCATION_BATCH_SIZE requests in one transaction (one decided_at):
    // the steps after the first, over the requests they decided.
    const { rows: span } = await db.pool.query(
      `WITH d AS (SELECT decided_at FROM booking_requests WHERE event_id = $1)
       SELECT EXTRACT(EPOCH FROM max(decided_at) - min(decided_at)) * 1000 AS ms,
              count(*) FILTER (WHERE decided_at > (SELECT min(decided_at) FROM d))::int AS n,
              count(DISTINCT decided_at)::int AS steps
         FROM d`,
      [eventId],
    );
    return {
      msPerRequest: round(Number(span[0].ms) / Math.max(1, span[0].n), 3),
      steps: span[0].steps as number,
    };
  };

  const sale = async (label: string) => {
    const eventId = await newEvent();
    const intakeResult = await intake(eventId);
    const allocationResult = await allocation(eventId);
    log(`${label}: intake ${JSON.stringify(intakeResult)}, allocation ${JSON.stringify(allocationResult)}`);
    return { intake: intakeResult, allocation: allocationResult };
  };

  try {
    const empty = await sale('empty database');

    const started = performance.now();
    const archiveEvent = await newEvent();
    const requestRows = Math.round(rows * 0.8);
    const outboxRows = Math.round(rows * 0.1);
    const chunk = 1_000_000;
    for (let from = 1; from <= requestRows; from += chunk) {
      const to = Math.min(requestRows, from + chunk - 1);
      // A quarter cancellation requests, the rest rejected: all finished long ago, all prunable.
      await db.pool.query(
        `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, reason, queued_at, decided_at)
         SELECT ($1::uuid[])[1 + i % cardinality($1::uuid[])], $2, CASE WHEN i % 4 = 0 THEN 'cancel' ELSE 'book' END,
                '{"quantity": 1}', 'seed', CASE WHEN i % 4 = 0 THEN 'cancelled' ELSE 'rejected' END,
                CASE WHEN i % 4 = 0 THEN NULL ELSE 'sold_out' END,
                now() - interval '200 days' + make_interval(secs => i / 100.0),
                now() - interval '200 days' + make_interval(secs => i / 100.0)
           FROM generate_series($3::int, $4::int) i`,
        [buyers.map((b) => b.id), archiveEvent, from, to],
      );
      log(`seeded booking requests ${to}/${requestRows}`);
    }
    const { rows: endpoint } = await db.pool.query(
      `INSERT INTO webhook_endpoints (user_id, url, event_types, secrets)
       VALUES ($1, 'https://example.test/hook', ARRAY['booking.confirmed'], '[]') RETURNING id`,
      [admin!.id],
    );
    await db.pool.query(
      `INSERT INTO webhook_outbox (message_id, type, event_id, payload, created_at, relayed_at)
       SELECT 'seed-' || i, 'booking.confirmed', $1, '{"type": "booking.confirmed"}',
              now() - interval '100 days', now() - interval '100 days' + make_interval(secs => i / 100.0)
         FROM generate_series(1, $2::int) i`,
      [archiveEvent, outboxRows],
    );
    await db.pool.query(
      `INSERT INTO webhook_deliveries (endpoint_id, outbox_id, ordering_key, status, attempts, delivered_at,
                                       created_at, updated_at)
       SELECT $1, o.id, 'seed', 'delivered', 1, o.relayed_at, o.relayed_at, o.relayed_at
         FROM webhook_outbox o WHERE o.message_id LIKE 'seed-%'`,
      [endpoint[0].id],
    );
    const seedSeconds = (performance.now() - started) / 1000;
    log(`seeded ${rows} rows in ${round(seedSeconds, 0)} s; VACUUM ANALYZE`);
    await db.pool.query('VACUUM ANALYZE');
    const { rows: size } = await db.pool.query(
      `SELECT pg_size_pretty(pg_database_size(current_database())) AS size`,
    );

    const loaded = await sale(`with ${rows} old rows`);

    // Pruning while a sale's intake runs; the sale's requests are young and stay.
    const deadline = Date.now() + Number(args['prune-seconds']) * 1000;
    let pruned = 0;
    let pruning = true;
    const pruneStarted = performance.now();
    const pruner = (async () => {
      for (const target of PRUNE_TARGETS) {
        let after = null;
        for (;;) {
          if (Date.now() > deadline) return;
          const batch = await pruneBatch(deps.sequelize, target, 30, config.retention.batchSize, after);
          pruned += batch.pruned;
          if (batch.scanned < config.retention.batchSize || !batch.next) break;
          after = batch.next;
        }
      }
    })().finally(() => {
      pruning = false;
    });
    const duringEvent = await newEvent();
    const duringIntake = await intake(duringEvent);
    const prunedDuringIntake = pruned;
    const stillPruning = pruning;
    await pruner;
    const pruneSeconds = (performance.now() - pruneStarted) / 1000;
    log(
      `while pruning: intake ${JSON.stringify(duringIntake)}; pruned ${pruned} rows in ${round(pruneSeconds, 1)} s`,
    );

    const ratio = (a: number, b: number) => round(a / b, 2);
    const result = {
      oldRows: rows,
      databaseSize: size[0].size,
      seedSeconds: round(seedSeconds, 0),
      requestsPerSale: requests,
      clients,
      empty,
      loaded,
      ratios: {
        intakeP50: ratio(loaded.intake.p50Ms, empty.intake.p50Ms),
        intakeP95: ratio(loaded.intake.p95Ms, empty.intake.p95Ms),
        intakePerSec: ratio(loaded.intake.perSec, empty.intake.perSec),
        allocationMsPerRequest: ratio(loaded.allocation.msPerRequest, empty.allocation.msPerRequest),
      },
      pruning: {
        batchSize: config.retention.batchSize,
        rowsPruned: pruned,
        seconds: round(pruneSeconds, 1),
        rowsPerSec: round(pruned / pruneSeconds, 0),
        finished: pruned >= rows,
        intakeWhilePruning: {
          ...duringIntake,
          prunedMeanwhile: prunedDuringIntake,
          stillPruningAtEnd: stillPruning,
        },
      },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (args.json) (await import('node:fs')).writeFileSync(args.json, JSON.stringify(result, null, 2));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await deps.close();
    await db.pool.end();
    await deleteKeys(args['redis-url']!, config.redisPrefix);
    const admin = new URL(args['database-url']!);
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${args['database-name']} WITH (FORCE)`);
    await client.end();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(String(err?.stack ?? err));
    process.exit(1);
  },
);
