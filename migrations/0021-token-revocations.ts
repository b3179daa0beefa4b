import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Token revocations in PostgreSQL, the source of truth; Redis keeps the copy every request reads
 * (api/services/tokens.ts, docs/architecture.md, Token revocations):
 * - `token_revocations`: one row per revoked access token (logout), spent refresh token
 *   (rotation) or ended family (logout, a refresh token used twice), by its id (the token's
 *   `jti`, the family's `fam`: random UUIDs). `expires_at` is when what it revokes could no
 *   longer be used anyway; retention prunes the row some time after it (worker/retention/).
 *   The primary key is what spends a refresh token exactly once: the rotation's insert wins or
 *   finds the row.
 * - `token_revocations_user_idx`: a user's live revocations, read when Redis has no loaded copy
 *   of them. Spent refresh tokens are left out (the rotation checks them by key); they are most
 *   of the rows (one per refresh).
 * - `token_revocations_expiry_idx`: retention's walk, by (age, id) like the indexes of 0019.
 * - `users.tokens_valid_after`: tokens of the account issued before it are refused (a password
 *   change, disabling the account).
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE TABLE token_revocations (
      id uuid PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('access', 'refresh', 'family')),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX token_revocations_user_idx ON token_revocations (user_id, expires_at) WHERE kind <> 'refresh';
    CREATE INDEX token_revocations_expiry_idx ON token_revocations (expires_at, id);

    ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz;
  `);
}
