import type { NewOutboxMessage } from '../../shared/db/outbox.js';
import type {
  BookingRequestStatus,
  BookingStatus,
  EventStatus,
  HoldStatus,
  KindAndPayload,
  PurchaseReference,
  RejectionReason,
  Seating,
  WaitlistPromotion,
} from '../../shared/domain.js';
import type { Seat } from './seat-inventory.js';

/** What one allocation step reads (load-event-state.ts) and writes (apply-changes.ts). */

export interface EventState {
  status: EventStatus;
  capacity: number;
  booked: number;
  held: number;
  startsAt: Date;
  seating: Seating;
  waitlistPromotion: WaitlistPromotion;
  holdTtlSeconds: number;
  /** Most tickets one buyer may have; null is no cap. */
  maxTicketsPerUser: number | null;
}

/** A queued booking request; its `kind` types its `payload` (decoded as it was read). */
export type PendingRequest = KindAndPayload & {
  id: string;
  userId: string;
  /** Arrival order; a waitlist entry keeps its request's place. */
  seq: string;
  /** When it was accepted: a confirm accepted before its hold's `expiresAt` is in time. */
  queuedAt: Date;
  /** The partner's reference (book and hold; none for the other kinds). */
  reference: PurchaseReference;
};

/** A pending request of the given kinds, its payload typed accordingly. */
export type RequestOf<K extends PendingRequest['kind']> = Extract<PendingRequest, { kind: K }>;

export interface BookingState {
  id: string;
  userId: string;
  requestId: string;
  /** Its purchase's reference, read from (or, new, given by) the purchase's first request. */
  reference: PurchaseReference;
  status: BookingStatus;
  quantity: number;
  seats: Seat[];
}

export interface HoldState {
  id: string;
  userId: string;
  requestId: string;
  /** Its purchase's reference, read from (or, new, given by) the purchase's first request. */
  reference: PurchaseReference;
  status: HoldStatus;
  quantity: number;
  seats: Seat[];
  expiresAt: Date;
  bookingId: string | null;
}

export interface WaitlistEntryState {
  id: string;
  userId: string;
  requestId: string;
  /** Its purchase's reference, read from (or, new, given by) the purchase's first request. */
  reference: PurchaseReference;
  seq: string;
  quantity: number;
  minQuantity: number;
  section: string | null;
}

export interface NewBooking {
  id: string;
  userId: string;
  /** The request that began the purchase: the book request, or the hold's request. */
  requestId: string;
  /** Its purchase's reference, read from (or, new, given by) the purchase's first request. */
  reference: PurchaseReference;
  quantity: number;
  seats: Seat[];
  holdId: string | null;
}

export interface NewHold {
  id: string;
  userId: string;
  requestId: string;
  /** Its purchase's reference, read from (or, new, given by) the purchase's first request. */
  reference: PurchaseReference;
  quantity: number;
  seats: Seat[];
  expiresAt: Date;
}

export interface RequestUpdate {
  requestId: string;
  status: Exclude<BookingRequestStatus, 'queued'>;
  reason: RejectionReason | null;
  details: Record<string, unknown> | null;
  bookingId: string | null;
  holdId: string | null;
  /** True for a queued request decided now; false for a waitlisted one promoted now. */
  decided: boolean;
}

/** Everything a step changes; written in one transaction or not at all. */
export interface Changes {
  bookings: NewBooking[];
  cancelledBookings: BookingState[];
  holds: NewHold[];
  endedHolds: { hold: HoldState; status: Exclude<HoldStatus, 'active'>; bookingId: string | null }[];
  joinedWaitlist: WaitlistEntryState[];
  promoted: { entry: WaitlistEntryState; bookingId: string | null; holdId: string | null }[];
  requests: RequestUpdate[];
  outbox: NewOutboxMessage[];
  booked: number;
  held: number;
}
