import cors from '@koa/cors';
import type { Context, Middleware } from 'koa';

/** Response headers a browser script may read: the ones the API contract gives meaning to. */
const EXPOSED = [
  'Location',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'X-Request-Id',
  'Idempotent-Replayed',
  'Preference-Applied',
];
const ALLOWED_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'Prefer',
  'X-Request-Id',
];

/**
 * CORS for the origins in CORS_ORIGINS (`*` for any). Other origins, and every origin when the
 * list is empty, get no CORS headers at all, so browsers keep them out. No credentials: a browser
 * shows no other origin an answer to a request that carried the admin session cookie (the one
 * cookie the API takes, under /admin), so `*` exposes nothing a page could not fetch itself.
 */
export function crossOrigin(origins: string[]): Middleware {
  const allowed = new Set(origins);
  const any = allowed.has('*');
  const pass: Middleware = (_ctx, next) => next();
  if (allowed.size === 0) return pass;
  return cors({
    origin: (ctx: Context) => {
      const origin = ctx.get('Origin');
      if (!origin) return '';
      return any ? '*' : allowed.has(origin) ? origin : '';
    },
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowHeaders: ALLOWED_REQUEST_HEADERS,
    exposeHeaders: EXPOSED,
    maxAge: 600,
    credentials: false,
  });
}
