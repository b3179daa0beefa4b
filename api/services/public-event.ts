import type { Context } from 'koa';
import { Event } from '../../shared/db/models/index.js';
import { NotFound } from '../../shared/errors.js';
import { readPrincipal } from '../middleware/authenticate.js';
import type { Tokens } from './tokens.js';

/**
 * An event as anyone may see it: one that was never published, or is a draft now, is "not
 * found" to everyone but admins (`Event.isPublic`).
 */
export async function visibleEvent(tokens: Tokens, ctx: Context, id: string): Promise<Event> {
  const event = await Event.findByPk(id);
  if (!event) throw new NotFound('Event');
  if (!event.isPublic()) {
    const principal = ctx.get('Authorization')
      ? await readPrincipal(tokens, ctx.get('Authorization'))
      : undefined;
    if (principal?.role !== 'admin') throw new NotFound('Event');
  }
  return event;
}
