import type {
  Booking,
  BookingRequest,
  Hold,
  WaitlistEntry,
  WebhookDelivery,
} from '../shared/db/models/index.js';

/** The JSON shapes of bookings and booking requests, one place for each. */

export function presentBooking(booking: Booking) {
  return {
    id: booking.id,
    eventId: booking.eventId,
    userId: booking.userId,
    requestId: booking.requestId,
    status: booking.status,
    quantity: booking.quantity,
    seats: booking.seats ?? null,
    holdId: booking.holdId ?? null,
    createdAt: booking.createdAt,
    cancelledAt: booking.cancelledAt ?? null,
    links: { self: `/bookings/${booking.id}`, event: `/events/${booking.eventId}` },
  };
}

export function presentHold(hold: Hold) {
  return {
    id: hold.id,
    eventId: hold.eventId,
    userId: hold.userId,
    requestId: hold.requestId,
    status: hold.status,
    quantity: hold.quantity,
    seats: hold.seats ?? null,
    expiresAt: hold.expiresAt,
    bookingId: hold.bookingId ?? null,
    createdAt: hold.createdAt,
    endedAt: hold.endedAt ?? null,
    links: {
      self: `/holds/${hold.id}`,
      confirm: `/holds/${hold.id}/confirm`,
      release: `/holds/${hold.id}/release`,
      event: `/events/${hold.eventId}`,
    },
  };
}

export function presentWaitlistEntry(entry: WaitlistEntry, position: number | null) {
  return {
    id: entry.id,
    eventId: entry.eventId,
    userId: entry.userId,
    requestId: entry.requestId,
    status: entry.status,
    position,
    quantity: entry.quantity,
    minQuantity: entry.minQuantity,
    section: entry.section ?? null,
    bookingId: entry.bookingId ?? null,
    holdId: entry.holdId ?? null,
    createdAt: entry.createdAt,
    endedAt: entry.endedAt ?? null,
    links: {
      self: `/waitlist/${entry.id}`,
      leave: `/waitlist/${entry.id}/leave`,
      event: `/events/${entry.eventId}`,
    },
  };
}

/** What a request produced, loaded by `requestResults()` (api/intake/view.ts). */
export interface RequestResults {
  position: number | null;
  booking: Booking | null;
  hold: Hold | null;
  waitlist: { entry: WaitlistEntry; position: number | null } | null;
}

export function presentBookingRequest(
  request: BookingRequest,
  { position, booking, hold, waitlist }: RequestResults = NO_RESULTS,
) {
  return {
    id: request.id,
    kind: request.kind,
    eventId: request.eventId,
    status: request.status,
    reason: request.reason ?? null,
    reasonDetails: request.reasonDetails ?? null,
    position,
    payload: request.payload,
    booking: booking ? presentBooking(booking) : null,
    hold: hold ? presentHold(hold) : null,
    waitlistEntry: waitlist ? presentWaitlistEntry(waitlist.entry, waitlist.position) : null,
    queuedAt: request.queuedAt,
    decidedAt: request.decidedAt ?? null,
    links: { self: `/booking-requests/${request.id}`, event: `/events/${request.eventId}` },
  };
}

const NO_RESULTS: RequestResults = { position: null, booking: null, hold: null, waitlist: null };

export function presentDelivery(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    messageId: delivery.message?.messageId ?? null,
    type: delivery.message?.type ?? null,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatus: delivery.lastStatus ?? null,
    lastError: delivery.lastError ?? null,
    nextAttemptAt: delivery.nextAttemptAt ?? null,
    deliveredAt: delivery.deliveredAt ?? null,
    createdAt: delivery.createdAt,
  };
}
