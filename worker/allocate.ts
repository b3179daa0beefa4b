import {
  type BookingRequestKind,
  type BookingStatus,
  type EventStatus,
  REJECTION_REASONS,
  type RejectionReason,
} from '../shared/domain.js';

/**
 * The seat-allocation decision, and nothing else: pure, so every rule is testable without a
 * database. The processor wraps it in one transaction and writes what it returns.
 */

export interface EventState {
  status: EventStatus;
  capacity: number;
  booked: number;
  held: number;
  startsAt: Date;
}

export interface PendingRequest {
  id: string;
  principalId: string;
  kind: BookingRequestKind;
  /** `quantity` for book, `bookingId` for cancel. */
  quantity?: number;
  bookingId?: string;
}

export interface BookingState {
  id: string;
  userId: string;
  status: BookingStatus;
  quantity: number;
}

export type Decision =
  | { requestId: string; outcome: 'confirmed'; booking: { id: string; userId: string; quantity: number } }
  | { requestId: string; outcome: 'cancelled'; booking: { id: string; userId: string; quantity: number } }
  | { requestId: string; outcome: 'rejected'; reason: RejectionReason };

export interface Allocation {
  decisions: Decision[];
  /** The event's `booked` counter after all decisions. */
  booked: number;
}

/**
 * Decides `requests` in the order given (the caller passes them in arrival order).
 * A request that does not fit is rejected; later, smaller requests may still fit, which is
 * first-come-first-served per request, not head-of-line blocking.
 */
export function allocate(
  event: EventState,
  requests: readonly PendingRequest[],
  bookings: ReadonlyMap<string, BookingState>,
  now: Date,
  newId: () => string,
): Allocation {
  let booked = event.booked;
  const bookingStatus = new Map<string, BookingStatus>();
  const decisions: Decision[] = [];

  for (const request of requests) {
    if (request.kind === 'book') {
      const quantity = request.quantity ?? 0;
      const reason = bookRejection(event, now, quantity, booked);
      if (reason) {
        decisions.push({ requestId: request.id, outcome: 'rejected', reason });
        continue;
      }
      booked += quantity;
      decisions.push({
        requestId: request.id,
        outcome: 'confirmed',
        booking: { id: newId(), userId: request.principalId, quantity },
      });
      continue;
    }

    const booking = request.bookingId ? bookings.get(request.bookingId) : undefined;
    if (!booking) {
      decisions.push({
        requestId: request.id,
        outcome: 'rejected',
        reason: REJECTION_REASONS.bookingNotFound,
      });
      continue;
    }
    const status = bookingStatus.get(booking.id) ?? booking.status;
    if (status === 'cancelled') {
      decisions.push({
        requestId: request.id,
        outcome: 'rejected',
        reason: REJECTION_REASONS.alreadyCancelled,
      });
      continue;
    }
    bookingStatus.set(booking.id, 'cancelled');
    booked -= booking.quantity;
    decisions.push({
      requestId: request.id,
      outcome: 'cancelled',
      booking: { id: booking.id, userId: booking.userId, quantity: booking.quantity },
    });
  }

  return { decisions, booked };
}

function bookRejection(
  event: EventState,
  now: Date,
  quantity: number,
  booked: number,
): RejectionReason | null {
  if (event.status === 'cancelled') return REJECTION_REASONS.eventCancelled;
  if (event.status !== 'on_sale' || event.startsAt <= now) return REJECTION_REASONS.eventNotOnSale;
  if (quantity < 1 || booked + event.held + quantity > event.capacity) return REJECTION_REASONS.soldOut;
  return null;
}
