import { type EventStatus, REJECTION_REASONS } from './domain.js';

/**
 * "Can this event take a booking?": the one rule, for book and hold requests, for confirming a
 * hold and for cancelling a booking. An event takes bookings while it is on sale and has not
 * started; a draft takes none, from anyone (admins may see a draft, not book it). Its start
 * closes sales by itself: no job flips a status, the rule reads the clock it is given. The
 * allocation step decides by it under the event's lock (worker/allocation/ledger.ts, `now` is
 * the step's input); intake checks the same rule in its statement (api/intake/) so that nothing
 * is recorded for an event that cannot take it; the event's representation shows its outcome
 * (`shownStatus()`), and so does the list filter (`shownStatusSql()`).
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
  | typeof REJECTION_REASONS.eventNotOnSale
  | typeof REJECTION_REASONS.eventStarted;

/** Null when the event can take a booking at `now`; otherwise why not. */
export function bookingRefusal(event: BookableEvent, now: Date): BookingRefusal | null {
  if (event.status === 'cancelled') return REJECTION_REASONS.eventCancelled;
  if (event.status !== ON_SALE) return REJECTION_REASONS.eventNotOnSale;
  if (event.startsAt <= now) return REJECTION_REASONS.eventStarted;
  return null;
}

export function canTakeBookings(event: BookableEvent, now: Date): boolean {
  return bookingRefusal(event, now) === null;
}

/**
 * Whether a booking of this event may still be cancelled by its owner: until the event starts.
 * Cancelling after the start would only free seats that can no longer be sold (sales closed with
 * the start), so it would be a refund claim, which is the organiser's business, not the queue's.
 * An admin's cancellation of the whole event is still possible (api/services/event-admin.ts).
 */
export function cancellationRefusal(
  event: BookableEvent,
  now: Date,
): typeof REJECTION_REASONS.eventStarted | null {
  return event.status !== 'cancelled' && event.startsAt <= now ? REJECTION_REASONS.eventStarted : null;
}

/**
 * The same rule as a SQL condition on the `events` row named `alias`, for a statement that checks
 * it where the row is; `now` is the statement's `now()`. test/booking-rules.test.ts checks that it
 * answers as `canTakeBookings()` does.
 */
export function canTakeBookingsSql(alias: string): string {
  return `(${column(alias, 'status')} = '${ON_SALE}' AND ${column(alias, 'starts_at')} > now())`;
}

/**
 * The status an event shows (its representation, the list filter): the stored one, except that
 * an event on sale whose start has passed shows `started`, and once its `endsAt` has passed
 * `ended`; neither takes bookings. `on_sale` thus always means "can be booked now". Stored,
 * it stays `on_sale`: moving `startsAt` later opens sales again, and an admin may still mark it
 * `completed` or cancel it.
 */
export const SHOWN_EVENT_STATUSES = [
  'draft',
  'on_sale',
  'started',
  'ended',
  'cancelled',
  'completed',
] as const;
export type ShownEventStatus = (typeof SHOWN_EVENT_STATUSES)[number];

export function shownStatus(event: BookableEvent & { endsAt: Date | null }, now: Date): ShownEventStatus {
  if (event.status !== ON_SALE || event.startsAt > now) return event.status;
  return event.endsAt && event.endsAt <= now ? 'ended' : 'started';
}

/** `shownStatus(row) = status` as a SQL condition on the `events` row named `alias`. */
export function shownStatusSql(alias: string, status: ShownEventStatus): string {
  const started = `${column(alias, 'status')} = '${ON_SALE}' AND ${column(alias, 'starts_at')} <= now()`;
  const endsAt = column(alias, 'ends_at');
  switch (status) {
    case 'on_sale':
      return canTakeBookingsSql(alias);
    case 'started':
      return `(${started} AND (${endsAt} IS NULL OR ${endsAt} > now()))`;
    case 'ended':
      return `(${started} AND ${endsAt} <= now())`;
    default:
      return `(${column(alias, 'status')} = '${status}')`;
  }
}

/** `alias.name`, or the bare column where the statement names no alias (Sequelize's literal). */
function column(alias: string, name: string): string {
  if (!/^[a-z_]*$/.test(alias)) throw new Error(`not a table alias: ${alias}`);
  return alias ? `${alias}.${name}` : name;
}
