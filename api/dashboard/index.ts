import Router from '@koa/router';
import Joi from 'joi';
import type { Context, Middleware, Next } from 'koa';
import type { User } from '../../shared/db/models/index.js';
import { AppError, Forbidden, Unauthorized } from '../../shared/errors.js';
import type { ApiDeps, AppState } from '../context.js';
import { labelRoute } from '../metrics/http.js';
import {
  ADMIN_LOGIN_PATH,
  ADMIN_SESSION_COOKIE,
  adminSessionCookie,
  expiredAdminSessionCookie,
  prefersHtml,
  requireAdminSession,
} from '../middleware/admin-session.js';
import { validate } from '../middleware/validate.js';
import { email } from '../routes/auth.js';
import type { RateLimits } from '../services/rate-limits.js';
import { signIn } from '../services/sign-in.js';
import type { Tokens } from '../services/tokens.js';
import { DASHBOARD_PATH, QueueBoard } from './board.js';
import { LOGIN_PAGE_CSP, loginPage } from './login-page.js';

const loginForm = Joi.object({ email: email.required(), password: Joi.string().max(128).required() });

export interface Dashboard {
  /** Sign-in, sign-out, and the dashboard's documented entry points. */
  routes: Router<AppState>;
  /** Everything else under DASHBOARD_PATH (bull-board's assets and JSON API), behind the same guard. */
  rest: Middleware<AppState>;
}

/**
 * The admin console in a browser: a login form that sets a session cookie, and bull-board over
 * the queues. bull-board is a Koa sub-app mounted (koa-mount) at DASHBOARD_PATH; its own routes
 * are not @koa/router routes of this app and are not part of the API contract, except the page
 * and the queue list, which are routed (and documented) here.
 */
export function dashboard(deps: ApiDeps, tokens: Tokens, limits: RateLimits): Dashboard {
  const board = new QueueBoard(deps);
  const adminOnly = requireAdminSession(tokens);
  const secure = deps.config.env === 'production';

  /** Hands the request to bull-board after bringing its queue list up to date. */
  const serveBoard = async (ctx: Context, next: Next) => {
    if (!ctx.path.startsWith(`${DASHBOARD_PATH}/static/`)) await board.refresh();
    await board.app(ctx, next);
    // bull-board's router matched a template relative to the mount (assets match none).
    const inner = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
    const relative = typeof inner === 'string' && !inner.startsWith(DASHBOARD_PATH) ? inner : null;
    labelRoute(
      ctx,
      relative === null ? `${DASHBOARD_PATH}/*` : `${DASHBOARD_PATH}${relative.replace(/\/$/, '')}`,
    );
  };

  const router = new Router<AppState>();

  router.get(ADMIN_LOGIN_PATH, (ctx) => {
    sendLoginPage(ctx, 200);
  });

  router.post(ADMIN_LOGIN_PATH, async (ctx) => {
    refuseCrossOriginLogin(ctx);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    let user: User;
    try {
      // The same budgets as POST /auth/login: per client IP, and per account.
      await limits.authAttempt(ctx.ip);
      const form = validate(loginForm, body, 'body');
      user = await signIn(limits, form.email, form.password);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || !prefersHtml(ctx)) throw err;
      const message =
        err instanceof Unauthorized ? 'Wrong email or password.' : 'Enter your email address and password.';
      sendLoginPage(ctx, err.status, {
        error: message,
        email: typeof body.email === 'string' ? body.email : '',
      });
      return;
    }
    // Any account may sign in; the dashboard itself answers 403 to non-admins.
    const { accessToken, expiresIn } = tokens.issue(user);
    ctx.set('Set-Cookie', adminSessionCookie(accessToken, expiresIn, secure));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(DASHBOARD_PATH);
  });

  const logout = async (ctx: Context) => {
    const token = ctx.cookies.get(ADMIN_SESSION_COOKIE);
    const principal = token
      ? await tokens.verify(token, 'access').catch((err) => {
          if (err instanceof Unauthorized) return null; // expired or revoked already: nothing to revoke
          throw err;
        })
      : null;
    if (principal) await tokens.revoke(principal.tokenId, principal.expiresAt);
    ctx.set('Set-Cookie', expiredAdminSessionCookie(secure));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(ADMIN_LOGIN_PATH);
  };
  // GET too, so the dashboard's "Log out" link works; a cross-site link cannot use it against
  // someone, as it arrives without the (SameSite=Strict) cookie.
  router.get('/admin/logout', logout);
  router.post('/admin/logout', logout);

  router.get(DASHBOARD_PATH, adminOnly, serveBoard);
  router.get(`${DASHBOARD_PATH}/api/queues`, adminOnly, serveBoard);

  const rest: Middleware<AppState> = async (ctx, next) => {
    if (!ctx.path.startsWith(`${DASHBOARD_PATH}/`)) return next();
    labelRoute(ctx, `${DASHBOARD_PATH}/*`);
    await adminOnly(ctx, () => serveBoard(ctx, next));
  };

  return { routes: router, rest };
}

/**
 * Login CSRF (a foreign page signing the browser in to the attacker's account) is refused here;
 * with the session cookie SameSite=Strict, that is all the CSRF defence the dashboard needs.
 * `Sec-Fetch-Site` decides where the browser sends it (scripts cannot forge it); otherwise
 * `Origin` must name this host: browsers send it with every cross-origin POST, and as `null`
 * under a no-referrer policy, which is refused (the form's own page allows its origin to be
 * sent). A client that sends neither is not a browser on another site. Behind a proxy, the
 * proxy must pass the Host header through (or set TRUST_PROXY with X-Forwarded-Host).
 */
function refuseCrossOriginLogin(ctx: Context): void {
  const site = ctx.get('Sec-Fetch-Site');
  if (site) {
    if (site !== 'same-origin') throw new Forbidden('Sign-in from another site is refused');
    return;
  }
  const origin = ctx.get('Origin');
  if (!origin) return;
  const host = URL.canParse(origin) ? new URL(origin).host : null;
  if (host !== ctx.host) throw new Forbidden('Sign-in from another site is refused');
}

function sendLoginPage(ctx: Context, status: number, page: Parameters<typeof loginPage>[0] = {}): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', LOGIN_PAGE_CSP);
  // The form's POST then carries its real Origin (a no-referrer policy would make it `null`).
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.body = loginPage(page);
}
