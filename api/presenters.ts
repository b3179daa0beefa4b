import type { Includeable } from 'sequelize';
import {
  type Booking,
  BookingRequest,
  Event,
  type Hold,
  type WaitlistEntry,
  type WebhookDelivery,
} from '../shared/db/models/index.js';
import { NO_REFERENCE, type PurchaseReference } from '../shared/domain.js';

/** The JSON shapes of bookings and booking requests, one place for each. */

/**
 * What a booking request is read with to be presented: its event's summary, joined in the same
 * query (a page of history costs one query, not one per row).
 */
export const REQUEST_INCLUDES: Includeable[] = [
  { model: Event, as: 'event', attributes: ['id', 'name', 'venue', 'startsAt'] },
];

/**
 * What a booking, hold or waitlist entry is read with to be presented: its event's summary and its
 * purchase's first request, where the partner's reference lives (docs/architecture.md), both
 * joined by primary key in the same query.
 */
export const PURCHASE_INCLUDES: Includeable[] = [
  ...REQUEST_INCLUDES,
  { model: BookingRequest, as: 'purchase', attributes: ['id', 'externalReference', 'metadata'] },
];

/** The event a buyer's history names: enough to recognise it without another call. */
function eventSummary(thing: { eventId: string; event?: Event }) {
  const { event } = thing;
  if (!event) throw new Error('presented without its event: read it with REQUEST_INCLUDES');
  return { id: event.id, name: event.name, venue: event.venue, startsAt: event.startsAt };
}

/** The partner's reference of a booking, hold or entry: its purchase's first request's. */
export function purchaseReference(thing: { purchase?: BookingRequest }): PurchaseReference {
  const { purchase } = thing;
  if (!purchase) throw new Error('presented without its purchase: read it with PURCHASE_INCLUDES');
  return requestReference(purchase);
}

/** A booking request's own reference: a book or hold request's; none for the other kinds. */
function requestReference(request: BookingRequest): PurchaseReference {
  return {
    externalReference: request.externalReference ?? NO_REFERENCE.externalReference,
    metadata: request.metadata ?? NO_REFERENCE.metadata,
  };
}

export function presentBooking(booking: Booking) {
  return {
    id: booking.id,
    eventId: booking.eventId,
    event: eventSummary(booking),
    userId: booking.userId,
    requestId: booking.requestId,
    ...purchaseReference(booking),
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
    event: eventSummary(hold),
    userId: hold.userId,
    requestId: hold.requestId,
    ...purchaseReference(hold),
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
    event: eventSummary(entry),
    userId: entry.userId,
    requestId: entry.requestId,
    ...purchaseReference(entry),
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
    event: eventSummary(request),
    status: request.status,
    reason: request.reason ?? null,
    reasonDetails: request.reasonDetails ?? null,
    position,
    payload: request.payload,
    ...requestReference(request),
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
