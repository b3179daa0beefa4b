import { WEBHOOK_TYPES } from '../../shared/webhooks/types.js';

/**
 * Which email an outbox message makes, and for whom: the one mapping from webhook messages to
 * attendee emails (docs/architecture.md, Email notifications). The relay calls it on every
 * message it relays; the reminder sweep makes the one kind no message reports
 * (`offer_hold_expiring`).
 */
export const EMAIL_KINDS = [
  'booking_confirmed',
  'booking_rejected',
  'waitlisted',
  'waitlist_promoted',
  'offer_hold',
  'offer_hold_expiring',
  'hold_expired',
  'booking_cancelled',
  'event_cancelled',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** The fields of an outbox row the mapping reads. */
export interface RelayedMessage {
  type: string;
  userId: string | null;
  data: { reason?: unknown; hold?: unknown };
}

/**
 * The email a message makes, or null. Changes a user made themselves and saw answered (a hold
 * they asked for, releasing it, leaving the line) make none; a change the event's cancellation
 * made is "event cancelled", whichever booking, hold or place in line it ended. Messages about
 * no one person (`event.*`) make none: the cancellation's per-person messages carry the news.
 */
export function emailFor(message: RelayedMessage): { kind: EmailKind; userId: string } | null {
  const { type, userId, data } = message;
  if (!userId) return null;
  const byEventCancellation = data.reason === 'event_cancelled';
  const kind = ((): EmailKind | null => {
    switch (type) {
      case 'booking.confirmed':
      case 'hold.confirmed':
        return 'booking_confirmed';
      case 'booking.rejected':
        return 'booking_rejected';
      case 'booking.waitlisted':
        return 'waitlisted';
      case 'waitlist.promoted':
        // An offer: seats held for the head of the line until a deadline, or booked outright.
        return data.hold ? 'offer_hold' : 'waitlist_promoted';
      case 'hold.expired':
        return 'hold_expired';
      case 'booking.cancelled':
        return byEventCancellation ? 'event_cancelled' : 'booking_cancelled';
      case 'hold.released':
      case 'waitlist.left':
        return byEventCancellation ? 'event_cancelled' : null;
      default:
        return null;
    }
  })();
  return kind ? { kind, userId } : null;
}

/**
 * The message types that can make an email, derived from `emailFor` (so the two cannot drift):
 * the relay reads only these rows' payloads.
 */
export const EMAIL_SOURCE_TYPES: readonly string[] = WEBHOOK_TYPES.filter((type) =>
  [{}, { reason: 'event_cancelled' }, { hold: {} }].some((data) =>
    emailFor({ type, userId: 'someone', data }),
  ),
);
