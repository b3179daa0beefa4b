import type { Event } from '../db/models/index.js';
import type { NewOutboxMessage } from '../db/outbox.js';
import {
  type BookingRequestKind,
  type PurchaseReference,
  type RejectionReason,
  type SeatLabel,
  seatLabel,
} from '../domain.js';
import type { WebhookType } from './types.js';

/**
 * The webhook messages, one builder per type (shared/webhooks/types.ts lists the types): whoever
 * writes a message, the allocation step's ledger or the API (event changes, leaving the
 * waitlist), a partner gets one shape per type. The `userId` is whose news it is (the
 * owner of the booking, hold or entry, also when an admin acted; the requester for a
 * rejection). Messages about one purchase share its first request's id as ordering key, so an
 * endpoint receives hold.created before hold.confirmed before booking.cancelled, and each carries
 * the purchase's `externalReference` and `metadata` (what the partner gave with that request).
 * Each type's payload is documented (closed: every field, nothing more) in
 * api/openapi/webhooks.ts, and test/webhook-payloads.test.ts checks what these builders write
 * against it: change both.
 */

/** A purchase: whose it is, its first request (the ordering key) and the partner's reference. */
export interface PurchaseFacts {
  userId: string;
  requestId: string;
  reference: PurchaseReference;
}

/** A booking as messages show it. `requestId` is its purchase's first request (the ordering key). */
export interface BookingFacts extends PurchaseFacts {
  id: string;
  quantity: number;
  /** Empty for general admission. */
  seats: readonly SeatLabel[];
}

export interface HoldFacts extends BookingFacts {
  expiresAt: Date;
}

/** A waitlist entry as messages show it; `requestId` is the waitlisted book request. */
export interface WaitlistEntryFacts extends PurchaseFacts {
  id: string;
  quantity: number;
  section: string | null;
}

/** The booking request a message reports on. */
interface RequestFacts {
  id: string;
}

/** Why a booking, hold or entry ended when no booking request of its owner ended it. */
type EndReason = 'event_cancelled' | 'left';

const seatsOf = (seats: readonly SeatLabel[]) => (seats.length > 0 ? seats.map(seatLabel) : null);

const bookingData = (b: BookingFacts, status: string) => ({
  id: b.id,
  status,
  quantity: b.quantity,
  seats: seatsOf(b.seats),
});

const holdData = (h: HoldFacts, status: string) => ({
  id: h.id,
  status,
  quantity: h.quantity,
  seats: seatsOf(h.seats),
  expiresAt: h.expiresAt.toISOString(),
});

const entryData = (e: WaitlistEntryFacts, status: string) => ({
  id: e.id,
  status,
  quantity: e.quantity,
  section: e.section,
});

/**
 * A message about one purchase: its owner's news, ordered with the purchase's other messages,
 * with the partner's reference beside the event id.
 */
function purchaseMessage(
  type: WebhookType,
  eventId: string,
  purchase: PurchaseFacts,
  data: Record<string, unknown>,
): NewOutboxMessage {
  return {
    type,
    eventId,
    userId: purchase.userId,
    orderingKey: purchase.requestId,
    data: { eventId, ...referenceData(purchase.reference), ...data },
  };
}

const referenceData = ({ externalReference, metadata }: PurchaseReference) => ({
  externalReference,
  metadata,
});

/** Who ended a booking or hold: its owner's `request`, or (null) the event's cancellation. */
const endedBy = (request: RequestFacts | null) => ({
  bookingRequest: request ? { id: request.id, status: 'cancelled' } : null,
  reason: request ? null : ('event_cancelled' satisfies EndReason),
});

export function bookingConfirmed(
  eventId: string,
  booking: BookingFacts,
  request: RequestFacts,
): NewOutboxMessage {
  return purchaseMessage('booking.confirmed', eventId, booking, {
    bookingRequest: { id: request.id, status: 'confirmed' },
    booking: bookingData(booking, 'confirmed'),
  });
}

/**
 * A request of any kind rejected, or expired (a confirm too late); it concerns whoever asked.
 * `purchase` is what it acted on: itself for a book or hold request, else the booking's or hold's
 * purchase when there is one (its ordering key and reference).
 */
export function bookingRejected(
  eventId: string,
  request: RequestFacts & { userId: string; kind: BookingRequestKind },
  status: 'rejected' | 'expired',
  reason: RejectionReason,
  details: Record<string, unknown> | null,
  purchase: { requestId: string; reference: PurchaseReference },
): NewOutboxMessage {
  return {
    type: 'booking.rejected',
    eventId,
    userId: request.userId,
    orderingKey: purchase.requestId,
    data: {
      eventId,
      ...referenceData(purchase.reference),
      bookingRequest: { id: request.id, kind: request.kind, status, reason, details },
      booking: null,
    },
  };
}

/** `request` is the cancel request that did it; null when the event's cancellation did. */
export function bookingCancelled(
  eventId: string,
  booking: BookingFacts,
  request: RequestFacts | null,
): NewOutboxMessage {
  return purchaseMessage('booking.cancelled', eventId, booking, {
    ...endedBy(request),
    booking: bookingData(booking, 'cancelled'),
  });
}

export function holdCreated(eventId: string, hold: HoldFacts, request: RequestFacts): NewOutboxMessage {
  return purchaseMessage('hold.created', eventId, hold, {
    bookingRequest: { id: request.id, status: 'held' },
    hold: holdData(hold, 'active'),
  });
}

export function holdConfirmed(
  eventId: string,
  hold: HoldFacts,
  booking: BookingFacts,
  request: RequestFacts,
): NewOutboxMessage {
  return purchaseMessage('hold.confirmed', eventId, hold, {
    bookingRequest: { id: request.id, status: 'confirmed' },
    hold: holdData(hold, 'confirmed'),
    booking: bookingData(booking, 'confirmed'),
  });
}

export function holdExpired(eventId: string, hold: HoldFacts): NewOutboxMessage {
  return purchaseMessage('hold.expired', eventId, hold, {
    bookingRequest: null,
    hold: holdData(hold, 'expired'),
  });
}

/** `request` is the release request that did it; null when the event's cancellation did. */
export function holdReleased(
  eventId: string,
  hold: HoldFacts,
  request: RequestFacts | null,
): NewOutboxMessage {
  return purchaseMessage('hold.released', eventId, hold, {
    ...endedBy(request),
    hold: holdData(hold, 'released'),
  });
}

export function bookingWaitlisted(eventId: string, entry: WaitlistEntryFacts): NewOutboxMessage {
  return purchaseMessage('booking.waitlisted', eventId, entry, {
    bookingRequest: { id: entry.requestId, status: 'waitlisted' },
    waitlistEntry: entryData(entry, 'waiting'),
  });
}

export function waitlistPromoted(
  eventId: string,
  entry: WaitlistEntryFacts,
  result: { booking: BookingFacts } | { hold: HoldFacts },
): NewOutboxMessage {
  const booking = 'booking' in result ? bookingData(result.booking, 'confirmed') : null;
  const hold = 'hold' in result ? holdData(result.hold, 'active') : null;
  return purchaseMessage('waitlist.promoted', eventId, entry, {
    bookingRequest: { id: entry.requestId, status: booking ? 'confirmed' : 'held' },
    waitlistEntry: entryData(entry, 'promoted'),
    booking,
    hold,
  });
}

/**
 * The entry left the line: its user left (`left`), or the event was cancelled (`cancelled`).
 * Its booking request stays `waitlisted`.
 */
export function waitlistLeft(
  eventId: string,
  entry: WaitlistEntryFacts,
  reason: EndReason,
): NewOutboxMessage {
  return purchaseMessage('waitlist.left', eventId, entry, {
    bookingRequest: { id: entry.requestId, status: 'waitlisted' },
    waitlistEntry: entryData(entry, reason === 'left' ? 'left' : 'cancelled'),
    reason,
  });
}

/**
 * `event.updated` / `event.cancelled`: public only for an event anyone may see (see
 * `Event.isPublic`), so a draft's name and details never reach a partner.
 */
const eventMessage = (type: 'event.updated' | 'event.cancelled', event: Event): NewOutboxMessage => ({
  type,
  eventId: event.id,
  userId: null,
  audience: event.isPublic() ? 'public' : 'admins',
  data: { event: event.toJSON() },
});

export const eventUpdated = (event: Event): NewOutboxMessage => eventMessage('event.updated', event);

export const eventCancelled = (event: Event): NewOutboxMessage => eventMessage('event.cancelled', event);
