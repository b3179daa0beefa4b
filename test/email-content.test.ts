import { loadConfig } from '../shared/config.js';
import { REJECTION_REASONS } from '../shared/domain.js';
import { WEBHOOK_TYPES } from '../shared/webhooks/types.js';
import { EMAIL_SOURCE_TYPES, emailFor } from '../worker/email/kinds.js';
import { type EmailFacts, formatInstant, renderEmail } from '../worker/email/render.js';
import { classifySendError } from '../worker/email/transport.js';
import { TEST_JWT_SECRET } from './support/config.js';

/** Which email each outbox message makes, the words, and the settings: pure, no services. */
describe('which email a message makes', () => {
  const as = (type: string, data: Record<string, unknown> = {}) =>
    emailFor({ type, userId: 'u1', data })?.kind ?? null;

  test('one mapping from outbox messages to emails; what the user did and saw answered makes none', () => {
    expect(as('booking.confirmed')).toBe('booking_confirmed');
    expect(as('hold.confirmed')).toBe('booking_confirmed');
    expect(as('booking.rejected')).toBe('booking_rejected');
    expect(as('booking.waitlisted')).toBe('waitlisted');
    expect(as('waitlist.promoted', { booking: {}, hold: null })).toBe('waitlist_promoted');
    expect(as('waitlist.promoted', { booking: null, hold: {} })).toBe('offer_hold');
    expect(as('hold.expired')).toBe('hold_expired');
    expect(as('booking.cancelled', { reason: null })).toBe('booking_cancelled');
    for (const type of ['booking.cancelled', 'hold.released', 'waitlist.left'])
      expect(as(type, { reason: 'event_cancelled' })).toBe('event_cancelled');
    expect(as('hold.created')).toBeNull();
    expect(as('hold.released', { reason: null })).toBeNull();
    expect(as('waitlist.left', { reason: 'left' })).toBeNull();
    expect(as('event.cancelled')).toBeNull();
    expect(as('event.updated')).toBeNull();
    expect(emailFor({ type: 'booking.confirmed', userId: null, data: {} })).toBeNull();
  });

  test('the types the relay reads are exactly those that can make an email', () => {
    expect([...EMAIL_SOURCE_TYPES].sort()).toEqual(
      WEBHOOK_TYPES.filter((t) => !['hold.created', 'event.updated', 'event.cancelled'].includes(t)).sort(),
    );
  });
});

describe('the words', () => {
  const facts = (over: Partial<EmailFacts>): EmailFacts => ({
    kind: 'booking_rejected',
    recipientName: 'Ada',
    event: { name: 'Gig', venue: 'Hall', startsAt: new Date('2030-01-15T20:00:00Z'), timeZone: null },
    data: {},
    waitlistPosition: null,
    ...over,
  });

  test('every rejection reason has words, none shows its code', () => {
    for (const reason of Object.values(REJECTION_REASONS)) {
      const email = renderEmail(facts({ data: { bookingRequest: { id: 'r', kind: 'book', reason } } }));
      expect(email.text).not.toContain(reason);
      expect(email.text).toMatch(/We could not complete your booking: \w/);
    }
  });

  test('a start time in the event’s zone, named; without one, in UTC, said so', () => {
    const at = new Date('2030-01-15T20:00:00Z');
    expect(formatInstant(at, 'America/New_York')).toBe(
      'Tuesday, 15 January 2030 at 15:00 GMT-5 (America/New_York)',
    );
    expect(formatInstant(at, null)).toBe('Tuesday, 15 January 2030 at 20:00 UTC');
  });

  test('a subject stays one header line whatever the event is called', () => {
    const email = renderEmail(facts({ event: { ...facts({}).event, name: 'Gig\r\nBcc: x@evil.test' } }));
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});

describe('SMTP answers', () => {
  test('5xx is permanent, 4xx and connection errors are temporary, a 5xx to AUTH is the operator’s to fix', () => {
    expect(classifySendError({ responseCode: 550, permanent: true, response: '550 no such user' })).toEqual({
      permanent: true,
      error: '550 no such user',
    });
    expect(classifySendError({ responseCode: 451, permanent: false, response: '451 later' }).permanent).toBe(
      false,
    );
    expect(classifySendError({ code: 'ESOCKET', message: 'connect ECONNREFUSED' }).permanent).toBe(false);
    expect(classifySendError({ code: 'EAUTH', responseCode: 535, permanent: true }).permanent).toBe(false);
  });
});

describe('email settings', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, ...env });

  test('off without SMTP_URL; on with it and MAIL_FROM, whose domain names the Message-IDs', () => {
    expect(load({}).email.transport).toBe('off');
    const on = load({
      SMTP_URL: 'smtp://u:p@mail.example.com:587',
      MAIL_FROM: 'Evently <Tickets@Example.COM>',
    });
    expect(on.email).toMatchObject({ transport: 'smtp', messageIdDomain: 'example.com' });
    expect(load({ MAIL_TRANSPORT: 'log' }).email.transport).toBe('log');
  });

  test('refused with one line naming the setting', () => {
    expect(() => load({ SMTP_URL: 'smtp://mail.example.com' })).toThrow(
      'MAIL_FROM is required with SMTP_URL',
    );
    expect(() => load({ SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'a@b.c' })).toThrow(
      'SMTP_URL must be an smtp:// or smtps:// URL',
    );
    expect(() => load({ MAIL_FROM: 'nobody' })).toThrow(
      'MAIL_FROM must be addr@domain or Name <addr@domain>',
    );
    expect(() => load({ MAIL_TRANSPORT: 'log', NODE_ENV: 'production', JWT_SECRET: 'x' })).toThrow(
      'MAIL_TRANSPORT=log is for development, not production',
    );
  });
});
