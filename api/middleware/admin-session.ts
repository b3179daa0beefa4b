import type { Context, Middleware } from 'koa';
import { Forbidden, Unauthorized } from '../../shared/errors.js';
import type { AppState, Principal } from '../context.js';
import { confirmAccount } from '../services/accounts.js';
import type { Tokens } from '../services/tokens.js';
import { readCaller } from './authenticate.js';

export const ADMIN_LOGIN_PATH = '/admin/login';
/** A browser navigating asks for HTML first; API clients, and clients that accept anything, get JSON. */
export const prefersHtml = (ctx: Context) => ctx.accepts('json', 'html') === 'html';

/**
 * Admins only, by bearer token or session cookie. A browser without a valid session is sent to
 * the login form (302); other clients get 401; a signed-in non-admin gets 403.
 */
export function requireAdminSession(tokens: Tokens): Middleware<AppState> {
  return async (ctx, next) => {
    let principal: Principal;
    try {
      // The account as the database knows it now: gone, disabled or demoted is refused here.
      principal = await confirmAccount(await readCaller(tokens, ctx));
    } catch (err) {
      if (!(err instanceof Unauthorized) || !prefersHtml(ctx)) throw err;
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(ADMIN_LOGIN_PATH);
      return;
    }
    if (principal.role !== 'admin') throw new Forbidden('The admin pages are for admins');
    ctx.state.principal = principal;
    await next();
  };
}
