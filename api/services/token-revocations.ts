import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Role } from '../../shared/domain.js';

/**
 * Token revocations as PostgreSQL records them, the source of truth (migration 0021). Redis
 * holds the copy each request reads (api/services/tokens.ts); everything here is written before
 * that copy, so a Redis that lost it can always be given it back.
 */

/** What a revocation ends: one access token, one refresh token (spent), or a whole family. */
export type RevocationKind = 'access' | 'refresh' | 'family';

export interface Revocation {
  /** The token's `jti`, or the family's `fam`. */
  id: string;
  kind: RevocationKind;
  userId: string;
  expiresAt: Date;
}

/** One user's token state as PostgreSQL knows it: what Redis keeps a copy of. */
export interface UserTokenState {
  role: Role;
  disabled: boolean;
  /** Tokens issued before this (ms since the epoch) are refused; null: none are. */
  tokensValidAfterMs: number | null;
  /** Live revocations of access tokens and families (spent refresh tokens are checked by id). */
  revocations: { id: string; kind: 'access' | 'family'; expiresAtMs: number }[];
}

/**
 * Records a revocation; false if it was recorded before. Atomic, so of two concurrent uses of
 * one refresh token exactly one spends it.
 */
export async function recordRevocation(sequelize: Sequelize, revocation: Revocation): Promise<boolean> {
  const rows = await sequelize.query(
    `INSERT INTO token_revocations (id, kind, user_id, expires_at) VALUES ($id, $kind, $userId, $expiresAt)
     ON CONFLICT (id) DO NOTHING RETURNING 1`,
    { bind: { ...revocation }, type: QueryTypes.SELECT },
  );
  return rows.length === 1;
}

/** Whether a token (or family) id is revoked; for the rare checks that do not go through Redis. */
export async function isRevoked(sequelize: Sequelize, id: string): Promise<boolean> {
  const rows = await sequelize.query('SELECT 1 FROM token_revocations WHERE id = $id', {
    bind: { id },
    type: QueryTypes.SELECT,
  });
  return rows.length === 1;
}

/** Every token of the user issued before `at` is refused; in the caller's transaction. */
export async function recordTokensValidAfter(
  sequelize: Sequelize,
  userId: string,
  at: Date,
  transaction: Transaction,
): Promise<void> {
  await sequelize.query('UPDATE users SET tokens_valid_after = $at WHERE id = $userId', {
    bind: { userId, at },
    transaction,
  });
}

/**
 * A user's token state, or null for an account that no longer exists. The row is locked FOR KEY
 * SHARE until `transaction` ends: an admin's change of the account (FOR UPDATE, which writes its
 * own Redis keys before it commits) waits until the caller has copied this state to Redis, so a
 * copy read before such a change can never be written after it.
 */
export async function readUserTokenState(
  sequelize: Sequelize,
  userId: string,
  transaction: Transaction,
): Promise<UserTokenState | null> {
  const [row] = await sequelize.query<{
    role: Role;
    disabled: boolean;
    valid_after_ms: string | null;
    revocations: { id: string; kind: 'access' | 'family'; expires_at_ms: number }[];
  }>(
    `SELECT u.role, u.disabled_at IS NOT NULL AS disabled,
            floor(extract(epoch FROM u.tokens_valid_after) * 1000)::bigint AS valid_after_ms,
            (SELECT coalesce(json_agg(json_build_object('id', r.id, 'kind', r.kind,
                      'expires_at_ms', floor(extract(epoch FROM r.expires_at) * 1000))), '[]')
               FROM token_revocations r
              WHERE r.user_id = u.id AND r.kind <> 'refresh' AND r.expires_at > now()) AS revocations
       FROM users u
      WHERE u.id = $userId
        FOR KEY SHARE OF u`,
    { bind: { userId }, type: QueryTypes.SELECT, transaction },
  );
  if (!row) return null;
  return {
    role: row.role,
    disabled: row.disabled,
    tokensValidAfterMs: row.valid_after_ms === null ? null : Number(row.valid_after_ms),
    revocations: row.revocations.map((r) => ({ id: r.id, kind: r.kind, expiresAtMs: r.expires_at_ms })),
  };
}
