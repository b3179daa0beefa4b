import type { OutboxMessage } from '../shared/db/outbox.js';
import type {
  BookingRequestKind,
  BookingRequestPayload,
  BookingRequestStatus,
  BookingStatus,
  EventStatus,
  HoldStatus,
  RejectionReason,
  Seating,
  WaitlistPromotion,
} from '../shared/domain.js';
import type { Seat } from './seat-inventory.js';

/** What one allocation step reads (worker/load-event-state.ts) and writes (worker/apply-changes.ts). */

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

export interface PendingRequest {
  id: string;
  principalId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  /** Arrival order; a waitlist entry keeps its request's place. */
  seq: string;
  /** When it was accepted: a confirm accepted before its hold's `expiresAt` is in time. */
  queuedAt: Date;
}

export interface BookingState {
  id: string;
  userId: string;
  requestId: string;
  status: BookingStatus;
  quantity: number;
  seats: Seat[];
}

export interface HoldState {
  id: string;
  userId: string;
  requestId: string;
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
  quantity: number;
  seats: Seat[];
  holdId: string | null;
}

export interface NewHold {
  id: string;
  userId: string;
  requestId: string;
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
  outbox: OutboxMessage[];
  booked: number;
  held: number;
}
