/** The words of the domain, one name per thing (see docs/architecture.md). */

export const ROLES = ['user', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const EVENT_STATUSES = ['draft', 'on_sale', 'cancelled', 'completed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const SEATINGS = ['general', 'reserved'] as const;
export type Seating = (typeof SEATINGS)[number];
/** What the head of the waitlist gets when seats free up. */
export const WAITLIST_PROMOTIONS = ['book', 'hold'] as const;
export type WaitlistPromotion = (typeof WAITLIST_PROMOTIONS)[number];

export const BOOKING_REQUEST_KINDS = ['book', 'cancel', 'hold', 'confirm_hold', 'release_hold'] as const;
export type BookingRequestKind = (typeof BOOKING_REQUEST_KINDS)[number];
export const BOOKING_REQUEST_STATUSES = [
  'queued',
  'confirmed',
  'rejected',
  'cancelled',
  'held',
  'waitlisted',
  'expired',
] as const;
export type BookingRequestStatus = (typeof BOOKING_REQUEST_STATUSES)[number];
export type BookingStatus = 'confirmed' | 'cancelled';
export const HOLD_STATUSES = ['active', 'confirmed', 'expired', 'released'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];
export const WAITLIST_STATUSES = ['waiting', 'promoted', 'left', 'cancelled'] as const;
export type WaitlistStatus = (typeof WAITLIST_STATUSES)[number];

/**
 * What a book or hold request asks for: `quantity` seats (best available, in `section` if
 * given, for a reserved event), or exactly `seats`. `minQuantity` accepts fewer when fewer are
 * free; `waitlist` joins the event's line instead of a rejection when nothing fits.
 */
export interface BookPayload {
  quantity: number;
  seats?: string[];
  section?: string;
  minQuantity?: number;
  waitlist?: boolean;
}
export interface CancelPayload {
  bookingId: string;
}
export interface HoldActionPayload {
  holdId: string;
}
export type BookingRequestPayload = BookPayload | CancelPayload | HoldActionPayload;

/** The payload each kind of booking request carries. */
export interface PayloadByKind {
  book: BookPayload;
  hold: BookPayload;
  cancel: CancelPayload;
  confirm_hold: HoldActionPayload;
  release_hold: HoldActionPayload;
}

/** A booking request's kind with its payload, typed together: narrowing on `kind` types `payload`. */
export type KindAndPayload = {
  [K in BookingRequestKind]: { kind: K; payload: PayloadByKind[K] };
}[BookingRequestKind];

/**
 * Reads a stored payload (`booking_requests.payload`, untyped jsonb) where its row is read, and
 * checks its shape once, so nothing downstream casts it. Intake validated it before the insert:
 * a payload that does not fit its kind is a corrupt row, and throws.
 */
export function decodePayload(kind: string, json: unknown): KindAndPayload {
  const fail = (why: string): never => {
    throw new Error(`booking request payload of kind ${kind} is malformed: ${why}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not an object');
  const fields = json as Record<string, unknown>;
  const id = (key: string): string => {
    const value = fields[key];
    return typeof value === 'string' ? value : fail(`${key} is not a string`);
  };
  switch (kind) {
    case 'book':
    case 'hold':
      return { kind, payload: decodeBookPayload(fields, fail) };
    case 'cancel':
      return { kind, payload: { bookingId: id('bookingId') } };
    case 'confirm_hold':
    case 'release_hold':
      return { kind, payload: { holdId: id('holdId') } };
    default:
      return fail('unknown kind');
  }
}

function decodeBookPayload(fields: Record<string, unknown>, fail: (why: string) => never): BookPayload {
  const { quantity, seats, section, minQuantity, waitlist } = fields;
  const count = (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= 1;
  if (!count(quantity)) return fail('quantity is not a positive integer');
  const payload: BookPayload = { quantity };
  if (seats !== undefined) {
    const ids = Array.isArray(seats) && seats.every((s): s is string => typeof s === 'string');
    payload.seats = ids ? seats : fail('seats is not a list of seat ids');
  }
  if (section !== undefined) payload.section = typeof section === 'string' ? section : fail('bad section');
  if (minQuantity !== undefined)
    payload.minQuantity = count(minQuantity) ? minQuantity : fail('bad minQuantity');
  if (waitlist !== undefined)
    payload.waitlist = typeof waitlist === 'boolean' ? waitlist : fail('bad waitlist');
  return payload;
}

/**
 * A partner's own reference for a purchase, given with the booking or hold request that starts
 * it and echoed wherever that purchase appears (its requests' polls, its booking, hold or
 * waitlist entry, every webhook about it). Stored once, on that request (docs/architecture.md).
 */
export interface PurchaseReference {
  externalReference: string | null;
  /** String keys and values, Stripe's limits (PURCHASE_REFERENCE_LIMITS); `{}` when none. */
  metadata: Record<string, string>;
}

export const PURCHASE_REFERENCE_LIMITS = {
  externalReferenceLength: 100,
  metadataKeys: 20,
  metadataKeyLength: 40,
  metadataValueLength: 500,
} as const;

/** What a request without a reference (and a purchase begun before references existed) carries. */
export const NO_REFERENCE: PurchaseReference = Object.freeze({
  externalReference: null,
  metadata: Object.freeze({}) as Record<string, string>,
});

/** A stored reference (`external_reference`, `metadata` columns) as the domain reads it. */
export function decodeReference(externalReference: string | null, metadata: unknown): PurchaseReference {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new Error('booking request metadata is malformed: not an object');
  }
  return { externalReference, metadata: metadata as Record<string, string> };
}

/** How a seat appears in bookings, holds (their `seats` column) and webhooks: enough to print a ticket. */
export interface SeatLabel {
  id: string;
  section: string;
  row: string;
  number: number;
}
export const seatLabel = ({ id, section, row, number }: SeatLabel): SeatLabel => ({
  id,
  section,
  row,
  number,
});

/** Seats in words, for people (emails, the attendee CSV): `section A, row 1, seat 5; ...`. */
export const seatsText = (seats: readonly Omit<SeatLabel, 'id'>[]): string =>
  seats.map((s) => `section ${s.section}, row ${s.row}, seat ${s.number}`).join('; ');

/** Why a booking request was rejected. Stable strings: clients branch on them. */
export const REJECTION_REASONS = {
  soldOut: 'sold_out',
  eventNotOnSale: 'event_not_on_sale',
  eventStarted: 'event_started',
  eventCancelled: 'event_cancelled',
  bookingNotFound: 'booking_not_found',
  alreadyCancelled: 'already_cancelled',
  seatTaken: 'seat_taken',
  waitlistLimit: 'waitlist_limit_reached',
  holdNotFound: 'hold_not_found',
  holdReleased: 'hold_released',
  holdConfirmed: 'hold_confirmed',
  holdExpired: 'hold_expired',
  ticketLimit: 'ticket_limit_reached',
  holdLimit: 'hold_limit_reached',
  /**
   * The allocation step failed on this request every time it was tried (MAX_PROCESSING_ATTEMPTS),
   * with an error that is not a passing one: it is set aside so that its event moves on.
   */
  processingFailed: 'processing_failed',
} as const;
export type RejectionReason = (typeof REJECTION_REASONS)[keyof typeof REJECTION_REASONS];
