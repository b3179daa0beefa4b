import type { MigrationContext } from '../shared/db/migrator.js';

export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    -- Transactional outbox: written in the same transaction as the state change it reports,
    -- so nothing uncommitted is announced and nothing committed goes unannounced.
    CREATE TABLE webhook_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      message_id text NOT NULL UNIQUE,
      type text NOT NULL,
      event_id uuid REFERENCES events (id),
      principal_id uuid REFERENCES users (id),
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      relayed_at timestamptz
    );
    CREATE INDEX webhook_outbox_unrelayed_idx ON webhook_outbox (id) WHERE relayed_at IS NULL;
  `);
}
