// `npm run bench:seats -- --sections 20 --rows 25 --seats 40`: creates a reserved-seating event
// of sections x rows x seats (20,000 by default) through the API, books every other seat, then
// times the seat-map reads a venue plan makes and one allocation step (best available) on it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createApp } from '../api/app.js';
import { createApiDeps } from '../api/index.js';
import { createUser } from '../api/services/accounts.js';
import { loadConfig } from '../shared/config.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrate } from '../shared/db/migrator.js';
import { createLogger } from '../shared/logger.js';
import { type AllocationRules, allocationRules, runAllocationStep } from '../worker/allocation/index.js';
import { percentile, round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    sections: { type: 'string', default: '20' },
    rows: { type: 'string', default: '25' },
    seats: { type: 'string', default: '40' },
    runs: { type: 'string', default: '20' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/evently_bench' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const [sections, rows, seatsPerRow, runs] = [args.sections, args.rows, args.seats, args.runs].map(Number) as [
  number,
  number,
  number,
  number,
];
const total = sections * rows * seatsPerRow;
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: args['database-url'],
    REDIS_URL: args['redis-url'],
    REDIS_PREFIX: `evently-bench-seats-${process.pid}`,
    LOG_LEVEL: 'warn',
    RATE_LIMITS_ENABLED: 'false',
    MAX_SEATS_PER_EVENT: String(Math.max(total, 100_000)),
  });
  const logger = createLogger(config.logLevel, 'bench');
  await ensureDatabase(config.databaseUrl);
  const deps = await createApiDeps(config, logger);
  await migrate(deps.sequelize);
  const server = http.createServer(createApp(deps).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const email = `bench-admin-${process.pid}-${Date.now()}@example.test`;
    await createUser({ email, password: 'bench-password-123', name: 'bench', role: 'admin' });
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password-123' }),
    });
    const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };

    const blocks = Array.from({ length: sections }, (_, i) => ({
      section: `S${i + 1}`,
      rows: { from: 1, to: rows },
      seats: { from: 1, to: seatsPerRow },
    }));
    let started = performance.now();
    const created = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Seat map bench',
        venue: 'Stadium',
        startsAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
        seatMap: { blocks },
      }),
    });
    const event = (await created.json()) as { id: string; capacity: number };
    const createMs = performance.now() - started;
    if (created.status !== 201 || event.capacity !== total)
      throw new Error(`create failed: ${created.status}`);
    await bookEveryOtherSeat(deps.sequelize, event.id);

    /** Median and p95 of `runs` reads of `path`; `walk` follows `next` through every page. */
    const time = async (path: string, walk = false) => {
      const samples: number[] = [];
      let bytes = 0;
      for (let i = 0; i < runs; i++) {
        started = performance.now();
        let cursor: string | null = null;
        do {
          const sep = path.includes('?') ? '&' : '?';
          const res: Response = await fetch(`${base}${path}${cursor ? `${sep}cursor=${cursor}` : ''}`);
          const text: string = await res.text();
          bytes = text.length;
          cursor = walk ? JSON.parse(text).next : null;
        } while (cursor);
        samples.push(performance.now() - started);
      }
      samples.sort((x, y) => x - y);
      return {
        p50Ms: round(percentile(samples, 50), 1),
        p95Ms: round(percentile(samples, 95), 1),
        lastPageBytes: bytes,
      };
    };
    const results = {
      seats: total,
      createEventWithMapMs: round(createMs, 0),
      wholeMapInPagesOf5000: await time(`/events/${event.id}/seats?limit=5000`, true),
      firstPageOf1000: await time(`/events/${event.id}/seats?limit=1000`),
      oneSection: await time(`/events/${event.id}/seats?limit=5000&section=S7`),
      freeSeatsOnly: await time(`/events/${event.id}/seats?limit=5000&state=free`),
      sectionsSummary: await time(`/events/${event.id}/sections`),
      allocationStepMs: await timeAllocationStep(
        base,
        auth,
        event.id,
        deps.sequelize,
        allocationRules(config),
      ),
    };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    server.closeAllConnections();
    server.close();
    const keys = await deps.redis.keys(`${config.redisPrefix}:*`);
    if (keys.length > 0) await deps.redis.del(...keys);
    await deps.close();
  }
}

/** Half the map booked (one booking row owning every other seat), so states are mixed. */
async function bookEveryOtherSeat(sequelize: import('sequelize').Sequelize, eventId: string) {
  await sequelize.transaction(async (transaction) => {
    const q = (sql: string) => sequelize.query(sql, { bind: { eventId }, transaction });
    await q(`
      WITH u AS (SELECT id FROM users ORDER BY id LIMIT 1),
      r AS (INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, decided_at)
            SELECT u.id, $eventId, 'book', '{"quantity": 1}', 'bench', 'confirmed', now() FROM u RETURNING id, user_id),
      half AS (SELECT id FROM seats WHERE event_id = $eventId AND ordinal % 2 = 0),
      b AS (INSERT INTO bookings (event_id, user_id, request_id, quantity)
            SELECT $eventId, r.user_id, r.id, (SELECT count(*) FROM half) FROM r RETURNING id)
      INSERT INTO seat_assignments (seat_id, event_id, booking_id) SELECT half.id, $eventId, b.id FROM half, b`);
    await q(
      `UPDATE events SET booked = (SELECT count(*) FROM seat_assignments WHERE event_id = $eventId) WHERE id = $eventId`,
    );
  });
}

/** One request for 4 best-available seats decided by a worker step (loads the whole map). */
async function timeAllocationStep(
  base: string,
  auth: Record<string, string>,
  eventId: string,
  sequelize: import('sequelize').Sequelize,
  rules: AllocationRules,
) {
  const samples: number[] = [];
  for (let i = 0; i < Math.min(runs, 10); i++) {
    const res = await fetch(`${base}/events/${eventId}/bookings`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ quantity: 4, section: 'S3' }),
    });
    if (res.status !== 202) throw new Error(`booking failed: ${res.status}`);
    const started = performance.now();
    const { decided } = await runAllocationStep(sequelize, eventId, 500, rules);
    samples.push(performance.now() - started);
    if (decided[0]?.outcome !== 'confirmed') throw new Error(`not confirmed: ${JSON.stringify(decided)}`);
  }
  samples.sort((x, y) => x - y);
  return { p50Ms: round(percentile(samples, 50), 1), maxMs: round(Math.max(...samples), 1) };
}

main().catch((err) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
