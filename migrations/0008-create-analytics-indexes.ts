import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Indexes for the admin analytics (api/services/analytics.ts). Each one serves a range scan
 * the reports make; the INCLUDE columns let those scans be index-only (no heap visit per row).
 * Plain CREATE INDEX (not CONCURRENTLY): migrations run inside umzug's locked run, and the
 * build blocks writes to the table while it runs, a few seconds per million bookings.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    -- Bookings per day (daily report): a created_at range, counting tickets.
    CREATE INDEX bookings_created_at_idx ON bookings (created_at) INCLUDE (event_id, quantity);
    -- The same for one event (daily report and summary with eventId), without reading every
    -- event's day or visiting the table.
    CREATE INDEX bookings_event_created_at_idx ON bookings (event_id, created_at) INCLUDE (quantity, status);
    -- Cancellations per day, and cancellations per event (summary, events report): only the
    -- cancelled rows, a minority, are indexed.
    CREATE INDEX bookings_cancelled_at_idx ON bookings (cancelled_at) INCLUDE (event_id, quantity)
      WHERE status = 'cancelled';
    -- Decisions per minute for each active event queue (queue stats).
    CREATE INDEX booking_requests_decided_at_idx ON booking_requests (event_id, decided_at)
      WHERE decided_at IS NOT NULL;
  `);
}
