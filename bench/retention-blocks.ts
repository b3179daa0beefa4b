import type pg from 'pg';
import type { BenchDatabase } from './setup.js';
import { round } from './stats.js';

/** Buffer accesses so far per table (heap and TOAST) and per index: found in shared buffers, or read in. */
export type BlockCounts = Map<string, { hit: number; read: number }>;

/**
 * A database's block counts (pg_statio_user_tables and _indexes) once the service's connections
 * have ended: a backend publishes its counts at the latest when it exits, so the figures are
 * complete once only `db.pool` is connected (it reads nothing but these views). Unlike latency,
 * they do not move with the machine's load; user relations only, so a new connection's catalog
 * reads do not count.
 */
export async function blockCounts(admin: pg.Pool, db: BenchDatabase): Promise<BlockCounts> {
  const name = new URL(db.url).pathname.slice(1);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await admin.query('SELECT numbackends FROM pg_stat_database WHERE datname = $1', [name]);
    if (rows[0].numbackends <= db.pool.totalCount) break;
    if (Date.now() > deadline) throw new Error(`${name}: the service's connections did not end`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const { rows } = await db.pool.query<{ name: string; hit: number; read: number }>(
    `SELECT relname AS name,
            (coalesce(heap_blks_hit, 0) + coalesce(toast_blks_hit, 0) + coalesce(tidx_blks_hit, 0))::float8 AS hit,
            (coalesce(heap_blks_read, 0) + coalesce(toast_blks_read, 0) + coalesce(tidx_blks_read, 0))::float8 AS read
       FROM pg_statio_user_tables
     UNION ALL
     SELECT indexrelname, idx_blks_hit::float8, idx_blks_read::float8 FROM pg_statio_user_indexes`,
  );
  return new Map(rows.map((r) => [r.name, { hit: r.hit, read: r.read }]));
}

export interface BlockFigures {
  /** Buffer accesses per request. */
  blocksPerRequest: number;
  /** Of those, the ones not found in shared buffers (read from the OS). */
  readsPerRequest: number;
  /** Per request, by table or index: those with at least 0.5. */
  byRelation: Record<string, number>;
}

/** What happened between two counts, per request. */
export function blocksPerRequest(before: BlockCounts, after: BlockCounts, requests: number): BlockFigures {
  let blocks = 0;
  let reads = 0;
  const byRelation: Record<string, number> = {};
  for (const [name, now] of after) {
    const then = before.get(name) ?? { hit: 0, read: 0 };
    const delta = now.hit + now.read - then.hit - then.read;
    blocks += delta;
    reads += now.read - then.read;
    if (delta / requests >= 0.5) byRelation[name] = round(delta / requests, 1);
  }
  return {
    blocksPerRequest: round(blocks / requests, 1),
    readsPerRequest: round(reads / requests, 2),
    byRelation,
  };
}
