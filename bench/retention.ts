// `npm run bench:retention`: do intake and allocation stay as cheap with 10 million old rows in
// the tables as without, and how fast does retention prune them while intake runs?
//
// One sitting, two databases, the API and a worker in this process. A before/after design on a
// shared machine measures the machine's load as much as the rows (seeding takes a quarter of an
// hour), so the two are compared side by side instead:
// 1. "empty" is created, migrated and given the users; "loaded" is a copy of it (same schema,
//    users and settings), then gets `--rows` old finished rows in single INSERT ... SELECT
//    statements (80 % decided booking requests, 10 % relayed outbox messages, 10 % delivered
//    webhook deliveries); both are VACUUM ANALYZEd;
// 2. `--rounds` rounds of one sale on each, alternating (empty, loaded, empty, loaded, ...), so
//    both see the same load: `--requests` booking requests submitted by `--clients` clients with
//    no worker running (intake alone: latency of each 202), then a worker started to decide the
//    backlog (allocation alone: milliseconds per decided request); and, for each stage, the
//    buffer accesses per request, which the load does not move. The ratios loaded / empty of
//    the medians over the rounds are the result;
// 3. retention prunes the loaded database (batches of RETENTION_BATCH_SIZE, no pause) while a
//    sale's intake runs there, for at most `--prune-seconds`: rows per second, and that intake.
// Each side has its own REDIS_PREFIX; both databases and their keys are dropped at the end.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { type Config, loadConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { PRUNE_TARGETS, pruneBatch } from '../worker/retention/index.js';
import { seedOldRows } from './retention-seed.js';
import {
  intake,
  newEvent,
  type SaleFigures,
  type SaleShape,
  type Side,
  sale,
  withApi,
} from './retention-side.js';
import { deleteKeys, freshDatabase, seedUsers } from './setup.js';
import { round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '4000' },
    clients: { type: 'string', default: '40' },
    'prune-seconds': { type: 'string', default: '180' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'database-name': { type: 'string', default: 'evently_bench_ret' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    json: { type: 'string' },
  },
});
const rows = Number(args.rows);
const rounds = Number(args.rounds);
const requests = Number(args.requests);
const clients = Number(args.clients);
const names = { empty: `${args['database-name']}_empty`, loaded: `${args['database-name']}_loaded` };
const jwtSecret = 'bench-retention-secret-0123456789abcdef';
const log = (line: string) => process.stderr.write(`${line}\n`);

function urlOf(name: string): string {
  const url = new URL(args['database-url']!);
  url.pathname = `/${name}`;
  return url.toString();
}

function configOf(side: Side['name']): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: urlOf(names[side]),
    REDIS_URL: args['redis-url'],
    REDIS_PREFIX: `evently-bench-retention-${process.pid}-${side}`,
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'warn',
    RATE_LIMITS_ENABLED: 'false',
    WEBHOOKS_ENABLED: 'false',
    RECONCILE_INTERVAL_MS: '600000',
    RECONCILE_GRACE_MS: '600000',
    // The worker's own rounds never start during a sale; the bench prunes in step 3.
    RETENTION_INTERVAL_MS: '86400000',
    WORKER_METRICS_PORT: '0',
  });
}

/** Retention's batches (no pause) on the loaded side while a sale's intake runs there. */
async function pruneDuringIntake(side: Side, shape: SaleShape, logger: ReturnType<typeof createLogger>) {
  return withApi(side, logger, async (api) => {
    const { batchSize } = side.config.retention;
    const deadline = Date.now() + Number(args['prune-seconds']) * 1000;
    let pruned = 0;
    let pruning = true;
    const started = performance.now();
    const pruner = (async () => {
      for (const target of PRUNE_TARGETS) {
        let after = null;
        for (;;) {
          if (Date.now() > deadline) return;
          const batch = await pruneBatch(api.deps.sequelize, target, 30, batchSize, after);
          pruned += batch.pruned;
          if (batch.scanned < batchSize || !batch.next) break;
          after = batch.next;
        }
      }
    })().finally(() => {
      pruning = false;
    });
    // The sale's requests are young and stay.
    const duringIntake = await intake(api, shape, await newEvent(api, shape));
    const prunedDuringIntake = pruned;
    const stillPruning = pruning;
    await pruner;
    const seconds = (performance.now() - started) / 1000;
    log(
      `while pruning: intake ${JSON.stringify(duringIntake)}; pruned ${pruned} rows in ${round(seconds, 1)} s`,
    );
    return {
      batchSize,
      rowsPruned: pruned,
      seconds: round(seconds, 1),
      rowsPerSec: round(pruned / seconds, 0),
      finished: pruned >= rows,
      intakeWhilePruning: {
        ...duringIntake,
        prunedMeanwhile: prunedDuringIntake,
        stillPruningAtEnd: stillPruning,
      },
    };
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return round(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, 3);
};

/** Each figure's median over the rounds. */
function medians(sales: SaleFigures[]) {
  const of = <S extends 'intake' | 'allocation'>(stage: S, key: keyof SaleFigures[S]) =>
    median(sales.map((s) => s[stage][key] as number));
  return {
    intake: {
      p50Ms: of('intake', 'p50Ms'),
      p95Ms: of('intake', 'p95Ms'),
      perSec: of('intake', 'perSec'),
      blocksPerRequest: of('intake', 'blocksPerRequest'),
      readsPerRequest: of('intake', 'readsPerRequest'),
    },
    allocation: {
      msPerRequest: of('allocation', 'msPerRequest'),
      blocksPerRequest: of('allocation', 'blocksPerRequest'),
      readsPerRequest: of('allocation', 'readsPerRequest'),
    },
  };
}

async function dropDatabases(admin: pg.Pool) {
  for (const name of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function main() {
  const startedAt = new Date().toISOString();
  const admin = new pg.Pool({ connectionString: urlOf('postgres'), max: 1 });
  const configs = { empty: configOf('empty'), loaded: configOf('loaded') };
  const logger = createLogger(configs.empty.logLevel, 'bench');
  const sides: Side[] = [];
  try {
    // The loaded database starts as a copy of the empty one, users included, so the same tokens
    // serve both (a template must have no connections while it is copied).
    const template = await freshDatabase(args['database-url']!, names.empty);
    const [adminUser] = await seedUsers(template, 1, jwtSecret, 'admin');
    const buyers = await seedUsers(template, clients, jwtSecret);
    await template.pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${names.loaded} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${names.loaded} TEMPLATE ${names.empty}`);
    for (const name of ['empty', 'loaded'] as const) {
      const url = urlOf(names[name]);
      sides.push({
        name,
        db: { url, pool: new pg.Pool({ connectionString: url, max: 2 }) },
        config: configs[name],
      });
    }
    const [empty, loaded] = sides as [Side, Side];
    const shape: SaleShape = { requests, buyers, adminToken: adminUser!.token };

    const seedStarted = performance.now();
    const archiveEvent = await withApi(loaded, logger, (api) => newEvent(api, shape));
    await seedOldRows(loaded.db, { rows, eventId: archiveEvent, userIds: buyers.map((b) => b.id) }, log);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`seeded ${rows} rows in ${round(seedSeconds, 0)} s; VACUUM ANALYZE, CHECKPOINT`);
    for (const side of sides) {
      await side.db.pool.query('VACUUM ANALYZE');
      // The connections that seeded and vacuumed end, so their block counts are published now,
      // not in a round's; the new one only reads the counts (blockCounts).
      await side.db.pool.end();
      side.db.pool = new pg.Pool({ connectionString: side.db.url, max: 1 });
    }
    // The seeding's dirty buffers written out now, not during the first rounds.
    await admin.query('CHECKPOINT');
    const { rows: size } = await admin.query(`SELECT pg_size_pretty(pg_database_size($1)) AS size`, [
      names.loaded,
    ]);

    const results: { round: number; empty: SaleFigures; loaded: SaleFigures }[] = [];
    for (let r = 1; r <= rounds; r += 1) {
      const emptySale = await sale(empty, admin, logger, shape);
      log(`round ${r} empty: ${JSON.stringify(emptySale)}`);
      const loadedSale = await sale(loaded, admin, logger, shape);
      log(`round ${r} loaded: ${JSON.stringify(loadedSale)}`);
      results.push({ round: r, empty: emptySale, loaded: loadedSale });
    }
    const middle = {
      empty: medians(results.map((r) => r.empty)),
      loaded: medians(results.map((r) => r.loaded)),
    };
    const ratio = (a: number, b: number) => round(a / b, 2);
    const pruning = await pruneDuringIntake(loaded, shape, logger);

    const result = {
      startedAt,
      finishedAt: new Date().toISOString(),
      loadAverageAtEnd: loadavg().map((l) => round(l, 1)),
      oldRows: rows,
      loadedDatabaseSize: size[0].size,
      seedSeconds: round(seedSeconds, 0),
      requestsPerSale: requests,
      clients,
      rounds: results,
      medians: middle,
      ratios: {
        intakeP50: ratio(middle.loaded.intake.p50Ms, middle.empty.intake.p50Ms),
        intakeP95: ratio(middle.loaded.intake.p95Ms, middle.empty.intake.p95Ms),
        intakePerSec: ratio(middle.loaded.intake.perSec, middle.empty.intake.perSec),
        intakeBlocksPerRequest: ratio(
          middle.loaded.intake.blocksPerRequest,
          middle.empty.intake.blocksPerRequest,
        ),
        allocationMsPerRequest: ratio(
          middle.loaded.allocation.msPerRequest,
          middle.empty.allocation.msPerRequest,
        ),
        allocationBlocksPerRequest: ratio(
          middle.loaded.allocation.blocksPerRequest,
          middle.empty.allocation.blocksPerRequest,
        ),
      },
      pruning,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (args.json) (await import('node:fs')).writeFileSync(args.json, JSON.stringify(result, null, 2));
  } finally {
    for (const side of sides) await side.db.pool.end();
    for (const config of Object.values(configs)) await deleteKeys(args['redis-url']!, config.redisPrefix);
    await dropDatabases(admin);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(String(err?.stack ?? err));
    process.exit(1);
  },
);
