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

/** Why a booking request was rejected. Stable strings: clients branch on them. */
export const REJECTION_REASONS = {
  soldOut: 'sold_out',
  eventNotOnSale: 'event_not_on_sale',
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
} as const;
export type RejectionReason = (typeof REJECTION_REASONS)[keyof typeof REJECTION_REASONS];

/** Webhook message types written to the outbox (Standard Webhooks `type`). */
export type WebhookType =
  | 'booking.confirmed'
  | 'booking.rejected'
  | 'booking.cancelled'
  | 'event.updated'
  | 'event.cancelled'
  | 'hold.created'
  | 'hold.confirmed'
  | 'hold.expired'
  | 'hold.released'
  | 'booking.waitlisted'
  | 'waitlist.promoted'
  | 'waitlist.left';
