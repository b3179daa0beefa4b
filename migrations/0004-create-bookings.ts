import type { MigrationContext } from '../shared/db/migrator.js';

export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE TABLE bookings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id uuid NOT NULL REFERENCES events (id),
      user_id uuid NOT NULL REFERENCES users (id),
      -- One request wins at most one booking, however often its job is redelivered.
      request_id uuid NOT NULL UNIQUE REFERENCES booking_requests (id),
      status text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
      quantity integer NOT NULL CHECK (quantity > 0),
      seats jsonb,
      -- Millisecond precision, like the JSON timestamps that page cursors carry; finer
      -- precision would make a cursor skip rows created in the same transaction.
      created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      cancelled_at timestamptz,
      CONSTRAINT bookings_cancelled_at_matches_status CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
    );
    CREATE INDEX bookings_user_idx ON bookings (user_id, created_at DESC, id DESC);
    CREATE INDEX bookings_event_idx ON bookings (event_id, status);
    ALTER TABLE booking_requests
      ADD CONSTRAINT booking_requests_booking_fk FOREIGN KEY (booking_id) REFERENCES bookings (id);
  `);
}
