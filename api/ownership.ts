import Joi from 'joi';
import { literal, Op, type Sequelize, type WhereOptions } from 'sequelize';
import { Forbidden, NotFound } from '../shared/errors.js';
import type { Principal } from './context.js';
import { referenceFields } from './intake/reference.js';
import { pageQuery } from './pagination.js';
import { uuid } from './schemas.js';

/**
 * The query of a list of someone's things (bookings, holds, waitlist entries), by `statuses`;
 * `byReference` adds the `externalReference` filter (things of a purchase).
 */
export const ownedListQuery = (statuses: readonly string[], things: string, byReference = false) =>
  Joi.object({
    ...pageQuery,
    eventId: uuid.description('Only this event'),
    status: Joi.string().valid(...statuses),
    userId: uuid.description(`Admins only: that user’s ${things}`),
    ...(byReference
      ? {
          externalReference: referenceFields.externalReference.description(
            `Only the ${things} of purchases given this \`externalReference\` (exact match) by the ` +
              'caller (admins: by the `userId` listed); another user’s reference finds nothing',
          ),
        }
      : {}),
  });

/**
 * Everyone lists their own; an admin may name another user (`userId`). Plus the `eventId` and
 * `status` filters every such list has.
 */
export function ownedListWhere(
  principal: Principal,
  query: { userId?: string; eventId?: string; status?: string; externalReference?: string },
  things: string,
  sequelize?: Sequelize,
): WhereOptions[] {
  if (query.userId && principal.role !== 'admin')
    throw new Forbidden(`Only admins can list other users’ ${things}`);
  const userId = query.userId ?? principal.id;
  const where: WhereOptions[] = [{ userId }];
  if (query.eventId) where.push({ eventId: query.eventId });
  if (query.status) where.push({ status: query.status });
  if (query.externalReference) {
    if (!sequelize) throw new Error(`${things} are not listed by reference`);
    // The reference lives on the purchase's first request (`request_id`): that user's requests
    // with it, by booking_requests_user_external_reference_idx, then the things naming them.
    where.push({
      requestId: {
        [Op.in]: literal(
          `(SELECT id FROM booking_requests WHERE user_id = ${sequelize.escape(userId)}
              AND external_reference = ${sequelize.escape(query.externalReference)})`,
        ),
      },
    });
  }
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
