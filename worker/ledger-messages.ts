import type { OutboxMessage } from '../shared/db/outbox.js';
import type { RejectionReason } from '../shared/domain.js';
import type { HoldState, NewBooking, NewHold, PendingRequest, WaitlistEntryState } from './ledger-types.js';
import type { Seat } from './seat-inventory.js';

/**
 * The webhook messages an allocation step writes to the outbox, one builder per type. Messages
 * about one purchase share its first request's id as ordering key, so an endpoint receives
 * hold.created before hold.confirmed before booking.cancelled.
 */

/** How a seat appears in bookings, holds and webhooks: enough to print a ticket. */
export const seatLabel = ({ id, section, row, number }: Seat) => ({ id, section, row, number });
const seatsOf = (seats: readonly Seat[]) => (seats.length > 0 ? seats.map(seatLabel) : null);

const bookingData = (b: { id: string; quantity: number; seats: readonly Seat[] }, status: string) => ({
  id: b.id,
  status,
  quantity: b.quantity,
  seats: seatsOf(b.seats),
});

const holdData = (h: NewHold | HoldState, status: string) => ({
  id: h.id,
  status,
  quantity: h.quantity,
  seats: seatsOf(h.seats),
  expiresAt: h.expiresAt.toISOString(),
});

export function bookingConfirmed(
  eventId: string,
  booking: NewBooking,
  request: PendingRequest,
): OutboxMessage {
  return {
    type: 'booking.confirmed',
    eventId,
    principalId: booking.userId,
    orderingKey: booking.requestId,
    data: {
      eventId,
      bookingRequest: { id: request.id, status: 'confirmed' },
      booking: bookingData(booking, 'confirmed'),
    },
  };
}

export function bookingRejected(
  eventId: string,
  request: PendingRequest,
  status: 'rejected' | 'expired',
  reason: RejectionReason,
  details: Record<string, unknown> | null,
  orderingKey: string,
): OutboxMessage {
  // A rejection concerns whoever asked.
  return {
    type: 'booking.rejected',
    eventId,
    principalId: request.principalId,
    orderingKey,
    data: {
      eventId,
      bookingRequest: { id: request.id, kind: request.kind, status, reason, details },
      booking: null,
    },
  };
}

export function bookingCancelled(
  eventId: string,
  booking: { id: string; userId: string; requestId: string; quantity: number; seats: readonly Seat[] },
  request: PendingRequest,
): OutboxMessage {
  // A booking's news goes to its owner, also when an admin cancelled it.
  return {
    type: 'booking.cancelled',
    eventId,
    principalId: booking.userId,
    orderingKey: booking.requestId,
    data: {
      eventId,
      bookingRequest: { id: request.id, status: 'cancelled' },
      booking: bookingData(booking, 'cancelled'),
    },
  };
}

export function holdCreated(eventId: string, hold: NewHold, request: PendingRequest): OutboxMessage {
  return {
    type: 'hold.created',
    eventId,
    principalId: hold.userId,
    orderingKey: hold.requestId,
    data: { eventId, bookingRequest: { id: request.id, status: 'held' }, hold: holdData(hold, 'active') },
  };
}

export function holdConfirmed(
  eventId: string,
  hold: HoldState,
  booking: NewBooking,
  request: PendingRequest,
): OutboxMessage {
  return {
    type: 'hold.confirmed',
    eventId,
    principalId: hold.userId,
    orderingKey: hold.requestId,
    data: {
      eventId,
      bookingRequest: { id: request.id, status: 'confirmed' },
      hold: holdData(hold, 'confirmed'),
      booking: bookingData(booking, 'confirmed'),
    },
  };
}

export function holdEnded(
  eventId: string,
  hold: HoldState,
  status: 'expired' | 'released',
  request: PendingRequest | null,
): OutboxMessage {
  return {
    type: status === 'expired' ? 'hold.expired' : 'hold.released',
    eventId,
    principalId: hold.userId,
    orderingKey: hold.requestId,
    data: {
      eventId,
      bookingRequest: request ? { id: request.id, status: 'cancelled' } : null,
      hold: holdData(hold, status),
    },
  };
}

export function bookingWaitlisted(eventId: string, entry: WaitlistEntryState): OutboxMessage {
  return {
    type: 'booking.waitlisted',
    eventId,
    principalId: entry.userId,
    orderingKey: entry.requestId,
    data: {
      eventId,
      bookingRequest: { id: entry.requestId, status: 'waitlisted' },
      waitlistEntry: { id: entry.id, status: 'waiting', quantity: entry.quantity, section: entry.section },
    },
  };
}

export function waitlistPromoted(
  eventId: string,
  entry: WaitlistEntryState,
  result: { booking: NewBooking } | { hold: NewHold },
): OutboxMessage {
  const booking = 'booking' in result ? bookingData(result.booking, 'confirmed') : null;
  const hold = 'hold' in result ? holdData(result.hold, 'active') : null;
  return {
    type: 'waitlist.promoted',
    eventId,
    principalId: entry.userId,
    orderingKey: entry.requestId,
    data: {
      eventId,
      bookingRequest: { id: entry.requestId, status: booking ? 'confirmed' : 'held' },
      waitlistEntry: { id: entry.id, status: 'promoted', quantity: entry.quantity, section: entry.section },
      booking,
      hold,
    },
  };
}
