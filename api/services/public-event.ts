import type { Context } from 'koa';
import { Event } from '../../shared/db/models/index.js';
import { NotFound } from '../../shared/errors.js';
import { readPrincipal } from '../middleware/authenticate.js';
import { confirmAccount } from './accounts.js';
import type { Tokens } from './tokens.js';

/**
 * An event as anyone may see it: one that is not public (`Event.isPublic`: never published, or
 * a draft again) is "not found" to everyone but admins, whatever token comes with the request.
 */
export async function visibleEvent(tokens: Tokens, ctx: Context, id: string): Promise<Event> {
  const event = await Event.findByPk(id);
  if (!event) throw new NotFound('Event');
  if (!event.isPublic() && !(await isAdmin(tokens, ctx))) throw new NotFound('Event');
  return event;
}

/**
 * Whether the request comes from an admin (confirmed against the database). A missing, invalid
 * or revoked token is simply "not an admin": on a public read it must not tell a hidden event
 * (401) from a missing one (404).
 */
export async function isAdmin(tokens: Tokens, ctx: Context): Promise<boolean> {
  const header = ctx.get('Authorization');
  if (!header) return false;
  const principal = await readPrincipal(tokens, header).catch(() => undefined);
  if (principal?.role !== 'admin') return false;
  const confirmed = await confirmAccount(principal).catch(() => undefined);
  return confirmed?.role === 'admin';
}
