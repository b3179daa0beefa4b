import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * `booking_requests.processing_attempts`, `processing_error`: failed allocation steps this request
 * was found to cause (worker/allocation/poison-requests.ts), counted in PostgreSQL so the count
 * survives a worker's crash; at MAX_PROCESSING_ATTEMPTS the request is set aside (rejected
 * `processing_failed`). A constant default adds the columns without rewriting the table.
 *
 * The two partial indexes serve the backlog gauges read at scrape time (api/metrics/backlog.ts):
 * the oldest pending delivery and the oldest pending notification, by `created_at`, without
 * reading the whole backlog. The outbox needs none: `webhook_outbox_unrelayed_idx` (0005) is in
 * `id` order, which is creation order.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE booking_requests
      ADD COLUMN processing_attempts integer NOT NULL DEFAULT 0 CHECK (processing_attempts >= 0),
      ADD COLUMN processing_error text;
    CREATE INDEX webhook_deliveries_pending_created_idx ON webhook_deliveries (created_at) WHERE status = 'pending';
    CREATE INDEX email_notifications_pending_created_idx ON email_notifications (created_at) WHERE status = 'pending';
  `);
}
