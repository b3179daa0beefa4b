import type { Context, Middleware } from 'koa';
import type { Role } from '../../shared/domain.js';
import { Forbidden, Unauthorized } from '../../shared/errors.js';
import type { AppState, Principal } from '../context.js';
import { confirmAccount } from '../services/accounts.js';
import type { Tokens } from '../services/tokens.js';
import { sessionToken } from './session-cookie.js';

/** The caller behind an `Authorization: Bearer` header; throws 401 for a bad or revoked token. */
export async function readPrincipal(tokens: Tokens, header: string): Promise<Principal> {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  if (!match) throw new Unauthorized(header ? 'Malformed Authorization header' : 'Authentication required');
  return tokens.verify(match[1]!, 'access');
}

/**
 * The caller: by `Authorization: Bearer` header or, without one, on the paths the admin session
 * cookie is sent to (`/admin/...`), by that cookie. The one place the cookie counts as a
 * credential: the console's pages call the admin JSON API with it, and every state change it
 * makes must come from this origin (the app-wide check, api/middleware/same-origin.ts).
 */
export async function readCaller(tokens: Tokens, ctx: Context): Promise<Principal> {
  const header = ctx.get('Authorization');
  const cookie = header ? undefined : sessionToken(ctx);
  return cookie ? tokens.verify(cookie, 'access') : readPrincipal(tokens, header);
}

/** Requires a valid, unrevoked access token (`readCaller`); puts the caller in `ctx.state.principal`. */
export function authenticate(tokens: Tokens): Middleware<AppState> {
  return async (ctx, next) => {
    ctx.state.principal = await readCaller(tokens, ctx);
    await next();
  };
}

/**
 * Only these roles. A route closed to plain users (partner or admin) confirms the account
 * against the database first: the account exists, is enabled, and has the role now.
 */
export function requireRole(...roles: Role[]): Middleware<AppState> {
  const privileged = !roles.includes('user');
  return async (ctx, next) => {
    if (!ctx.state.principal) throw new Unauthorized();
    if (privileged) ctx.state.principal = await confirmAccount(ctx.state.principal);
    const { role } = ctx.state.principal;
    if (!roles.includes(role)) throw new Forbidden(`This needs one of the roles: ${roles.join(', ')}`);
    await next();
  };
}

export function principalOf(state: AppState): Principal {
  if (!state.principal) throw new Unauthorized();
  return state.principal;
}
