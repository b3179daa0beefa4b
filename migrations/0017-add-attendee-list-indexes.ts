import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Indexes for an event's attendee list (`GET /admin/events/{id}/bookings` and its CSV,
 * api/services/attendees.ts), which must stay fast with 100,000 bookings on one event.
 *
 * - The list pages by (created_at, id), newest first, with a keyset cursor: the analytics index
 *   of 0008 on (event_id, created_at) gains `id` as its last key, so a page is one backward
 *   range scan with no sort, however deep. It replaces that index (same INCLUDE columns, so the
 *   analytics reports keep their index-only scans) rather than adding a second one that every
 *   booking insert would have to maintain.
 * - `q` finds a partner's reference exactly: the event's booking requests by
 *   (event_id, external_reference), then their bookings by `request_id` (unique). 0014's index
 *   is per user.
 * - `q` finds the start of an email, any case: `lower(email) LIKE 'term%'` on a text_pattern_ops
 *   index (the unique `users_email_key` on lower(email) uses the database's collation, which
 *   a LIKE prefix cannot use unless it is C). A substring search (pg_trgm) was measured and
 *   refused: a GIN bitmap is built whole before any LIMIT, so a common term read every account.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE INDEX bookings_event_created_at_id_idx ON bookings (event_id, created_at, id) INCLUDE (quantity, status);
    DROP INDEX bookings_event_created_at_idx;
    CREATE INDEX booking_requests_event_external_reference_idx
      ON booking_requests (event_id, external_reference) WHERE external_reference IS NOT NULL;
    CREATE INDEX users_email_prefix_idx ON users (lower(email) text_pattern_ops);
  `);
}
