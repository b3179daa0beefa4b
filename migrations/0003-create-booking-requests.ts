import type { MigrationContext } from '../shared/db/migrator.js';

export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE TABLE booking_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- Arrival order. Requests of one event are decided strictly in seq order (first come, first served).
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      principal_id uuid NOT NULL REFERENCES users (id),
      event_id uuid NOT NULL REFERENCES events (id),
      kind text NOT NULL CHECK (kind IN ('book', 'cancel')),
      payload jsonb NOT NULL,
      idempotency_key text,
      fingerprint text NOT NULL,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'confirmed', 'rejected', 'cancelled')),
      reason text,
      booking_id uuid,
      queued_at timestamptz NOT NULL DEFAULT now(),
      decided_at timestamptz,
      CONSTRAINT booking_requests_decided_at_matches_status CHECK ((status = 'queued') = (decided_at IS NULL))
    );
    CREATE UNIQUE INDEX booking_requests_idempotency_key ON booking_requests (principal_id, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    -- The allocator's work list and the reconciler's scan: both only ever look at queued rows.
    CREATE INDEX booking_requests_queued_idx ON booking_requests (event_id, seq) WHERE status = 'queued';
    CREATE INDEX booking_requests_queued_at_idx ON booking_requests (queued_at) WHERE status = 'queued';
    CREATE INDEX booking_requests_principal_idx ON booking_requests (principal_id, queued_at DESC);
  `);
}
