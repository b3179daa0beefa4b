import { createHash } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../shared/config.js';
import { RateLimited, ServiceUnavailable } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { RedisClient } from '../../shared/redis.js';
import type { Principal } from '../context.js';

/** A limiter call waits no longer than this for Redis; then the request is 503, not stuck. */
const STORE_TIMEOUT_MS = 2000;
/** Connection states in which a command would only queue: answer 503 at once instead. */
const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

const retryAfterSeconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/** Where a caller stands in one budget after a request, as the RateLimit headers tell it. */
export interface Quota {
  policy: string;
  limit: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

/** A limiter's result as the quota a client is told. */
function quotaOf(limiter: RateLimiterRedis, policy: string, res: RateLimiterRes): Quota {
  return {
    policy,
    limit: limiter.points,
    windowSeconds: limiter.duration,
    remaining: Math.max(0, limiter.points - res.consumedPoints),
    resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
  };
}

/**
 * The IETF httpapi RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the policy (quota
 * `q` per window `w` seconds) and what is left of it (`r`) until it resets (`t` seconds), so a
 * client can pace itself instead of discovering the limit by a 429.
 */
export function rateLimitHeaders(quota: Quota): Record<string, string> {
  const name = `"${quota.policy}"`;
  return {
    'RateLimit-Policy': `${name};q=${quota.limit};w=${quota.windowSeconds}`,
    RateLimit: `${name};r=${quota.remaining};t=${quota.resetSeconds}`,
  };
}
/** Accounts are keyed by a hash of the email, so Redis key names carry no addresses. */
const accountKey = (email: string) => createHash('sha256').update(email).digest('base64url');

/**
 * The API's budgets against brute force and floods, counted in Redis (rate-limiter-flexible's
 * atomic Lua increment), so every API instance draws on the same budget. Over budget is
 * `RateLimited` (429 with Retry-After); Redis unreachable is 503 within STORE_TIMEOUT_MS.
 */
export class RateLimits {
  private readonly authPerIp: RateLimiterRedis;
  private readonly loginFailures: RateLimiterRedis;
  private readonly bookings: RateLimiterRedis;
  private readonly partnerBookings: RateLimiterRedis;
  private readonly enabled: boolean;

  constructor(
    config: Pick<Config, 'rateLimits' | 'redisPrefix'>,
    private readonly redis: RedisClient,
    private readonly logger: Logger,
  ) {
    const limits = config.rateLimits;
    this.enabled = limits.enabled;
    // ioredis is the library's default client (no `useRedisPackage`); it registers its Lua
    // script with defineCommand, which works with auto-pipelining. Not `rejectIfRedisNotReady`:
    // that would also refuse the first requests while the connection is still being opened.
    const budget = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.redisPrefix}:rl:${name}`,
        points,
        duration,
      });
    this.authPerIp = budget('auth-ip', limits.authPerIpPerMinute, 60);
    this.loginFailures = budget(
      'login-failures',
      limits.loginFailuresPerAccount,
      limits.loginFailureWindowSeconds,
    );
    this.bookings = budget('bookings', limits.bookingsPerMinute, 60);
    this.partnerBookings = budget('partner-bookings', limits.partnerBookingsPerMinute, 60);
  }

  /** One sign-in or registration attempt from this client IP. */
  async authAttempt(ip: string): Promise<Quota | null> {
    return this.consume(this.authPerIp, 'sign-in', ip, 'Too many sign-in attempts from this address');
  }

  /** Refuses a password check for an account that failed too often (whatever the password). */
  async assertAccountNotLocked(email: string): Promise<void> {
    if (!this.enabled) return;
    const res = await this.store(() => this.loginFailures.get(accountKey(email)));
    if (res && res.consumedPoints >= this.loginFailures.points) {
      // The budget that refused is the account's: its fields replace the address budget's.
      const quota = quotaOf(this.loginFailures, 'account-failures', res);
      throw new RateLimited(
        'Too many failed sign-ins for this account',
        retryAfterSeconds(res),
        rateLimitHeaders(quota),
      );
    }
  }

  async recordLoginFailure(email: string): Promise<void> {
    if (!this.enabled) return;
    await this.store(() => this.loginFailures.penalty(accountKey(email)));
  }

  /** A successful sign-in wipes the account's failures. */
  async clearLoginFailures(email: string): Promise<void> {
    if (!this.enabled) return;
    await this.store(() => this.loginFailures.delete(accountKey(email)));
  }

  /** One booking or cancellation request; partners and admins act for many people, so get more. */
  async bookingSubmission(principal: Principal): Promise<Quota | null> {
    const partner = principal.role !== 'user';
    const limiter = partner ? this.partnerBookings : this.bookings;
    return this.consume(
      limiter,
      partner ? 'partner-bookings' : 'bookings',
      principal.id,
      'Too many booking requests',
    );
  }

  /** One request against a budget: its quota, or RateLimited (with the same headers) if over. */
  private async consume(
    limiter: RateLimiterRedis,
    policy: string,
    key: string,
    message: string,
  ): Promise<Quota | null> {
    if (!this.enabled) return null;
    try {
      return quotaOf(limiter, policy, await this.store(() => limiter.consume(key)));
    } catch (err) {
      // rate-limiter-flexible rejects with the limiter's result (not an Error) when over budget.
      if (err instanceof RateLimiterRes) {
        throw new RateLimited(
          message,
          retryAfterSeconds(err),
          rateLimitHeaders(quotaOf(limiter, policy, err)),
        );
      }
      throw err;
    }
  }

  /** Runs one limiter call; a Redis failure or stall becomes 503, an over-budget result passes. */
  private async store<T>(call: () => Promise<T>): Promise<T> {
    if (DISCONNECTED.has(this.redis.status)) throw unavailable();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('rate limiter timed out')), STORE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw err;
      this.logger.warn({ err }, 'rate limiter could not reach Redis');
      throw unavailable();
    } finally {
      clearTimeout(timer);
    }
  }
}

function unavailable(): ServiceUnavailable {
  return new ServiceUnavailable('service_unavailable', 'A backing service is unavailable; retry shortly.', 5);
}
