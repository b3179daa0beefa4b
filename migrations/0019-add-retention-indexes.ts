import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Indexes for retention (worker/retention/, docs/architecture.md, Retention). Each one lists
 * exactly the rows the pruner may delete, oldest first, so a pruning batch reads only those:
 * - `booking_requests_prunable_idx`: decided requests that never start a purchase (cancel,
 *   confirm and release requests, rejected and expired ones). Intake inserts queued rows, which
 *   the predicate leaves out, so intake pays nothing for it; a decided `book` or `hold` request
 *   (the first request of a purchase, read by its booking, hold or waitlist entry) is left out too,
 *   so rows kept for good are never scanned again.
 * - `webhook_deliveries_finished_idx`, `email_notifications_finished_idx`: finished rows by the
 *   time they finished (`updated_at`).
 * - `webhook_outbox_relayed_idx`: relayed messages by the time they were relayed.
 * - `webhook_deliveries_outbox_idx`: deleting an outbox row makes PostgreSQL check that no
 *   delivery names it; without an index on `outbox_id` (the unique key leads with the endpoint)
 *   that check would read the whole table once per row.
 *
 * CONCURRENTLY, unlike 0008: these tables are the largest and intake writes to one of them all
 * the time, and a plain build would block its inserts for as long as it reads the table. One
 * statement per query (CONCURRENTLY cannot run inside a transaction block); a build that failed
 * half-way leaves an invalid index, dropped first when the migration runs again.
 */
const INDEXES: Record<string, string> = {
  booking_requests_prunable_idx: `booking_requests (decided_at, id)
    WHERE decided_at IS NOT NULL
      AND (kind IN ('cancel', 'confirm_hold', 'release_hold') OR status IN ('rejected', 'expired'))`,
  webhook_deliveries_finished_idx: `webhook_deliveries (updated_at, id) WHERE status <> 'pending'`,
  webhook_deliveries_outbox_idx: 'webhook_deliveries (outbox_id)',
  email_notifications_finished_idx: `email_notifications (updated_at, id) WHERE status <> 'pending'`,
  webhook_outbox_relayed_idx: 'webhook_outbox (relayed_at, id) WHERE relayed_at IS NOT NULL',
};

export async function up({ context }: { context: MigrationContext }) {
  for (const [name, definition] of Object.entries(INDEXES)) {
    await context.sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    await context.sequelize.query(`CREATE INDEX CONCURRENTLY ${name} ON ${definition}`);
  }
}
