import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Reserved seating, holds and the waitlist. Every change to them is made by the allocator under
 * the event's row lock; the constraints below are the guards that hold even if that were bypassed.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE events
      -- general: capacity is a number; reserved: capacity is the number of seats in the map.
      ADD COLUMN seating text NOT NULL DEFAULT 'general' CHECK (seating IN ('general', 'reserved')),
      -- What the head of the waitlist gets when seats free up: a booking, or a hold to confirm.
      ADD COLUMN waitlist_promotion text NOT NULL DEFAULT 'book' CHECK (waitlist_promotion IN ('book', 'hold')),
      -- NULL: the service's HOLD_TTL_SECONDS.
      ADD COLUMN hold_ttl_seconds integer CHECK (hold_ttl_seconds BETWEEN 5 AND 86400);

    CREATE TABLE seats (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id uuid NOT NULL REFERENCES events (id),
      section text NOT NULL CHECK (length(section) BETWEEN 1 AND 50),
      row_label text NOT NULL CHECK (length(row_label) BETWEEN 1 AND 20),
      number integer NOT NULL CHECK (number > 0),
      -- Best first: sections in the order the map lists them, rows nearest the stage first.
      section_rank integer NOT NULL,
      row_rank integer NOT NULL,
      -- Position in the whole map: the seat map's page order.
      ordinal integer NOT NULL,
      UNIQUE (event_id, section, row_label, number),
      UNIQUE (event_id, ordinal)
    );

    CREATE TABLE holds (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id uuid NOT NULL REFERENCES events (id),
      user_id uuid NOT NULL REFERENCES users (id),
      -- The request that created the hold (a hold request, or a waitlisted booking request).
      request_id uuid NOT NULL UNIQUE REFERENCES booking_requests (id),
      quantity integer NOT NULL CHECK (quantity > 0),
      seats jsonb,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'confirmed', 'expired', 'released')),
      expires_at timestamptz NOT NULL,
      booking_id uuid REFERENCES bookings (id),
      created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      ended_at timestamptz,
      CONSTRAINT holds_ended_at_matches_status CHECK ((status = 'active') = (ended_at IS NULL)),
      CONSTRAINT holds_booking_matches_status CHECK ((status = 'confirmed') = (booking_id IS NOT NULL))
    );
    -- The expiry sweep and each allocation step look for active holds past their time.
    CREATE INDEX holds_active_expiry_idx ON holds (event_id, expires_at) WHERE status = 'active';
    CREATE INDEX holds_due_idx ON holds (expires_at) WHERE status = 'active';
    CREATE INDEX holds_user_idx ON holds (user_id, created_at DESC, id DESC);

    ALTER TABLE bookings ADD COLUMN hold_id uuid UNIQUE REFERENCES holds (id);

    -- Which seat belongs to which booking or hold. A seat's hold turns into its booking in place.
    CREATE TABLE seat_assignments (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      seat_id uuid NOT NULL REFERENCES seats (id),
      event_id uuid NOT NULL REFERENCES events (id),
      booking_id uuid REFERENCES bookings (id),
      hold_id uuid REFERENCES holds (id),
      assigned_at timestamptz NOT NULL DEFAULT now(),
      released_at timestamptz,
      CONSTRAINT seat_assignments_has_owner CHECK (booking_id IS NOT NULL OR hold_id IS NOT NULL)
    );
    -- The last guard against double-booking: a seat is in at most one active booking or hold.
    CREATE UNIQUE INDEX seat_assignments_one_active_per_seat ON seat_assignments (seat_id)
      WHERE released_at IS NULL;
    CREATE INDEX seat_assignments_booking_idx ON seat_assignments (booking_id) WHERE released_at IS NULL;
    CREATE INDEX seat_assignments_hold_idx ON seat_assignments (hold_id) WHERE released_at IS NULL;

    CREATE TABLE waitlist_entries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id uuid NOT NULL REFERENCES events (id),
      user_id uuid NOT NULL REFERENCES users (id),
      request_id uuid NOT NULL UNIQUE REFERENCES booking_requests (id),
      -- The request's arrival seq: the line is served in this order.
      seq bigint NOT NULL,
      quantity integer NOT NULL CHECK (quantity > 0),
      min_quantity integer NOT NULL,
      section text,
      status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'promoted', 'left', 'cancelled')),
      booking_id uuid REFERENCES bookings (id),
      hold_id uuid REFERENCES holds (id),
      created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      ended_at timestamptz,
      CONSTRAINT waitlist_min_quantity_range CHECK (min_quantity BETWEEN 1 AND quantity),
      CONSTRAINT waitlist_ended_at_matches_status CHECK ((status = 'waiting') = (ended_at IS NULL)),
      CONSTRAINT waitlist_promoted_has_result CHECK (
        (status = 'promoted') = (booking_id IS NOT NULL OR hold_id IS NOT NULL))
    );
    CREATE INDEX waitlist_line_idx ON waitlist_entries (event_id, seq) WHERE status = 'waiting';
    CREATE INDEX waitlist_user_idx ON waitlist_entries (user_id, created_at DESC, id DESC);

    ALTER TABLE booking_requests
      DROP CONSTRAINT booking_requests_kind_check,
      ADD CONSTRAINT booking_requests_kind_check
        CHECK (kind IN ('book', 'cancel', 'hold', 'confirm_hold', 'release_hold')),
      DROP CONSTRAINT booking_requests_status_check,
      ADD CONSTRAINT booking_requests_status_check
        CHECK (status IN ('queued', 'confirmed', 'rejected', 'cancelled', 'held', 'waitlisted', 'expired')),
      -- What a rejection concerns, e.g. the seats that were taken.
      ADD COLUMN reason_details jsonb,
      ADD COLUMN hold_id uuid REFERENCES holds (id);

    -- Webhook messages about one purchase (its hold, booking, waitlist entry) share a key and
    -- are delivered in order; NULL keeps the older rule (booking, request, event).
    ALTER TABLE webhook_outbox ADD COLUMN ordering_key text;
  `);
}
