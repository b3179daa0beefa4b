import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import pg from 'pg';
import { createApp } from '../api/app.js';
import { createApiDeps } from '../api/index.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { startWorker } from '../worker/index.js';
import { type BlockFigures, blockCounts, blocksPerRequest } from './retention-blocks.js';
import type { BenchDatabase } from './setup.js';
import { percentile, round } from './stats.js';

/**
 * One side of the retention bench: a database ("empty" or "loaded") and the configuration of
 * the service run on it (its own REDIS_PREFIX). The service is started for each stage on it and
 * closed after: Sequelize's models are bound to one instance per process (the last one created,
 * shared/db/sequelize.ts), so two databases' services must never be up at once in this process.
 */
export interface Side {
  name: 'empty' | 'loaded';
  db: BenchDatabase;
  config: Config;
}

export interface SaleShape {
  requests: number;
  buyers: readonly { id: string; token: string }[];
  adminToken: string;
}

/** The API of one side, up: its address and its dependencies (for pruning beside a sale). */
export interface RunningSide {
  base: string;
  deps: Awaited<ReturnType<typeof createApiDeps>>;
  close(): Promise<void>;
}

async function openSide(side: Side, logger: Logger): Promise<RunningSide> {
  const deps = await createApiDeps(side.config, logger);
  const server = http.createServer(createApp(deps).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deps,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.close();
    },
  };
}

/** An event on sale with seats for half the requests: half confirmed, half rejected. */
export async function newEvent(api: RunningSide, shape: SaleShape): Promise<string> {
  const res = await fetch(`${api.base}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${shape.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Retention bench',
      venue: 'Hall',
      startsAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
      capacity: Math.ceil(shape.requests / 2),
    }),
  });
  if (res.status !== 201) throw new Error(`create event: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export interface IntakeFigures {
  p50Ms: number;
  p95Ms: number;
  perSec: number;
}

/** `requests` submissions by one closed-loop client per buyer; each 202's latency. */
export async function intake(api: RunningSide, shape: SaleShape, eventId: string): Promise<IntakeFigures> {
  const { buyers, requests } = shape;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    buyers.map(async (buyer, c) => {
      for (let i = c; i < requests; i += buyers.length) {
        const t = performance.now();
        const res = await fetch(`${api.base}/events/${eventId}/bookings`, {
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
}

export interface AllocationFigures {
  msPerRequest: number;
  steps: number;
}

/**
 * Starts a worker on the event's backlog; milliseconds of allocation per decided request. The
 * bench's own reads (the backlog polls, the span) go through a connection of their own, ended
 * before the stage's blocks are counted, so they count in this stage alike on both sides.
 */
export async function allocation(side: Side, logger: Logger, eventId: string): Promise<AllocationFigures> {
  const own = new pg.Pool({ connectionString: side.db.url, max: 1 });
  try {
    const worker = await startWorker(side.config, logger);
    try {
      for (;;) {
        const { rows: left } = await own.query(
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
    // the steps after the first, over the requests they decided. `decided_at IS NOT NULL`
    // lets it read booking_requests_decided_at_idx instead of the whole table.
    const { rows: span } = await own.query(
      `WITH d AS (SELECT decided_at FROM booking_requests WHERE event_id = $1 AND decided_at IS NOT NULL)
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
  } finally {
    await own.end();
  }
}

export interface SaleFigures {
  /** The machine's 1-minute load average as the sale started. */
  load1: number;
  intake: IntakeFigures & BlockFigures;
  allocation: AllocationFigures & BlockFigures;
}

/**
 * One sale on a side: the event created, then intake with no worker running, then a worker
 * started on the backlog. The service is closed between the stages so each one's buffer accesses
 * can be counted (blockCounts).
 */
export async function sale(
  side: Side,
  admin: pg.Pool,
  logger: Logger,
  shape: SaleShape,
): Promise<SaleFigures> {
  const load1 = round(loadavg()[0]!, 1);
  const eventId = await withApi(side, logger, (api) => newEvent(api, shape));
  const beforeIntake = await blockCounts(admin, side.db);
  const intakeFigures = await withApi(side, logger, (api) => intake(api, shape, eventId));
  const afterIntake = await blockCounts(admin, side.db);
  const allocationFigures = await allocation(side, logger, eventId);
  const afterAllocation = await blockCounts(admin, side.db);
  return {
    load1,
    intake: { ...intakeFigures, ...blocksPerRequest(beforeIntake, afterIntake, shape.requests) },
    allocation: { ...allocationFigures, ...blocksPerRequest(afterIntake, afterAllocation, shape.requests) },
  };
}

/** Runs `stage` with the side's API up, and closes it after. */
export async function withApi<T>(
  side: Side,
  logger: Logger,
  stage: (api: RunningSide) => Promise<T>,
): Promise<T> {
  const api = await openSide(side, logger);
  try {
    return await stage(api);
  } finally {
    await api.close();
  }
}
