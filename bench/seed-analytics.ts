// `npm run seed:analytics -- --events 1000 --bookings 1000000`: fills a benchmark database with
// events, bookings and their booking requests (all in SQL, generate_series), then times each
// admin analytics query through the service functions the API calls.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createApiDeps } from '../api/index.js';
import { eventsReport, summary } from '../api/services/analytics.js';
import { dailyReport } from '../api/services/analytics-daily.js';
import { queueStats } from '../api/services/analytics-queues.js';
import { loadConfig } from '../shared/config.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrate } from '../shared/db/migrator.js';
import { createLogger } from '../shared/logger.js';
import { activeEventsKey } from '../shared/queues.js';
import { percentile, round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    bookings: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/evently_bench' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    /** Seeding empties the domain tables; only a database named *bench* unless forced. */
    force: { type: 'boolean', default: false },
  },
});

const eventCount = Number(args.events);
const bookingCount = Number(args.bookings);
const userCount = Number(args.users);
const runs = Number(args.runs);
const databaseUrl = args['database-url']!;
for (const [name, n] of Object.entries({ eventCount, bookingCount, userCount, runs })) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  log(`  ${label}: ${round((performance.now() - started) / 1000, 2)} s`);
  return result;
}

/** Every booking with its book request (and cancel request), as the worker would have left them. */
async function seed(sequelize: Sequelize): Promise<void> {
  const q = (sql: string, bind: Record<string, unknown> = {}) => sequelize.query(sql, { bind });
  await timed('empty the tables', () =>
    q(`TRUNCATE webhook_deliveries, webhook_outbox, webhook_endpoints, seat_assignments, waitlist_entries, holds,
                seats, bookings, booking_requests, events, users`),
  );
  await sequelize.transaction(async (transaction) => {
    const t = (sql: string, bind: Record<string, unknown> = {}) =>
      sequelize.query(sql, { bind, transaction });
    await timed(`${userCount} users, ${eventCount} events`, async () => {
      await t(
        `INSERT INTO users (email, password_hash, name)
         SELECT 'seed-' || g || '@example.test', 'scrypt$unusable', 'Seed ' || g FROM generate_series(1, $n) g`,
        { n: userCount },
      );
      // Starts spread from 60 days ago to 90 days ahead; counters are set from the rows below.
      await t(
        `INSERT INTO events (name, venue, starts_at, capacity)
         SELECT 'Seed event ' || g, 'Venue ' || (g % 40),
                date_trunc('hour', now() - interval '60 days' + (g::float8 / $n) * interval '150 days'), 1
           FROM generate_series(1, $n) g`,
        { n: eventCount },
      );
      // Popularity is skewed (a few events sell most), and unrelated to the start date.
      await t(`CREATE TEMP TABLE seed_events ON COMMIT DROP AS
                 SELECT row_number() OVER (ORDER BY random()) AS n, id FROM events`);
      await t(`CREATE TEMP TABLE seed_users ON COMMIT DROP AS
                 SELECT row_number() OVER () AS n, id FROM users`);
      await t('CREATE UNIQUE INDEX ON seed_events (n)');
      await t('CREATE UNIQUE INDEX ON seed_users (n)');
    });
    await timed(`${bookingCount} bookings staged`, () =>
      t(
        `CREATE TEMP TABLE seed_bookings ON COMMIT DROP AS
         SELECT s.booking_id, s.request_id, e.id AS event_id, u.id AS user_id, s.quantity, s.created_at,
                CASE WHEN s.cancelled
                     THEN date_trunc('milliseconds', s.created_at + random() * (now() - s.created_at))
                END AS cancelled_at
           FROM (SELECT gen_random_uuid() AS booking_id, gen_random_uuid() AS request_id,
                        1 + floor(power(random(), 2) * $events)::int AS event_n,
                        1 + floor(random() * $users)::int AS user_n,
                        1 + floor(power(random(), 2) * 4)::int AS quantity,
                        date_trunc('milliseconds', now() - random() * interval '90 days') AS created_at,
                        random() < 0.15 AS cancelled
                   FROM generate_series(1, $bookings)) s
           JOIN seed_events e ON e.n = s.event_n
           JOIN seed_users u ON u.n = s.user_n`,
        { events: eventCount, users: userCount, bookings: bookingCount },
      ),
    );
    // Loading without foreign keys and secondary indexes, then checking and building each once,
    // is several times faster than row by row (the two tables also point at each other). DDL is
    // transactional: a failed run leaves every constraint and index in place.
    const foreignKeys = await sequelize.query<{ table: string; name: string; definition: string }>(
      `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint
        WHERE contype = 'f' AND conrelid IN ('bookings'::regclass, 'booking_requests'::regclass)`,
      { transaction, type: QueryTypes.SELECT },
    );
    const indexes = await sequelize.query<{ name: string; definition: string }>(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes i
        WHERE schemaname = current_schema() AND tablename IN ('bookings', 'booking_requests')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                           WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)`,
      { transaction, type: QueryTypes.SELECT },
    );
    for (const fk of foreignKeys) await t(`ALTER TABLE ${fk.table} DROP CONSTRAINT "${fk.name}"`);
    for (const index of indexes) await t(`DROP INDEX "${index.name}"`);
    await timed('book requests', () =>
      t(`INSERT INTO booking_requests
           (id, user_id, event_id, kind, payload, fingerprint, status, booking_id, queued_at, decided_at)
         SELECT request_id, user_id, event_id, 'book', jsonb_build_object('quantity', quantity), 'seed',
                'confirmed', booking_id, created_at - random() * interval '2 seconds', created_at
           FROM seed_bookings ORDER BY created_at`),
    );
    await timed('bookings', () =>
      t(`INSERT INTO bookings (id, event_id, user_id, request_id, status, quantity, created_at, cancelled_at)
         SELECT booking_id, event_id, user_id, request_id,
                CASE WHEN cancelled_at IS NULL THEN 'confirmed' ELSE 'cancelled' END,
                quantity, created_at, cancelled_at
           FROM seed_bookings`),
    );
    // Counters as the worker keeps them, from the rows: the database refuses anything else at
    // commit (migration 0012; no holds are seeded, so held is 0). Capacity so that utilisation
    // spreads over 35..100 %. Checked now, not at commit: PostgreSQL refuses the ALTER TABLEs
    // below while those checks are pending on events.
    await timed('event counters', () =>
      t(`UPDATE events e
            SET booked = x.booked, held = x.held,
                capacity = greatest(1, ceil((x.booked + x.held) / x.fill)::int),
                status = CASE WHEN e.starts_at < now() THEN 'completed' ELSE 'on_sale' END
           FROM (SELECT ev.id, coalesce(s.booked, 0) AS booked, 0 AS held,
                        0.35 + random() * 0.65 AS fill
                   FROM events ev
                   LEFT JOIN (SELECT event_id, sum(quantity)::int AS booked FROM bookings
                               WHERE status = 'confirmed' GROUP BY event_id) s ON s.event_id = ev.id) x
          WHERE x.id = e.id`),
    );
    await t('SET CONSTRAINTS events_counters_match_rows IMMEDIATE');
    await timed('cancel requests', () =>
      t(`INSERT INTO booking_requests
           (user_id, event_id, kind, payload, fingerprint, status, booking_id, queued_at, decided_at)
         SELECT user_id, event_id, 'cancel', jsonb_build_object('bookingId', booking_id), 'seed', 'cancelled',
                booking_id, cancelled_at - random() * interval '2 seconds', cancelled_at
           FROM seed_bookings WHERE cancelled_at IS NOT NULL ORDER BY cancelled_at`),
    );
    await timed('rejected and pending requests', async () => {
      // Sold-out rejections (5 % of the bookings), and requests still queued (0.1 %).
      await t(
        `INSERT INTO booking_requests
           (user_id, event_id, kind, payload, fingerprint, status, reason, queued_at, decided_at)
         SELECT u.id, e.id, 'book', jsonb_build_object('quantity', 2), 'seed', 'rejected', 'sold_out', at, at
           FROM (SELECT 1 + floor(random() * $events)::int AS event_n, 1 + floor(random() * $users)::int AS user_n,
                        now() - random() * interval '90 days' AS at
                   FROM generate_series(1, $n)) s
           JOIN seed_events e ON e.n = s.event_n JOIN seed_users u ON u.n = s.user_n`,
        { events: eventCount, users: userCount, n: Math.ceil(bookingCount / 20) },
      );
      await t(
        `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, queued_at)
         SELECT u.id, e.id, 'book', jsonb_build_object('quantity', 1), 'seed',
                now() - random() * interval '10 minutes'
           FROM (SELECT 1 + floor(random() * $events)::int AS event_n, 1 + floor(random() * $users)::int AS user_n
                   FROM generate_series(1, $n)) s
           JOIN seed_events e ON e.n = s.event_n JOIN seed_users u ON u.n = s.user_n`,
        { events: eventCount, users: userCount, n: Math.ceil(bookingCount / 1000) },
      );
    });
    await timed(`${indexes.length} indexes built`, async () => {
      await t("SET LOCAL maintenance_work_mem = '256MB'");
      for (const index of indexes) await t(index.definition);
    });
    await timed(`${foreignKeys.length} foreign keys checked`, async () => {
      for (const fk of foreignKeys) {
        await t(`ALTER TABLE ${fk.table} ADD CONSTRAINT "${fk.name}" ${fk.definition}`);
      }
    });
  });
  // Fresh statistics, and a visibility map so index-only scans need not visit the heap.
  await timed('vacuum analyze', () => q('VACUUM ANALYZE users, events, booking_requests, bookings'));
}

interface Timing {
  query: string;
  median: number;
  min: number;
  max: number;
}

async function measure(query: string, work: () => Promise<unknown>): Promise<Timing> {
  await work(); // warm-up: plans and caches, as a dashboard polling every few seconds would have them
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return {
    query,
    median: round(percentile(samples, 50)),
    min: round(samples[0]!),
    max: round(samples.at(-1)!),
  };
}

function table(rows: Timing[]): string {
  const width = Math.max(...rows.map((r) => r.query.length));
  const line = (q: string, a: string, b: string, c: string) =>
    `| ${q.padEnd(width)} | ${a.padStart(9)} | ${b.padStart(8)} | ${c.padStart(8)} |`;
  return [
    line('query', 'median ms', 'min ms', 'max ms'),
    `|${'-'.repeat(width + 2)}|${'-'.repeat(11)}|${'-'.repeat(10)}|${'-'.repeat(10)}|`,
    ...rows.map((r) => line(r.query, String(r.median), String(r.min), String(r.max))),
  ].join('\n');
}

async function main() {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!name.includes('bench') && !args.force) {
    throw new Error(`refusing to empty "${name}": use a database named *bench*, or pass --force`);
  }
  const prefix = `bench-analytics-${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: args['redis-url'],
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    DB_POOL_MAX: '4',
  });
  if (await ensureDatabase(databaseUrl)) log(`created database ${name}`);
  const deps = await createApiDeps(config, createLogger('warn', 'bench'));
  try {
    await migrate(deps.sequelize);
    const started = performance.now();
    log(`seeding ${eventCount} events and ${bookingCount} bookings into ${name}...`);
    await seed(deps.sequelize);
    const seedSeconds = round((performance.now() - started) / 1000, 1);
    log(`seeded in ${seedSeconds} s`);

    const { sequelize } = deps;
    const [top] = await sequelize.query<{ id: string }>(
      'SELECT id FROM events ORDER BY booked DESC LIMIT 1',
      {
        type: QueryTypes.SELECT,
      },
    );
    // 50 event queues "with pending work", so queue stats do their per-queue Redis and SQL work.
    const busy = await sequelize.query<{ id: string }>('SELECT id FROM events ORDER BY random() LIMIT 50', {
      type: QueryTypes.SELECT,
    });
    await deps.redis.zadd(activeEventsKey(prefix), ...busy.flatMap((e) => [Date.now(), e.id]));

    const day = (offset: number) =>
      new Date(Date.now() + offset * 24 * 3600 * 1000).toISOString().slice(0, 10);
    const inMonth = {
      from: new Date().toISOString(),
      to: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(),
    };
    const timings: Timing[] = [];
    const add = async (label: string, work: () => Promise<unknown>) => {
      timings.push(await measure(label, work));
      log(`  ${label}: ${timings.at(-1)!.median} ms`);
    };
    log(`timing (median of ${runs} runs after a warm-up)...`);
    await add('summary, all events', () => summary(sequelize, {}));
    await add('summary, one event (the most booked)', () => summary(sequelize, { eventId: top!.id }));
    for (const sort of ['booked', 'utilisation', 'cancellations'] as const) {
      await add(`events, sort=${sort}, limit=20`, () =>
        eventsReport(sequelize, { sort, order: 'desc', limit: 20 }),
      );
    }
    await add('events, sort=booked, next 30 days', () =>
      eventsReport(sequelize, { sort: 'booked', order: 'desc', limit: 20, ...inMonth }),
    );
    await add('events, sort=cancellations, limit=100, asc', () =>
      eventsReport(sequelize, { sort: 'cancellations', order: 'asc', limit: 100 }),
    );
    await add('daily, 90 days, UTC', () =>
      dailyReport(sequelize, { from: day(-90), to: day(0), timeZone: 'UTC' }),
    );
    await add('daily, 90 days, Europe/Berlin', () =>
      dailyReport(sequelize, { from: day(-90), to: day(0), timeZone: 'Europe/Berlin' }),
    );
    await add('daily, 7 days, UTC', () =>
      dailyReport(sequelize, { from: day(-7), to: day(0), timeZone: 'UTC' }),
    );
    await add('daily, 366 days, UTC', () =>
      dailyReport(sequelize, { from: day(-365), to: day(0), timeZone: 'UTC' }),
    );
    await add('daily, 90 days, one event', () =>
      dailyReport(sequelize, { from: day(-90), to: day(0), timeZone: 'UTC', eventId: top!.id }),
    );
    await add('queue stats, 50 active event queues', () => queueStats(deps, { limit: 100 }));

    process.stdout.write(
      `\n${eventCount} events, ${bookingCount} bookings; seeding took ${seedSeconds} s\n\n${table(timings)}\n`,
    );
  } finally {
    // This run's keys only: the active set and the queues' keys under its own prefix.
    let cursor = '0';
    do {
      const [next, keys] = await deps.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await deps.redis.del(...keys);
    } while (cursor !== '0');
    await deps.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
