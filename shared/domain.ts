/** The words of the domain, one name per thing (see docs/architecture.md). */

export const ROLES = ['user', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const EVENT_STATUSES = ['draft', 'on_sale', 'cancelled', 'completed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export type BookingRequestKind = 'book' | 'cancel';
export type BookingRequestStatus = 'queued' | 'confirmed' | 'rejected' | 'cancelled';
export type BookingStatus = 'confirmed' | 'cancelled';

export interface BookPayload {
  quantity: number;
}
export interface CancelPayload {
  bookingId: string;
}
export type BookingRequestPayload = BookPayload | CancelPayload;

/** Why a booking request was rejected. Stable strings: clients branch on them. */
export const REJECTION_REASONS = {
  soldOut: 'sold_out',
  eventNotOnSale: 'event_not_on_sale',
  eventCancelled: 'event_cancelled',
  bookingNotFound: 'booking_not_found',
  alreadyCancelled: 'already_cancelled',
} as const;
export type RejectionReason = (typeof REJECTION_REASONS)[keyof typeof REJECTION_REASONS];

/** Webhook message types written to the outbox (Standard Webhooks `type`). */
export type WebhookType =
  | 'booking.confirmed'
  | 'booking.rejected'
  | 'booking.cancelled'
  | 'event.updated'
  | 'event.cancelled';
