import type { MigrationContext } from '../shared/db/migrator.js';

export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
      outbox_id bigint NOT NULL REFERENCES webhook_outbox (id),
      -- What a later outcome must not overtake: the booking, request or event it is about.
      ordering_key text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_status integer,
      last_error text,
      next_attempt_at timestamptz,
      delivered_at timestamptz,
      -- Millisecond precision: page cursors carry JSON (millisecond) timestamps.
      created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- The relay may run twice over the same outbox row; a message reaches an endpoint once.
      UNIQUE (endpoint_id, outbox_id)
    );
    CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
    CREATE INDEX webhook_deliveries_pending_order_idx ON webhook_deliveries (endpoint_id, ordering_key, outbox_id)
      WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (updated_at) WHERE status = 'pending';
  `);
}
