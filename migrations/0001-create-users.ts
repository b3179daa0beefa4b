import type { MigrationContext } from '../shared/db/migrator.js';

export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
      password_hash text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'partner', 'admin')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- Emails are case-insensitive for identity: Bob@x.io and bob@x.io are one account.
    CREATE UNIQUE INDEX users_email_key ON users (lower(email));
  `);
}
