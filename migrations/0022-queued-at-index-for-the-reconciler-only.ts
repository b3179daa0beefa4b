import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * `booking_requests_queued_at_idx` (0003) rebuilt so that only a query bounding `queued_at` can
 * use it: the reconciler's (stale queued requests, oldest first). Every query over one event's
 * queued requests (intake's count and positions, the allocator's arrival horizon and work list)
 * is meant to read `booking_requests_queued_idx (event_id, seq)`. But once the table holds many
 * decided rows, ANALYZE finds no queued one in its sample, both partial indexes look empty to the
 * planner, and the smaller wins: this one (a group's requests share their `queued_at`, so its
 * entries deduplicate), read whole with a heap fetch per entry to find one event's requests among
 * every event's backlog. On 2 million old rows, counting an event's queue beside a 20,000-request
 * backlog on another took 110 ms instead of 0.07 ms; `npm run bench:retention` saw the blocks
 * intake reads grow with each sale on its loaded database.
 *
 * `queued_at IS NOT NULL` holds for every row (the column is NOT NULL); it is there for the
 * planner, which uses a partial index only for a query whose conditions imply its predicate. A
 * strict condition on `queued_at` (the reconciler's `queued_at < now() - ...`) implies it; a query
 * that does not mention `queued_at` does not, so it can only read `booking_requests_queued_idx`.
 *
 * CONCURRENTLY, as 0019: intake inserts into this table all the time. In between the two
 * statements the reconciler reads `booking_requests_queued_idx` instead; a build that failed
 * half-way leaves an invalid index, dropped first when the migration runs again.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query('DROP INDEX CONCURRENTLY IF EXISTS booking_requests_queued_at_idx');
  await context.sequelize.query(
    `CREATE INDEX CONCURRENTLY booking_requests_queued_at_idx ON booking_requests (queued_at)
       WHERE status = 'queued' AND queued_at IS NOT NULL`,
  );
}
