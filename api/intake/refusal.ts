import { bookingRefusal } from '../../shared/booking-rules.js';
import { Event } from '../../shared/db/models/index.js';
import { REJECTION_REASONS } from '../../shared/domain.js';
import { Conflict, NotFound } from '../../shared/errors.js';
import type { Principal } from '../context.js';

const MESSAGES = {
  [REJECTION_REASONS.eventCancelled]: 'This event has been cancelled',
  [REJECTION_REASONS.eventNotOnSale]: 'This event is not on sale',
} as const;

/**
 * The error for a booking or hold the intake statement refused because of its event (the rare
 * path, so the event is read only now). A missing event is `404`, and so is one never published
 * to anyone but an admin (its existence is not theirs to learn); otherwise `409` with the reason
 * of the one rule, shared/booking-rules.ts: a draft is `409 event_not_on_sale` to an admin.
 */
export async function eventRefusal(eventId: string, principal: Principal): Promise<Error> {
  const event = await Event.findByPk(eventId, { attributes: ['id', 'status', 'publishedAt', 'startsAt'] });
  if (!event || (!event.isPublic() && principal.role !== 'admin')) return new NotFound('Event');
  // On sale again by now (a race with an admin's edit): the statement saw it off sale.
  const reason = bookingRefusal(event, new Date()) ?? REJECTION_REASONS.eventNotOnSale;
  return new Conflict(reason, MESSAGES[reason]);
}
