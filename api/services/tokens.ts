import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Sequelize, Transaction } from 'sequelize';
import type { Config } from '../../shared/config.js';
import { ROLES, type Role } from '../../shared/domain.js';
import { Unauthorized } from '../../shared/errors.js';
import type { RedisClient } from '../../shared/redis.js';
import type { Principal } from '../context.js';
import {
  isRevoked,
  readUserTokenState,
  recordRevocation,
  recordTokensValidAfter,
  type UserTokenState,
} from './token-revocations.js';

type TokenType = Principal['tokenType'];

/** Ids in tokens (`sub`, `jti`, `fam`) are UUIDs; PostgreSQL keeps them as such. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Claims {
  sub: string;
  role: Role;
  typ: TokenType;
  jti: string;
  exp: number;
  /** Seconds, with milliseconds as the fraction (RFC 7519 NumericDate allows it). */
  iat?: number;
  /** The session: every token minted from one sign-in by refreshing carries its id. */
  fam?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** What the token check needs to know about a token's user, its family and the token itself. */
interface RevocationView {
  tokenRevoked: boolean;
  familyRevoked: boolean;
  validAfterMs: number | null;
  disabled: boolean;
  role: Role | undefined;
}

/**
 * JWTs signed with HS256 only (the verifier pins the algorithm, so `alg: none` and key
 * confusion are refused). What ends a token:
 * - its id (logout; a refresh token is spent by its one use);
 * - its family (`fam`): one sign-in and every pair refreshed from it. A refresh token used twice
 *   means it was copied, so the whole family dies, access tokens included (OAuth 2.0 Security
 *   BCP, refresh token rotation);
 * - its user's "valid after" time: a password change, or disabling the account, ends every
 *   session issued before it; a disabled mark (see `recordDisabled`).
 *
 * PostgreSQL records each of these first (token-revocations.ts, the user's row); Redis holds the
 * copy every request reads, each key as long as what it revokes could live. A user's copy is
 * trusted only while its `revocations-loaded` mark is there: a Redis that lost its data (a restart
 * without it, a failover, a shard of a cluster) lost the mark with it, and the next check of that
 * user's token reads the user's state from PostgreSQL and copies it back before answering. The
 * mark expires after `revocationReloadSeconds`, which bounds how long a partly lost copy (the last
 * second of writes before a crash) can go unnoticed. Every key is the user's
 * (`<prefix>:user-{<userId>}:…`): the hash tag puts all of one user's keys on one Redis Cluster
 * slot, so the check, mark included, stays one MGET on a cluster too, and users spread over the
 * shards. docs/architecture.md, Token revocations.
 */
export class Tokens {
  /**
   * A KeyObject made once: given a string, jsonwebtoken tries to parse it as a PEM public key
   * on every call, which cost ~1 ms of CPU per request.
   */
  private readonly key: KeyObject;
  /**
   * Loads in progress, by user: the checks of one user that find no mark at the same moment (a
   * burst of that user's requests after a loss) share one load instead of queueing one each for
   * the pool's connections.
   */
  private readonly loading = new Map<string, Promise<UserTokenState>>();

  constructor(
    private readonly config: Pick<
      Config,
      'jwtSecret' | 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds' | 'revocationReloadSeconds'
    >,
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly sequelize: Sequelize,
  ) {
    this.key = createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));
  }

  /** A new pair; without `family` it starts a new session (sign-in), with it continues one. */
  issue(user: { id: string; role: Role }, family: string = randomUUID()): TokenPair {
    const nowMs = Date.now();
    const sign = (typ: TokenType, ttl: number) =>
      jwt.sign(
        {
          sub: user.id,
          role: user.role,
          typ,
          jti: randomUUID(),
          fam: family,
          // Millisecond precision, so a password change and a sign-in right after it (in the
          // same second) are told apart.
          iat: nowMs / 1000,
          exp: Math.floor(nowMs / 1000) + ttl,
        },
        this.key,
        { algorithm: 'HS256' },
      );
    return {
      accessToken: sign('access', this.config.accessTokenTtlSeconds),
      refreshToken: sign('refresh', this.config.refreshTokenTtlSeconds),
      tokenType: 'Bearer',
      expiresIn: this.config.accessTokenTtlSeconds,
    };
  }

  /**
   * Verifies signature, expiry, type and every revocation (token, family, user) in one Redis
   * round trip: this runs on every authenticated request. Any failure is the same 401. The
   * same round trip reads the account's current role, so a role change applies at once. A
   * refresh token is also looked up in PostgreSQL, where spending it is recorded (this check
   * is rare: logout; the rotation spends it by inserting instead).
   */
  async verify(token: string, expected: TokenType): Promise<Principal> {
    const claims = this.decode(token, expected);
    const view = await this.revocations(claims);
    if (view.tokenRevoked || view.familyRevoked || userRevoked(claims, view))
      throw new Unauthorized('Token has been revoked');
    if (expected === 'refresh' && (await isRevoked(this.sequelize, claims.jti)))
      throw new Unauthorized('Token has been revoked');
    return { ...principal(claims), role: view.role ?? claims.role };
  }

  /**
   * An admin changed the account's role: tokens already issued carry the old one in their
   * claims, so the new role is kept in Redis as long as any of them can live, and wins over the
   * claim (tokens issued from now on carry it anyway: refresh reads the account). The caller
   * writes `users.role` in the transaction this runs in.
   */
  async recordRole(userId: string, role: Role): Promise<void> {
    await this.redis.set(this.roleKey(userId), role, 'EX', this.longestTokenLifetime());
  }

  /**
   * Spends a refresh token and returns whom to issue the next pair to (same family). A token
   * spent before (a replay, or the loser of two concurrent uses) revokes its whole family.
   */
  async rotate(refreshToken: string): Promise<Principal> {
    const claims = this.decode(refreshToken, 'refresh');
    const view = await this.revocations(claims);
    if (view.familyRevoked || userRevoked(claims, view)) throw new Unauthorized('Token has been revoked');
    const caller = principal(claims);
    // `tokenRevoked`: a refresh token spent before revocations were recorded in PostgreSQL has
    // only its Redis key; the insert decides for every other.
    if (view.tokenRevoked || !(await this.revoke(caller))) {
      await this.revokeFamily(caller);
      throw new Unauthorized('Token has been revoked');
    }
    return caller;
  }

  /**
   * Revokes a token. Returns false if it was already revoked, atomically (PostgreSQL's key), so
   * a refresh token can be spent exactly once even by two concurrent refresh calls. An access
   * token's revocation is copied to Redis, which every request reads; a refresh token's is not
   * (it is checked in PostgreSQL, `verify` and `rotate`): one is spent at every refresh, so they
   * would be most of the keys.
   */
  async revoke(token: Pick<Principal, 'id' | 'tokenId' | 'tokenType' | 'expiresAt'>): Promise<boolean> {
    const recorded = await recordRevocation(this.sequelize, {
      id: token.tokenId,
      kind: token.tokenType,
      userId: token.id,
      expiresAt: new Date(token.expiresAt * 1000),
    });
    if (token.tokenType === 'access') {
      const ttl = Math.max(1, token.expiresAt - Math.floor(Date.now() / 1000));
      await this.redis.set(this.revokedKey(token.id, token.tokenId), '1', 'EX', ttl);
    }
    return recorded;
  }

  /** Ends the caller's session: every token of its family, past and future, is refused. */
  async revokeFamily(principal: Principal): Promise<void> {
    if (!principal.familyId) return;
    // No token of the family outlives a refresh token issued now, and none can be issued later.
    const ttl = this.config.refreshTokenTtlSeconds;
    await recordRevocation(this.sequelize, {
      id: principal.familyId,
      kind: 'family',
      userId: principal.id,
      expiresAt: new Date(Date.now() + ttl * 1000),
    });
    await this.redis.set(this.familyKey(principal.id, principal.familyId), '1', 'EX', ttl);
  }

  /**
   * Every token of this user issued before now is refused (a password change, disabling the
   * account), in the caller's transaction, which holds the user's row FOR UPDATE: a copy of the
   * user's state being made meanwhile (`load`) waits for it.
   */
  async revokeUserTokensIssuedBefore(userId: string, transaction: Transaction): Promise<void> {
    const nowMs = Date.now();
    await recordTokensValidAfter(this.sequelize, userId, new Date(nowMs), transaction);
    await this.redis.set(this.validAfterKey(userId), String(nowMs), 'EX', this.longestTokenLifetime());
  }

  /**
   * An admin disabled the account: every token is refused, also one a sign-in that was already
   * past its account check issued after the cut-off (a race the "valid after" time cannot close).
   * The caller writes `users.disabled_at` in the transaction this runs in.
   */
  async recordDisabled(userId: string, disabled: boolean): Promise<void> {
    if (disabled) {
      // Outlives every token that can exist now; later ones need a sign-in, which reads the row.
      await this.redis.set(this.disabledKey(userId), '1', 'EX', this.disabledMarkLifetime());
    } else {
      await this.redis.del(this.disabledKey(userId));
    }
  }

  private longestTokenLifetime(): number {
    return Math.max(this.config.accessTokenTtlSeconds, this.config.refreshTokenTtlSeconds);
  }

  private disabledMarkLifetime(): number {
    return this.longestTokenLifetime() + 60;
  }

  private decode(token: string, expected: TokenType): Claims {
    let claims: Claims;
    try {
      claims = jwt.verify(token, this.key, { algorithms: ['HS256'] }) as Claims;
    } catch {
      throw new Unauthorized('Invalid or expired token');
    }
    if (claims.typ !== expected || !isUuid(claims.jti) || !isUuid(claims.sub))
      throw new Unauthorized('Invalid token');
    if (claims.fam !== undefined && !isUuid(claims.fam)) throw new Unauthorized('Invalid token');
    return claims;
  }

  /**
   * One MGET: the token's, its user's and its family's revocation keys, whether the account is
   * disabled, the user's role, and the mark saying the user's copy is loaded; all the user's
   * keys, so one slot, read at one instant (see the class comment). Without the mark, the user's
   * state comes from PostgreSQL (`load`), and what the MGET found still counts: a key revokes
   * something PostgreSQL recorded too (maybe after a shared load had read it), or a revocation
   * from before PostgreSQL recorded them.
   */
  private async revocations(claims: Claims): Promise<RevocationView> {
    const keys = [
      this.revokedKey(claims.sub, claims.jti),
      this.validAfterKey(claims.sub),
      this.roleKey(claims.sub),
      this.disabledKey(claims.sub),
      this.loadedKey(claims.sub),
    ];
    if (claims.fam) keys.push(this.familyKey(claims.sub, claims.fam));
    const [token, validAfterMs, role, disabled, loaded, family] = await this.redis.mget(...keys);
    const cached: RevocationView = {
      tokenRevoked: token !== null,
      familyRevoked: family != null,
      validAfterMs: validAfterMs === null ? null : Number(validAfterMs),
      disabled: disabled !== null,
      role: ROLES.includes(role as Role) ? (role as Role) : undefined,
    };
    if (loaded !== null) return cached;
    const state = await this.load(claims.sub);
    const revoked = new Set(state.revocations.map((r) => r.id));
    return {
      tokenRevoked: cached.tokenRevoked || revoked.has(claims.jti),
      familyRevoked: cached.familyRevoked || (claims.fam !== undefined && revoked.has(claims.fam)),
      validAfterMs: Math.max(cached.validAfterMs ?? 0, state.tokensValidAfterMs ?? 0) || null,
      disabled: cached.disabled || state.disabled,
      role: state.role,
    };
  }

  /** One user's state from PostgreSQL, copied to Redis; one load per user at a time (`loading`). */
  private load(userId: string): Promise<UserTokenState> {
    let loading = this.loading.get(userId);
    if (!loading) {
      loading = this.copyToRedis(userId).finally(() => this.loading.delete(userId));
      this.loading.set(userId, loading);
    }
    return loading;
  }

  /**
   * Copies one user's state from PostgreSQL to Redis, then marks the copy loaded, in one
   * MULTI (one slot). The user's row stays locked FOR KEY SHARE until the copy is written
   * (readUserTokenState). Revocation keys are only added: PostgreSQL recorded each one Redis
   * has, before Redis had it. The user's own keys are set to what the row says, removed when it
   * says nothing. An account that no longer exists is refused, and nothing is marked.
   */
  private async copyToRedis(userId: string): Promise<UserTokenState> {
    return this.sequelize.transaction(async (transaction) => {
      const state = await readUserTokenState(this.sequelize, userId, transaction);
      if (!state) throw new Unauthorized('Account no longer exists');
      const nowMs = Date.now();
      const copy = this.redis.multi();
      for (const r of state.revocations) {
        const key = r.kind === 'family' ? this.familyKey(userId, r.id) : this.revokedKey(userId, r.id);
        copy.set(key, '1', 'PX', Math.max(1, r.expiresAtMs - nowMs));
      }
      copy.set(this.roleKey(userId), state.role, 'EX', this.longestTokenLifetime());
      if (state.disabled) copy.set(this.disabledKey(userId), '1', 'EX', this.disabledMarkLifetime());
      else copy.del(this.disabledKey(userId));
      // Once the longest lifetime has passed, no token from before the cut-off is left to refuse.
      const validAfterLeftMs =
        state.tokensValidAfterMs === null
          ? 0
          : state.tokensValidAfterMs + this.longestTokenLifetime() * 1000 - nowMs;
      if (validAfterLeftMs > 0)
        copy.set(this.validAfterKey(userId), String(state.tokensValidAfterMs), 'PX', validAfterLeftMs);
      else copy.del(this.validAfterKey(userId));
      copy.set(this.loadedKey(userId), '1', 'EX', this.config.revocationReloadSeconds);
      const results = await copy.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('the copy of the revocations was not written');
      return state;
    });
  }

  /** Every key of one user: the hash tag keeps them on one cluster slot. */
  private userKeyPrefix(userId: string): string {
    return `${this.prefix}:user-{${userId}}`;
  }

  private revokedKey(userId: string, tokenId: string): string {
    return `${this.userKeyPrefix(userId)}:revoked-token:${tokenId}`;
  }

  private familyKey(userId: string, familyId: string): string {
    return `${this.userKeyPrefix(userId)}:revoked-family:${familyId}`;
  }

  private disabledKey(userId: string): string {
    return `${this.userKeyPrefix(userId)}:disabled`;
  }

  private roleKey(userId: string): string {
    return `${this.userKeyPrefix(userId)}:role`;
  }

  private validAfterKey(userId: string): string {
    return `${this.userKeyPrefix(userId)}:tokens-valid-after`;
  }

  private loadedKey(userId: string): string {
    return `${this.userKeyPrefix(userId)}:revocations-loaded`;
  }
}

const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** A password change or disabling the account came after the token; a token without `iat` cannot prove otherwise. */
function userRevoked(claims: Claims, view: RevocationView): boolean {
  const issuedAtMs = typeof claims.iat === 'number' ? Math.round(claims.iat * 1000) : 0;
  return view.disabled || (view.validAfterMs !== null && issuedAtMs < view.validAfterMs);
}

function principal(claims: Claims): Principal {
  return {
    id: claims.sub,
    role: claims.role,
    tokenId: claims.jti,
    tokenType: claims.typ,
    expiresAt: claims.exp,
    familyId: claims.fam,
  };
}
