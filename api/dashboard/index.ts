import path from 'node:path';
import Router from '@koa/router';
import Joi from 'joi';
import type { Context, Middleware, Next } from 'koa';
import type { User } from '../../shared/db/models/index.js';
import { AppError, Unauthorized, ValidationFailed } from '../../shared/errors.js';
import { CONSOLE_PATH } from '../console/index.js';
import type { ApiDeps, AppState } from '../context.js';
import { labelRoute } from '../metrics/http.js';
import { ADMIN_LOGIN_PATH, prefersHtml, requireAdminSession } from '../middleware/admin-session.js';
import { requireSameOrigin } from '../middleware/same-origin.js';
import {
  ADMIN_SESSION_COOKIE,
  adminSessionCookie,
  carriesSessionCookie,
  expiredAdminSessionCookie,
} from '../middleware/session-cookie.js';
import { validate } from '../middleware/validate.js';
import { email } from '../routes/auth.js';
import { type RateLimits, rateLimitHeaders } from '../services/rate-limits.js';
import { signIn } from '../services/sign-in.js';
import type { Tokens } from '../services/tokens.js';
import { BOARD_UI_PATH, checkBoardRequest, DASHBOARD_PATH, QueueBoard } from './board.js';
import { LOGIN_PAGE_CSP, loginPage } from './login-page.js';
import { StaticAssets } from './static-assets.js';

const STATIC_PREFIX = `${DASHBOARD_PATH}/static/`;

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
  const assets = new StaticAssets(path.join(BOARD_UI_PATH, 'dist/static'));

  /** Hands the request to bull-board after bringing its queue list up to date. */
  const serveBoard = async (ctx: Context, next: Next) => {
    // The page's assets come from our own table of bull-board's files, never its koa-static.
    if (ctx.path.startsWith(STATIC_PREFIX) && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      await assets.serve(ctx, ctx.path.slice(STATIC_PREFIX.length));
      return;
    }
    await board.refresh();
    // Malformed escapes, prototype or unknown queue names, unknown job states: the service's own
    // 4xx, before bull-board sees them (it threw on some, and took others as a queue's key).
    checkBoardRequest(ctx.path.slice(DASHBOARD_PATH.length), ctx.querystring, ctx.query, (name) =>
      board.hasQueue(name),
    );
    await board.app(ctx, next);
    if (typeof ctx.body === 'string' && ctx.response.is('html')) ctx.body = withoutRemoteFonts(ctx.body);
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
    // Login CSRF (a page elsewhere signing the browser in to the attacker's account): the form
    // sets the cookie, so it must be posted from this origin too, with or without a cookie.
    requireSameOrigin(ctx);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    let user: User;
    try {
      // The same budgets as POST /auth/login: per client IP, and per account; every answer tells
      // the caller where it stands (RateLimit, RateLimit-Policy), as that route's do.
      const quota = await limits.authAttempt(ctx.ip);
      if (quota) ctx.set(rateLimitHeaders(quota));
      const form = validate(loginForm, body, 'body');
      user = await signIn(limits, form.email, form.password);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || !prefersHtml(ctx)) throw err;
      // The error's own headers (Retry-After and the RateLimit fields of a 429, ...), as the JSON
      // answer would carry them (api/middleware/error-handler.ts).
      for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
      sendLoginPage(ctx, err.status, {
        error: formMessage(err),
        email: typeof body.email === 'string' ? body.email : '',
      });
      return;
    }
    // Any account may sign in; the dashboard itself answers 403 to non-admins.
    const { accessToken, expiresIn } = tokens.issue(user);
    ctx.set('Set-Cookie', adminSessionCookie(accessToken, expiresIn, secure));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(CONSOLE_PATH);
  });

  const logout = async (ctx: Context) => {
    // POST is covered by the app-wide check (api/middleware/same-origin.ts); GET (and HEAD) are
    // the one safe-method route that changes state, so they prove their origin here, by the same
    // rule: the dashboard's link sends `Sec-Fetch-Site: same-origin`, an <img> on a sibling
    // subdomain sends `same-site` and is refused. Without a cookie there is nothing to revoke.
    if (carriesSessionCookie(ctx)) requireSameOrigin(ctx);
    const token = ctx.cookies.get(ADMIN_SESSION_COOKIE);
    const principal = token
      ? await tokens.verify(token, 'access').catch((err) => {
          if (err instanceof Unauthorized) return null; // expired or revoked already: nothing to revoke
          throw err;
        })
      : null;
    if (principal) await tokens.revoke(principal);
    ctx.set('Set-Cookie', expiredAdminSessionCookie(secure));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(ADMIN_LOGIN_PATH);
  };
  // GET too, so the dashboard's "Log out" link works.
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
 * bull-board's page without its Google Fonts stylesheet: the service works offline and loads
 * nothing from elsewhere (CSP, api/middleware/security-headers.ts). Its styles fall back to the
 * system's sans-serif and monospace fonts (`--font-sans: "IBM Plex Sans", system-ui, ...`).
 */
export const withoutRemoteFonts = (html: string) =>
  html.replace(/<link\b[^>]*\bhref="https:\/\/fonts\.(?:googleapis|gstatic)\.com\/[^"]*"[^>]*>\s*/g, '');

/** What the form tells a person about a refused sign-in. */
function formMessage(err: AppError): string {
  if (err instanceof Unauthorized) return 'Wrong email or password.';
  if (err instanceof ValidationFailed) return 'Enter your email address and password.';
  if (err.status === 429) {
    const seconds = Number(err.headers['Retry-After']);
    return Number.isFinite(seconds) && seconds > 0
      ? `Too many attempts; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`
      : 'Too many attempts; try again later.';
  }
  return err.message; // e.g. a disabled account: the domain error's own sentence
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
