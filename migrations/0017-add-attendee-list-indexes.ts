import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Indexes for an event's attendee list (`GET /admin/events/{id}/bookings` and its CSV,
 * api/services/attendees.ts), which must stay fast with 100,000 bookings on one event.
 *
 * - `bookings_event_created_at_id_idx`: the list pages by (created_at, id), newest first, with a
 *   keyset cursor; 0008's (event_id, created_at) index gains `id` as its last key, so a page is
 *   one backward range scan with no sort, however deep. It replaces that index (same INCLUDE
 *   columns, so the analytics reports keep their index-only scans) rather than adding a second
 *   one that every booking insert would maintain.
 * - `booking_requests_event_external_reference_idx`: `q` finds a partner's reference exactly, the
 *   event's requests with it, then their bookings by `request_id` (unique). 0014's is per user.
 * - `users_email_prefix_idx`: `q` finds the start of an email in any case, `lower(email) LIKE
 *   'term%'`, on a text_pattern_ops index (the unique `users_email_key` on lower(email) uses the
 *   database's collation, which a LIKE prefix cannot use unless it is C). A substring search
 *   (pg_trgm) was measured and refused: a GIN bitmap is built whole before any LIMIT, so a
 *   common term read every account (docs/architecture.md, The attendee list).
 *
 * CONCURRENTLY, as in 0019: intake inserts into booking_requests all the time and the allocator
 * into bookings, and a plain build would block them for as long as it reads the table. One
 * statement per query (CONCURRENTLY cannot run in a transaction block); a build that failed
 * half-way leaves an invalid index, dropped first when the migration runs again.
 */
const INDEXES: Record<string, string> = {
  bookings_event_created_at_id_idx: 'bookings (event_id, created_at, id) INCLUDE (quantity, status)',
  booking_requests_event_external_reference_idx:
    'booking_requests (event_id, external_reference) WHERE external_reference IS NOT NULL',
  users_email_prefix_idx: 'users (lower(email) text_pattern_ops)',
};

export async function up({ context }: { context: MigrationContext }) {
  for (const [name, definition] of Object.entries(INDEXES)) {
    await context.sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    await context.sequelize.query(`CREATE INDEX CONCURRENTLY ${name} ON ${definition}`);
  }
  // Only once its replacement is built: the analytics never lack an index meanwhile.
  await context.sequelize.query('DROP INDEX CONCURRENTLY IF EXISTS bookings_event_created_at_idx');
}
