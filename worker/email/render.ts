import { type RejectionReason, seatsText } from '../../shared/domain.js';
import type { EmailKind } from './kinds.js';

/**
 * The emails' words, as plain text and HTML, from one description of each kind. Pure: the facts
 * in, the message out. Everything in the HTML that came from a person (event name, venue, seat
 * labels, the recipient's name) is escaped; the text part needs no escaping.
 */

/** A booking, hold or place in line as the outbox message (or the reminder's hold row) shows it. */
interface Purchase {
  id?: string;
  quantity?: number;
  seats?: { section: string; row: string; number: number }[] | null;
  expiresAt?: string | Date;
  section?: string | null;
}

export interface EmailFacts {
  kind: EmailKind;
  recipientName: string;
  event: { name: string; venue: string; startsAt: Date; timeZone: string | null };
  /** The outbox message's `data`, or `{ hold }` for a reminder. */
  data: {
    bookingRequest?: {
      id?: string;
      kind?: string;
      status?: string;
      reason?: string;
      details?: unknown;
    } | null;
    booking?: Purchase | null;
    hold?: Purchase | null;
    waitlistEntry?: Purchase | null;
  };
  waitlistPosition: number | null;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Why a request was rejected, in words a buyer understands. */
const REASONS: Record<RejectionReason, string> = {
  sold_out: 'there were not enough seats left',
  event_not_on_sale: 'the event is not on sale',
  event_cancelled: 'the event has been cancelled',
  event_started: 'the event had already started: sales and cancellations close at its start',
  booking_not_found: 'we could not find that booking',
  already_cancelled: 'that booking was already cancelled',
  seat_taken: 'a seat you chose was taken by someone else first',
  waitlist_limit_reached: 'you are already waiting for this event as many times as one person may',
  hold_not_found: 'we could not find that hold',
  hold_released: 'the hold had already been released',
  hold_confirmed: 'the hold had already been confirmed',
  hold_expired: 'the hold had expired before you confirmed it',
  ticket_limit_reached: 'you have reached this event’s limit of tickets per person',
  hold_limit_reached: 'you already hold seats for this event as many times as one person may',
  processing_failed:
    'we could not process it because of an error on our side; nothing was charged or reserved',
};

const REQUESTS: Record<string, string> = {
  book: 'booking',
  hold: 'request to hold seats',
  cancel: 'cancellation',
  confirm_hold: 'confirmation of your held seats',
  release_hold: 'release of your held seats',
};

/** An instant in the event's time zone, named; without one, in UTC, and it says so. */
export function formatInstant(at: Date, timeZone: string | null): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: timeZone ?? 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(at);
  return timeZone ? `${text} (${timeZone})` : text;
}

const seatsLine = (p: Purchase | null | undefined): string | null =>
  p?.seats && p.seats.length > 0 ? seatsText(p.seats) : null;

/** One kind's content: a subject, what happened, the purchase's lines, and what to do next. */
interface Content {
  subject: string;
  lead: string;
  lines: [label: string, value: string | null | undefined][];
  next: string;
}

function describe(f: EmailFacts): Content {
  const { data, event } = f;
  const when = (at: string | Date | undefined) => (at ? formatInstant(new Date(at), event.timeZone) : null);
  const booking = data.booking;
  const hold = data.hold;
  const tickets = (p: Purchase | null | undefined) => (p?.quantity ? String(p.quantity) : null);
  const request = data.bookingRequest;
  switch (f.kind) {
    case 'booking_confirmed':
      return {
        subject: `Booking confirmed: ${event.name}`,
        lead: 'Your booking is confirmed.',
        lines: [
          ['Booking', booking?.id],
          ['Tickets', tickets(booking)],
          ['Seats', seatsLine(booking)],
        ],
        next: 'Keep this email: the booking reference is your ticket. Nothing else to do until the event.',
      };
    case 'booking_rejected': {
      const reason = REASONS[request?.reason as RejectionReason] ?? `it was refused (${request?.reason})`;
      const what = REQUESTS[request?.kind ?? ''] ?? 'request';
      return {
        subject: `Your ${what} was not successful: ${event.name}`,
        lead: `We could not complete your ${what}: ${reason}.`,
        lines: [['Request', request?.id]],
        next:
          request?.reason === 'sold_out'
            ? 'Seats may free up: you can ask to join the waitlist when you book again.'
            : 'Nothing was changed. You can try again while the event has seats.',
      };
    }
    case 'waitlisted':
      return {
        subject: `You are on the waitlist: ${event.name}`,
        lead: 'The event is sold out for now, so you are on its waitlist.',
        lines: [
          ['Place in line', f.waitlistPosition === null ? null : String(f.waitlistPosition)],
          ['Tickets wanted', tickets(data.waitlistEntry)],
          ['Section', data.waitlistEntry?.section],
        ],
        next: 'Nothing to do now: we write again as soon as seats free up for you.',
      };
    case 'waitlist_promoted':
      return {
        subject: `You got seats from the waitlist: ${event.name}`,
        lead: 'Seats freed up and they are yours: your booking is confirmed.',
        lines: [
          ['Booking', booking?.id],
          ['Tickets', tickets(booking)],
          ['Seats', seatsLine(booking)],
        ],
        next: 'Keep this email: the booking reference is your ticket.',
      };
    case 'offer_hold':
      return {
        subject: `Seats held for you until ${when(hold?.expiresAt)}: ${event.name}`,
        lead: 'Seats freed up and we are holding them for you, the next in line.',
        lines: [
          ['Hold', hold?.id],
          ['Tickets', tickets(hold)],
          ['Seats', seatsLine(hold)],
          ['Confirm before', when(hold?.expiresAt)],
        ],
        next: 'Confirm the hold before the deadline to book these seats; after it they go to the next person in line.',
      };
    case 'offer_hold_expiring':
      return {
        subject: `Reminder: your held seats go at ${when(hold?.expiresAt)}: ${event.name}`,
        lead: 'The seats we are holding for you are about to be released.',
        lines: [
          ['Hold', hold?.id],
          ['Tickets', tickets(hold)],
          ['Seats', seatsLine(hold)],
          ['Confirm before', when(hold?.expiresAt)],
        ],
        next: 'Confirm the hold now to book these seats, or release it to let the next person have them.',
      };
    case 'hold_expired':
      return {
        subject: `Your held seats were released: ${event.name}`,
        lead: 'The hold expired before it was confirmed, so its seats were released.',
        lines: [
          ['Hold', hold?.id],
          ['Seats', seatsLine(hold)],
        ],
        next: 'If you still want to go, book again while the event has seats.',
      };
    case 'booking_cancelled':
      return {
        subject: `Booking cancelled: ${event.name}`,
        lead: 'Your booking has been cancelled, as asked.',
        lines: [
          ['Booking', booking?.id],
          ['Tickets', tickets(booking)],
          ['Seats', seatsLine(booking)],
        ],
        next: 'Nothing else to do. The seats are offered to others.',
      };
    case 'event_cancelled': {
      const what = booking
        ? 'your booking is cancelled'
        : hold
          ? 'your held seats are released'
          : 'the waitlist is closed';
      const purchase = booking ?? hold ?? data.waitlistEntry;
      return {
        subject: `Event cancelled: ${event.name}`,
        lead: `The organiser has cancelled this event, so ${what}.`,
        lines: [
          [booking ? 'Booking' : hold ? 'Hold' : 'Waitlist entry', purchase?.id],
          ['Seats', seatsLine(purchase)],
        ],
        next: booking
          ? 'Nothing to do on your side: the booking no longer stands, and its tickets are void.'
          : 'Nothing to do on your side.',
      };
    }
  }
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const FOOTER =
  'You receive this email because email notifications are on for your account; ' +
  'you can turn them off in your account settings.';

export function renderEmail(f: EmailFacts): RenderedEmail {
  const c = describe(f);
  const rows: [string, string][] = [
    ['Event', f.event.name],
    ['Venue', f.event.venue],
    ['Starts', formatInstant(f.event.startsAt, f.event.timeZone)],
    ...c.lines.filter((l): l is [string, string] => typeof l[1] === 'string' && l[1] !== ''),
  ];
  const text = [
    `Hello ${f.recipientName},`,
    '',
    c.lead,
    '',
    ...rows.map(([label, value]) => `${label}: ${value}`),
    '',
    `What to do next: ${c.next}`,
    '',
    '-- ',
    FOOTER,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<p>Hello ${escapeHtml(f.recipientName)},</p>`,
    `<p>${escapeHtml(c.lead)}</p>`,
    '<table>',
    ...rows.map(
      ([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    `<p><strong>What to do next:</strong> ${escapeHtml(c.next)}</p>`,
    `<p style="color: #666; font-size: small">${escapeHtml(FOOTER)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: c.subject.replace(/[\r\n]+/g, ' '), text, html };
}
