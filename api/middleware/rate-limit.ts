import type { Middleware } from 'koa';
import type { AppState } from '../context.js';
import { type Quota, type RateLimits, rateLimitHeaders } from '../services/rate-limits.js';
import { principalOf } from './authenticate.js';

/**
 * Sign-in and registration attempts per client IP (`ctx.ip`: the socket's address, or the
 * X-Forwarded-For client when TRUST_PROXY is on). Every attempt counts, valid or not.
 */
export function limitAuthAttempts(limits: RateLimits): Middleware<AppState> {
  return async (ctx, next) => {
    tell(ctx, await limits.authAttempt(ctx.ip));
    await next();
  };
}

/** Booking and cancellation requests per caller; goes after `authenticate`. */
export function limitBookingSubmissions(limits: RateLimits): Middleware<AppState> {
  return async (ctx, next) => {
    tell(ctx, await limits.bookingSubmission(principalOf(ctx.state)));
    await next();
  };
}

/** The caller's place in the budget, on the answer whatever it is (a 429 carries it too). */
function tell(ctx: { set(headers: Record<string, string>): void }, quota: Quota | null): void {
  if (quota) ctx.set(rateLimitHeaders(quota));
}
