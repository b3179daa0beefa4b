import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { AppState } from '../context.js';
import { StaticAssets } from '../dashboard/static-assets.js';
import { requireAdminSession } from '../middleware/admin-session.js';
import type { Tokens } from '../services/tokens.js';

/** The console's page; its views (`#/`, `#/events/<id>`, `#/users`) are chosen by the URL's fragment. */
export const CONSOLE_PATH = '/admin';
/** Its scripts and styles, and the charting library's build, all served from here (no CDN). */
export const CONSOLE_ASSETS_PATH = '/admin/console';

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
/** chart.js's UMD build: one file, no bundler, defines `window.Chart`. */
const CHART_JS = 'chart.umd.min.js';
// Beside the package's main file (its `exports` name no other file).
const CHART_JS_DIR = path.dirname(createRequire(import.meta.url).resolve('chart.js'));

/**
 * Stricter than the API's default policy (api/middleware/security-headers.ts): scripts, styles
 * and fetches from this origin only, no inline script or style at all, nothing from elsewhere
 * (the console must work offline), never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The admin console: one HTML page, plain ES modules and a stylesheet, behind the same sign-in
 * as the queue dashboard (the session cookie, api/middleware/session-cookie.ts). Its modules call
 * the admin JSON API under /admin with that cookie; nothing is rendered on the server.
 */
export function consoleRoutes(tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>();
  const adminOnly = requireAdminSession(tokens);
  const page = readFileSync(path.join(PUBLIC_DIR, 'index.html'), 'utf8');
  const own = new StaticAssets(PUBLIC_DIR);
  const vendor = new StaticAssets(CHART_JS_DIR);

  router.get(CONSOLE_PATH, adminOnly, (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.body = page;
  });

  router.get(`${CONSOLE_ASSETS_PATH}/:name`, adminOnly, async (ctx) => {
    // Still percent-encoded, as StaticAssets expects; the page itself is served above only.
    const name = ctx.path.slice(CONSOLE_ASSETS_PATH.length + 1);
    await (name === CHART_JS ? vendor : own).serve(ctx, name === 'index.html' ? '' : name);
  });

  return router;
}
