import Joi from 'joi';
import type { WhereOptions } from 'sequelize';
import { Forbidden, NotFound } from '../shared/errors.js';
import type { Principal } from './context.js';
import { pageQuery } from './pagination.js';
import { uuid } from './schemas.js';

/** The query of a list of someone's things (bookings, holds, waitlist entries), by `statuses`. */
export const ownedListQuery = (statuses: readonly string[], things: string) =>
  Joi.object({
    ...pageQuery,
    eventId: uuid.description('Only this event'),
    status: Joi.string().valid(...statuses),
    userId: uuid.description(`Admins only: that user’s ${things}`),
  });

/**
 * Everyone lists their own; an admin may name another user (`userId`). Plus the `eventId` and
 * `status` filters every such list has.
 */
export function ownedListWhere(
  principal: Principal,
  query: { userId?: string; eventId?: string; status?: string },
  things: string,
): WhereOptions[] {
  if (query.userId && principal.role !== 'admin')
    throw new Forbidden(`Only admins can list other users’ ${things}`);
  const where: WhereOptions[] = [{ userId: query.userId ?? principal.id }];
  if (query.eventId) where.push({ eventId: query.eventId });
  if (query.status) where.push({ status: query.status });
  return where;
}

/**
 * One thing as its owner (or an admin) sees it. Someone else's is "not found", not
 * "forbidden": its existence is not theirs to learn.
 */
export function ownedBy<T>(principal: Principal, thing: T | null, owner: (t: T) => string, what: string): T {
  if (!thing || (principal.role !== 'admin' && owner(thing) !== principal.id)) throw new NotFound(what);
  return thing;
}
