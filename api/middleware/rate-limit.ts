import type { Middleware } from 'koa';
import type { AppState } from '../context.js';
import type { RateLimits } from '../services/rate-limits.js';
import { principalOf } from './authenticate.js';

/**
 * Sign-in and registration attempts per client IP (`ctx.ip`: the socket's address, or the
 * X-Forwarded-For client when TRUST_PROXY is on). Every attempt counts, valid or not.
 */
export function limitAuthAttempts(limits: RateLimits): Middleware<AppState> {
  return async (ctx, next) => {
    await limits.authAttempt(ctx.ip);
    await next();
  };
}

/** Booking and cancellation requests per caller; goes after `authenticate`. */
export function limitBookingSubmissions(limits: RateLimits): Middleware<AppState> {
  return async (ctx, next) => {
    await limits.bookingSubmission(principalOf(ctx.state));
    await next();
  };
}
