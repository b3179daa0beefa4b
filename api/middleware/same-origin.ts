import type { Context, Middleware } from 'koa';
import { Forbidden } from '../../shared/errors.js';
import { carriesSessionCookie } from './session-cookie.js';

/** Methods that change nothing (RFC 9110 safe methods); every other one may. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * This service's own origin as the browser addressed it: scheme and host (with port) as the
 * server sees them, through X-Forwarded-Proto / X-Forwarded-Host only when the app trusts its
 * proxies (TRUST_PROXY). Serialized the way browsers write `Origin` (lower case, no default port).
 */
function ownOrigin(ctx: Context): string | null {
  const origin = `${ctx.protocol}://${ctx.host}`;
  return ctx.host && URL.canParse(origin) ? new URL(origin).origin : null;
}

/**
 * The one same-origin rule. Browsers send `Sec-Fetch-Site` and `Origin` on their own and no
 * page script can set or change either. Every signal present must say "this origin": a
 * `Sec-Fetch-Site` other than `same-origin` (`same-site`: another port or a sibling subdomain,
 * which SameSite cookies do not stop; `cross-site`; `none`: typed in or from a bookmark) is
 * refused, and so is an `Origin` that is not exactly this origin (`null` included). A request
 * with neither proves nothing and is refused too.
 */
export function isSameOrigin(ctx: Context): boolean {
  const site = ctx.get('Sec-Fetch-Site');
  const origin = ctx.get('Origin');
  if (!site && !origin) return false;
  if (site && site !== 'same-origin') return false;
  return !origin || origin === ownOrigin(ctx);
}

/** Throws 403 unless the request comes from this service's own origin (`isSameOrigin`). */
export function requireSameOrigin(ctx: Context): void {
  if (!isSameOrigin(ctx)) {
    throw new Forbidden(
      'Refused: this request must come from this site’s own pages (Origin, Sec-Fetch-Site)',
    );
  }
}

/**
 * CSRF, for every route at once: a request that could change state (any method but GET, HEAD,
 * OPTIONS) and carries the session cookie must come from this origin, whatever route it is
 * for (bull-board's JSON API, /admin/logout, ...), before anything reads its body. SameSite=Strict
 * keeps the cookie off cross-site requests, but a same-site page (another port, a sibling
 * subdomain) still gets it sent. Requests without the cookie are not affected: a bearer token is
 * never added by a browser on its own.
 */
export function sameOriginForCookies(): Middleware {
  return async (ctx, next) => {
    if (!SAFE_METHODS.has(ctx.method) && carriesSessionCookie(ctx)) requireSameOrigin(ctx);
    await next();
  };
}
