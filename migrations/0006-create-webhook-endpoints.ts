import type { MigrationContext } from '../shared/db/migrator.js';

export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE TABLE webhook_endpoints (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      owner_id uuid NOT NULL REFERENCES users (id),
      url text NOT NULL CHECK (length(url) <= 2048),
      description text NOT NULL DEFAULT '',
      event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
      -- Signing secrets, newest first: [{ "secret": "whsec_...", "expiresAt": null | iso }].
      -- Two during a rotation's overlap; HMAC needs the secret itself, so it is not hashed.
      secrets jsonb NOT NULL,
      status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
      disabled_reason text,
      consecutive_failures integer NOT NULL DEFAULT 0,
      circuit_open_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz
    );
    CREATE INDEX webhook_endpoints_owner_idx ON webhook_endpoints (owner_id) WHERE deleted_at IS NULL;
  `);
}
