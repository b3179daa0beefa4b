import { type EventStatus, REJECTION_REASONS } from './domain.js';

/**
 * "Can this event take a booking?": the one rule, for book and hold requests and for confirming a
 * hold. An event takes bookings while it is on sale and has not started; a draft takes none, from
 * anyone (admins may see a draft, not book it). The allocation step decides by it under the
 * event's lock (worker/allocation/ledger.ts); intake checks the same rule in its statement
 * (api/intake/) so that nothing is recorded for an event that cannot take it.
 */

/** The one status in which an event takes bookings. */
const ON_SALE: EventStatus = 'on_sale';

/** What the rule reads of an event. */
export interface BookableEvent {
  status: EventStatus;
  startsAt: Date;
}

/** Why an event cannot take a booking: the rejection reasons clients see (stable strings). */
export type BookingRefusal =
  | typeof REJECTION_REASONS.eventCancelled
  | typeof REJECTION_REASONS.eventNotOnSale;

/** Null when the event can take a booking at `now`; otherwise why not. */
export function bookingRefusal(event: BookableEvent, now: Date): BookingRefusal | null {
  if (event.status === 'cancelled') return REJECTION_REASONS.eventCancelled;
  if (event.status !== ON_SALE || event.startsAt <= now) return REJECTION_REASONS.eventNotOnSale;
  return null;
}

export function canTakeBookings(event: BookableEvent, now: Date): boolean {
  return bookingRefusal(event, now) === null;
}

/**
 * The same rule as a SQL condition on the `events` row named `alias`, for a statement that checks
 * it where the row is; `now` is the statement's `now()`. test/booking-rules.test.ts checks that it
 * answers as `canTakeBookings()` does.
 */
export function canTakeBookingsSql(alias: string): string {
  if (!/^[a-z_]+$/.test(alias)) throw new Error(`not a table alias: ${alias}`);
  return `(${alias}.status = '${ON_SALE}' AND ${alias}.starts_at > now())`;
}
