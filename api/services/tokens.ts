import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../../shared/config.js';
import { ROLES, type Role } from '../../shared/domain.js';
import { Unauthorized } from '../../shared/errors.js';
import type { RedisClient } from '../../shared/redis.js';
import type { Principal } from '../context.js';

type TokenType = 'access' | 'refresh';

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

/**
 * JWTs signed with HS256 only (the verifier pins the algorithm, so `alg: none` and key
 * confusion are refused). Revocation lives in Redis, each key as long as what it revokes could
 * live, so the lists never outgrow the tokens still alive:
 * - a token id (logout, a spent refresh token);
 * - a family (`fam`): one sign-in and every pair refreshed from it. A refresh token used twice
 *   means it was copied, so the whole family dies, access tokens included (OAuth 2.0 Security
 *   BCP, refresh token rotation);
 * - a user's "valid after" time: a password change, or disabling the account, ends every
 *   session issued before it.
 * Every key is the user's (`<prefix>:user-{<userId>}:…`): the hash tag puts all of one user's
 * keys on one Redis Cluster slot, so the check stays one MGET on a cluster too, and users
 * spread over the shards.
 */
export class Tokens {
  /**
   * A KeyObject made once: given a string, jsonwebtoken tries to parse it as a PEM public key
   * on every call, which cost ~1 ms of CPU per request.
   */
  private readonly key: KeyObject;

  constructor(
    private readonly config: Pick<Config, 'jwtSecret' | 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds'>,
    private readonly redis: RedisClient,
    private readonly prefix: string,
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
   * same round trip reads the account's current role, so a role change applies at once.
   */
  async verify(token: string, expected: TokenType): Promise<Principal> {
    const claims = this.decode(token, expected);
    const state = await this.revocations(claims);
    if (state.tokenRevoked || state.familyRevoked || state.userRevoked)
      throw new Unauthorized('Token has been revoked');
    return { ...principal(claims), role: state.role ?? claims.role };
  }

  /**
   * An admin changed the account's role: tokens already issued carry the old one in their
   * claims, so the new role is kept in Redis as long as any of them can live, and wins over the
   * claim (tokens issued from now on carry it anyway: refresh reads the account).
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
    const state = await this.revocations(claims);
    if (state.familyRevoked || state.userRevoked) throw new Unauthorized('Token has been revoked');
    const caller = principal(claims);
    if (state.tokenRevoked || !(await this.revoke(caller))) {
      await this.revokeFamily(caller);
      throw new Unauthorized('Token has been revoked');
    }
    return caller;
  }

  /**
   * Revokes a token. Returns false if it was already revoked, atomically, so a refresh token
   * can be spent exactly once even by two concurrent refresh calls.
   */
  async revoke(token: Pick<Principal, 'id' | 'tokenId' | 'expiresAt'>): Promise<boolean> {
    const ttl = Math.max(1, token.expiresAt - Math.floor(Date.now() / 1000));
    const set = await this.redis.set(this.revokedKey(token.id, token.tokenId), '1', 'EX', ttl, 'NX');
    return set === 'OK';
  }

  /** Ends the caller's session: every token of its family, past and future, is refused. */
  async revokeFamily(principal: Principal): Promise<void> {
    if (!principal.familyId) return;
    // No token of the family outlives a refresh token issued now, and none can be issued later.
    await this.redis.set(
      this.familyKey(principal.id, principal.familyId),
      '1',
      'EX',
      this.config.refreshTokenTtlSeconds,
    );
  }

  /** Every token of this user issued before now is refused (a password change). */
  async revokeUserTokensIssuedBefore(userId: string, nowMs: number = Date.now()): Promise<void> {
    await this.redis.set(this.validAfterKey(userId), String(nowMs), 'EX', this.longestTokenLifetime());
  }

  private longestTokenLifetime(): number {
    return Math.max(this.config.accessTokenTtlSeconds, this.config.refreshTokenTtlSeconds);
  }

  private decode(token: string, expected: TokenType): Claims {
    let claims: Claims;
    try {
      claims = jwt.verify(token, this.key, { algorithms: ['HS256'] }) as Claims;
    } catch {
      throw new Unauthorized('Invalid or expired token');
    }
    if (claims.typ !== expected || !claims.jti || !claims.sub) throw new Unauthorized('Invalid token');
    if (claims.fam !== undefined && typeof claims.fam !== 'string') throw new Unauthorized('Invalid token');
    return claims;
  }

  /**
   * One MGET: the token's, its user's and its family's revocation keys, whether the account is
   * disabled, and the user's role; all the user's keys, so one slot (see the class comment).
   */
  private async revocations(claims: Claims) {
    const keys = [
      this.revokedKey(claims.sub, claims.jti),
      this.validAfterKey(claims.sub),
      this.roleKey(claims.sub),
      this.disabledKey(claims.sub),
    ];
    if (claims.fam) keys.push(this.familyKey(claims.sub, claims.fam));
    const [token, validAfterMs, role, disabled, family] = await this.redis.mget(...keys);
    // A token without `iat` cannot prove it is newer than a password change.
    const issuedAtMs = typeof claims.iat === 'number' ? Math.round(claims.iat * 1000) : 0;
    return {
      tokenRevoked: token !== null,
      familyRevoked: family != null,
      userRevoked: (validAfterMs !== null && issuedAtMs < Number(validAfterMs)) || disabled !== null,
      role: ROLES.includes(role as Role) ? (role as Role) : undefined,
    };
  }

  /**
   * An admin disabled the account: every token is refused, also one a sign-in that was already
   * past its account check issued after the cut-off (a race the "valid after" time cannot close).
   */
  async recordDisabled(userId: string, disabled: boolean): Promise<void> {
    if (disabled) {
      // Outlives every token that can exist now; later ones need a sign-in, which reads the row.
      await this.redis.set(this.disabledKey(userId), '1', 'EX', this.longestTokenLifetime() + 60);
    } else {
      await this.redis.del(this.disabledKey(userId));
    }
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
}

function principal(claims: Claims): Principal {
  return {
    id: claims.sub,
    role: claims.role,
    tokenId: claims.jti,
    expiresAt: claims.exp,
    familyId: claims.fam,
  };
}
