import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { ADMIN_LOGIN_PATH } from './admin-session.js';
import { jsonOnly } from './json-only.js';

/** The one request whose body may be something other than JSON: the admin login form's POST. */
const isAdminLoginForm = (ctx: Context) =>
  ctx.method === 'POST' && ctx.path === ADMIN_LOGIN_PATH && Boolean(ctx.is('urlencoded'));

/**
 * `jsonOnly()` for every request but the admin login form, whose body (two short fields) is
 * parsed here instead, so the JSON body parser after this leaves it alone.
 */
export function jsonOnlyExceptAdminLoginForm(): Middleware {
  const json = jsonOnly();
  const form = bodyParser({ enableTypes: ['form'], formLimit: '4kb', encoding: 'utf-8' });
  return (ctx, next) => (isAdminLoginForm(ctx) ? form(ctx, next) : json(ctx, next));
}
