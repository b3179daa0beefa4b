import type { Context, Middleware } from 'koa';
import { Forbidden, Unauthorized } from '../../shared/errors.js';
import type { AppState, Principal } from '../context.js';
import { confirmAccount } from '../services/accounts.js';
import type { Tokens } from '../services/tokens.js';
import { readPrincipal } from './authenticate.js';

export const ADMIN_LOGIN_PATH = '/admin/login';
/** Holds an access token for the browser pages under /admin (the queue dashboard). */
export const ADMIN_SESSION_COOKIE = 'evently_admin';

/**
 * The cookie is HttpOnly (no script reads it) and SameSite=Strict, so a browser never sends it
 * with a request another site started. That is not all of CSRF: a same-site page (another port
 * of this host, a sibling subdomain) does get it sent, so every state-changing request carrying
 * it must also come from this origin (api/middleware/same-origin.ts). Path keeps it off every
 * other route of the API, which accepts bearer tokens only.
 */
export function adminSessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  // Written by hand: koa's cookies refuse `Secure` unless the app trusts a TLS-terminating proxy.
  return [
    `${ADMIN_SESSION_COOKIE}=${token}`,
    'Path=/admin',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export const expiredAdminSessionCookie = (secure: boolean) => adminSessionCookie('', 0, secure);

/** A browser navigating asks for HTML first; API clients, and clients that accept anything, get JSON. */
export const prefersHtml = (ctx: Context) => ctx.accepts('json', 'html') === 'html';

/** The caller behind an `Authorization: Bearer` header or, without one, the admin session cookie. */
export async function readAdminSession(tokens: Tokens, ctx: Context): Promise<Principal> {
  const header = ctx.get('Authorization');
  if (header) return readPrincipal(tokens, header);
  const token = ctx.cookies.get(ADMIN_SESSION_COOKIE);
  if (!token) throw new Unauthorized();
  return tokens.verify(token, 'access');
}

/**
 * Admins only, by bearer token or session cookie. A browser without a valid session is sent to
 * the login form (302); other clients get 401; a signed-in non-admin gets 403.
 */
export function requireAdminSession(tokens: Tokens): Middleware<AppState> {
  return async (ctx, next) => {
    let principal: Principal;
    try {
      // The account as the database knows it now: gone, disabled or demoted is refused here.
      principal = await confirmAccount(await readAdminSession(tokens, ctx));
    } catch (err) {
      if (!(err instanceof Unauthorized) || !prefersHtml(ctx)) throw err;
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(ADMIN_LOGIN_PATH);
      return;
    }
    if (principal.role !== 'admin') throw new Forbidden('The queue dashboard is for admins');
    ctx.state.principal = principal;
    await next();
  };
}
