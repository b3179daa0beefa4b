import { bookingRefusal } from '../../shared/booking-rules.js';
import { Event } from '../../shared/db/models/index.js';
import { REJECTION_REASONS } from '../../shared/domain.js';
import { Conflict, NotFound } from '../../shared/errors.js';
import type { Principal } from '../context.js';

const MESSAGES = {
  [REJECTION_REASONS.eventCancelled]: 'This event has been cancelled',
  [REJECTION_REASONS.eventNotOnSale]: 'This event is not on sale',
  [REJECTION_REASONS.eventStarted]: 'This event has started: it no longer takes bookings or holds',
} as const;

/**
 * The error for a booking or hold the intake statement refused because of its event (the rare
 * path, so the event is read only now). A missing event is `404`, and so is one never published
 * to anyone but an admin (its existence is not theirs to learn); otherwise `409` with the reason
 * of the one rule, shared/booking-rules.ts: a draft is `409 event_not_on_sale` to an admin, an
 * event whose start has passed `409 event_started`.
 */
export async function eventRefusal(eventId: string, principal: Principal): Promise<Error> {
  const event = await readEvent(eventId);
  if (!visibleTo(event, principal)) return new NotFound('Event');
  // On sale again by now (a race with an admin's edit): the statement saw it off sale.
  const reason = bookingRefusal(event, new Date()) ?? REJECTION_REASONS.eventNotOnSale;
  return new Conflict(reason, MESSAGES[reason]);
}

/**
 * `404` for an event the caller may not see (missing, or not public to a non-admin), else null:
 * asked first wherever an answer could otherwise tell a hidden event from a missing one.
 */
export async function hiddenEventRefusal(eventId: string, principal: Principal): Promise<Error | null> {
  return visibleTo(await readEvent(eventId), principal) ? null : new NotFound('Event');
}

const readEvent = (eventId: string) =>
  Event.findByPk(eventId, { attributes: ['id', 'status', 'publishedAt', 'startsAt'] });

function visibleTo(event: Event | null, principal: Principal): event is Event {
  return event !== null && (event.isPublic() || principal.role === 'admin');
}
