import type { Booking, BookingRequest, WebhookDelivery } from '../shared/db/models/index.js';

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
    createdAt: booking.createdAt,
    cancelledAt: booking.cancelledAt ?? null,
    links: { self: `/bookings/${booking.id}`, event: `/events/${booking.eventId}` },
  };
}

export function presentBookingRequest(
  request: BookingRequest,
  position: number | null,
  booking: Booking | null,
) {
  return {
    id: request.id,
    kind: request.kind,
    eventId: request.eventId,
    status: request.status,
    reason: request.reason ?? null,
    position,
    payload: request.payload,
    booking: booking ? presentBooking(booking) : null,
    queuedAt: request.queuedAt,
    decidedAt: request.decidedAt ?? null,
    links: { self: `/booking-requests/${request.id}`, event: `/events/${request.eventId}` },
  };
}

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
