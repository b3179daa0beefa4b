import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * A partner's own reference for a purchase: `external_reference` and `metadata` (string keys and
 * values, at most 20 keys of 40 characters, values of 500) on the booking request that starts
 * it (`book` or `hold`). They live only there: a booking, hold or waitlist entry names that
 * request (`request_id`, its purchase's first request), and readers join it by primary key. The
 * API validates the limits (400 with the field named); the CHECKs are the last guard.
 *
 * Adding a column with a constant default rewrites nothing (PostgreSQL 11+). The partial index
 * serves `GET /bookings?externalReference=` (and the holds and booking-requests filters): one
 * user's requests with that reference, a handful of rows, then their bookings by `request_id`.
 * Plain CREATE INDEX, as in 0008: only rows with a reference are indexed, none before this.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE booking_requests
      ADD COLUMN external_reference text
        CONSTRAINT booking_requests_external_reference_length CHECK (char_length(external_reference) BETWEEN 1 AND 100),
      ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb
        CONSTRAINT booking_requests_metadata_object CHECK (jsonb_typeof(metadata) = 'object');
    CREATE INDEX booking_requests_user_external_reference_idx
      ON booking_requests (user_id, external_reference) WHERE external_reference IS NOT NULL;
  `);
}
