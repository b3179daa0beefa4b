import { QueryTypes } from 'sequelize';
import { metricsRegistry } from '../shared/metrics.js';
import type { Actor } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import {
  book,
  cancelBooking,
  confirmHold,
  createActor,
  createEvent,
  createSeatedEvent,
  hold,
  registerUser,
} from './support/factory.js';
import { waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { emailTestEnv, type ReceivedEmail, SmtpReceiver } from './support/smtp-receiver.js';

interface NotificationRow {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string | null;
  messageId: string;
}

describe('attendee emails over SMTP', () => {
  const receiver = new SmtpReceiver();
  beforeAll(() => receiver.start());
  const api = useTestApi(
    () => ({
      ...emailTestEnv(receiver),
      // An offer hold of 30 s is reminded 25 s before it ends; a shorter one is not reminded.
      MAIL_HOLD_REMINDER_SECONDS: '25',
    }),
    { workers: 'in-process' },
  );
  afterAll(() => receiver.stop());
  let admin: Actor;
  beforeEach(async () => {
    receiver.answer(() => 'accept');
    admin ??= await createActor(api.baseUrl, 'admin');
  });

  async function notificationsOf(user: Actor): Promise<NotificationRow[]> {
    return api.deps.sequelize.query<NotificationRow>(
      `SELECT id, kind, status, attempts, last_error AS "lastError", message_id AS "messageId"
         FROM email_notifications WHERE user_id = $id ORDER BY created_at, id`,
      { bind: { id: user.id }, type: QueryTypes.SELECT },
    );
  }

  /** Waits for `count` accepted emails to `user` and returns them. */
  async function emailsTo(user: Actor, count: number): Promise<ReceivedEmail[]> {
    return waitFor(
      async () => receiver.to(user.email).length >= count && receiver.to(user.email),
      undefined,
      () => `${count} emails to ${user.email} (got: ${receiver.to(user.email).map((e) => e.subject)})`,
    );
  }

  const withSubject = (emails: ReceivedEmail[], start: string) => {
    const found = emails.filter((e) => e.subject.startsWith(start));
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  test('a confirmed booking: the event, its venue, its start in its time zone, the seats, what next; HTML escaped; a Message-ID from the outbox message', async () => {
    const event = await createSeatedEvent(
      api.baseUrl,
      admin,
      [{ section: 'Stalls', rows: ['A'], seats: { from: 1, to: 4 } }],
      {
        name: 'Jazz & <Blues>',
        venue: 'Blue "Hall"',
        startsAt: '2030-05-01T17:00:00Z',
        timeZone: 'europe/berlin',
      },
    );
    expect(event).toMatchObject({ timeZone: 'Europe/Berlin' });
    const buyer = await registerUser(api.baseUrl, 'ada');
    await api.deps.sequelize.query(`UPDATE users SET name = 'Ada <b>' WHERE id = $id`, {
      bind: { id: buyer.id },
    });
    const outcome = await book(api, buyer, event.id, { quantity: 2 });
    expect(outcome.status).toBe('confirmed');

    const [email] = await emailsTo(buyer, 1);
    expect(email!.subject).toBe('Booking confirmed: Jazz & <Blues>');
    expect(email!.headers.get('from')).toBe('Evently <tickets@evently.test>');
    expect(email!.headers.get('auto-submitted')).toBe('auto-generated');
    expect(email!.text).toContain('Hello Ada <b>,');
    expect(email!.text).toContain('Event: Jazz & <Blues>');
    expect(email!.text).toContain('Venue: Blue "Hall"');
    expect(email!.text).toContain('Starts: Wednesday, 1 May 2030 at 19:00 CEST (Europe/Berlin)');
    expect(email!.text).toContain(`Booking: ${outcome.booking.id}`);
    const seats = (outcome.booking.seats as { section: string; row: string; number: number }[])
      .map((s) => `section ${s.section}, row ${s.row}, seat ${s.number}`)
      .join('; ');
    expect(seats).toMatch(/^section Stalls, row A, seat \d; section Stalls, row A, seat \d$/);
    expect(email!.text).toContain(`Seats: ${seats}`);
    expect(email!.text).toContain('What to do next: Keep this email');
    // Everything a person typed is escaped in the HTML part.
    expect(email!.html).toContain('Jazz &amp; &lt;Blues&gt;');
    expect(email!.html).toContain('Blue &quot;Hall&quot;');
    expect(email!.html).toContain('Hello Ada &lt;b&gt;,');
    expect(email!.html).not.toMatch(/<Blues>|<b>,/);

    // One notification, sent on the first attempt, named after the outbox message it reports.
    const [outbox] = await api.deps.sequelize.query<{ messageId: string }>(
      `SELECT message_id AS "messageId" FROM webhook_outbox WHERE type = 'booking.confirmed' AND ordering_key = $id`,
      { bind: { id: outcome.id }, type: QueryTypes.SELECT },
    );
    expect(email!.messageId).toBe(`<${outbox!.messageId}@evently.test>`);
    // The row is marked sent just after the server's 250, which the receiver may report first.
    await waitFor(async () => (await notificationsOf(buyer))[0]?.status === 'sent');
    expect(await notificationsOf(buyer)).toEqual([
      expect.objectContaining({
        kind: 'booking_confirmed',
        status: 'sent',
        attempts: 1,
        messageId: outbox!.messageId,
      }),
    ]);
  });

  test('rejected with the reason in words, waitlisted with a place in line, promoted, cancelled; a start time without a zone says UTC', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1, startsAt: '2030-06-01T18:30:00Z' });
    const [first, second, third] = await Promise.all(
      ['first', 'second', 'third'].map((l) => registerUser(api.baseUrl, l)),
    );
    const booked = await book(api, first!, event.id, { quantity: 1 });
    expect(booked.status).toBe('confirmed');
    expect((await book(api, second!, event.id, { quantity: 1 })).status).toBe('rejected');
    expect((await book(api, third!, event.id, { quantity: 1, waitlist: true })).status).toBe('waitlisted');

    const rejected = withSubject(await emailsTo(second!, 1), 'Your booking was not successful');
    expect(rejected.text).toContain('We could not complete your booking: there were not enough seats left.');
    expect(rejected.text).toContain('Starts: Saturday, 1 June 2030 at 18:30 UTC');
    const waitlisted = withSubject(await emailsTo(third!, 1), 'You are on the waitlist');
    expect(waitlisted.text).toContain('Place in line: 1');

    expect((await cancelBooking(api, first!, booked.booking.id)).status).toBe('cancelled');
    const cancelled = withSubject(await emailsTo(first!, 2), 'Booking cancelled');
    expect(cancelled.text).toContain(`Booking: ${booked.booking.id}`);
    const promoted = withSubject(await emailsTo(third!, 2), 'You got seats from the waitlist');
    expect(promoted.text).toContain('your booking is confirmed');
  });

  test('an offer hold: its deadline, a reminder before it ends, then the booking; a shorter offer is not reminded, and its expiry is', async () => {
    const event = await createEvent(api.baseUrl, admin, {
      capacity: 1,
      waitlistPromotion: 'hold',
      holdTtlSeconds: 30,
    });
    const [holder, waiting] = await Promise.all(
      ['holder', 'waiting'].map((l) => registerUser(api.baseUrl, l)),
    );
    const booked = await book(api, holder!, event.id, { quantity: 1 });
    await book(api, waiting!, event.id, { quantity: 1, waitlist: true });
    await cancelBooking(api, holder!, booked.booking.id);

    const offer = withSubject(await emailsTo(waiting!, 2), 'Seats held for you until');
    const [holdRow] = await api.deps.sequelize.query<{ id: string; expiresAt: Date }>(
      `SELECT id, expires_at AS "expiresAt" FROM holds WHERE event_id = $id`,
      { bind: { id: event.id }, type: QueryTypes.SELECT },
    );
    expect(offer.text).toContain(`Hold: ${holdRow!.id}`);
    expect(offer.text).toMatch(/Confirm before: \w+day, .* UTC/);
    // 25 s before the end of a 30 s hold: the reminder sweep makes one, named after the hold.
    const reminder = withSubject(await emailsTo(waiting!, 3), 'Reminder: your held seats go at');
    expect(reminder.messageId).toBe(`<hold-expiring-${holdRow!.id}@evently.test>`);
    expect((await confirmHold(api, waiting!, holdRow!.id)).status).toBe('confirmed');
    withSubject(await emailsTo(waiting!, 4), 'Booking confirmed');
    expect((await notificationsOf(waiting!)).map((n) => n.kind)).toEqual([
      'waitlisted',
      'offer_hold',
      'offer_hold_expiring',
      'booking_confirmed',
    ]);

    // A 5 s offer is shorter than the 25 s lead: its offer email gave the deadline; then it expires.
    const short = await createEvent(api.baseUrl, admin, {
      capacity: 1,
      waitlistPromotion: 'hold',
      holdTtlSeconds: 5,
    });
    const [owner, next] = await Promise.all(['owner', 'next'].map((l) => registerUser(api.baseUrl, l)));
    const taken = await book(api, owner!, short.id, { quantity: 1 });
    await book(api, next!, short.id, { quantity: 1, waitlist: true });
    await cancelBooking(api, owner!, taken.booking.id);
    const expired = withSubject(await emailsTo(next!, 3), 'Your held seats were released');
    expect(expired.text).toContain('book again');
    expect((await notificationsOf(next!)).map((n) => n.kind)).toEqual([
      'waitlisted',
      'offer_hold',
      'hold_expired',
    ]);
  });

  test('an event cancellation: one email per booking, hold and place in line it ended; a hold of ones own makes none', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 2 });
    const [booker, holder, waiting] = await Promise.all(
      ['booker', 'holder', 'waiting'].map((l) => registerUser(api.baseUrl, l)),
    );
    await book(api, booker!, event.id, { quantity: 1 });
    expect((await hold(api, holder!, event.id, { quantity: 1 })).status).toBe('held');
    await book(api, waiting!, event.id, { quantity: 1, waitlist: true });
    expect((await api.http().post(`/events/${event.id}/cancel`).set(admin.auth)).status).toBe(200);

    const ended = {
      booker: 'your booking is cancelled',
      holder: 'your held seats are released',
      waiting: 'the waitlist is closed',
    };
    for (const [user, count, words] of [
      [booker!, 2, ended.booker],
      [holder!, 1, ended.holder],
      [waiting!, 2, ended.waiting],
    ] as const) {
      const email = withSubject(await emailsTo(user, count), 'Event cancelled');
      expect(email.text).toContain(`The organiser has cancelled this event, so ${words}.`);
    }
    expect((await notificationsOf(holder!)).map((n) => n.kind)).toEqual(['event_cancelled']);
  });

  test('a user turns emails off and on; off also stops an email already waiting; partners start with them off', async () => {
    const user = await registerUser(api.baseUrl, 'quiet');
    const me = await api.http().get('/auth/me').set(user.auth);
    expect(me.body.emailNotifications).toBe(true);
    expectApiError(
      await api.http().patch('/auth/me').set(user.auth).send({ emailNotifications: 'nope' }),
      400,
    );
    expectApiError(await api.http().patch('/auth/me').set(user.auth).send({}), 400);
    const off = await api.http().patch('/auth/me').set(user.auth).send({ emailNotifications: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: user.id, emailNotifications: false });

    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const quiet = await book(api, user, event.id, { quantity: 1 });
    // Relayed, and no notification made of it.
    await waitFor(async () => {
      const [row] = await api.deps.sequelize.query<{ relayed: boolean }>(
        `SELECT relayed_at IS NOT NULL AS relayed FROM webhook_outbox WHERE ordering_key = $id`,
        { bind: { id: quiet.id }, type: QueryTypes.SELECT },
      );
      return row?.relayed;
    });
    expect(await notificationsOf(user)).toEqual([]);

    // On again; the server keeps refusing this user's email for now (451, try later)...
    expect(
      (await api.http().patch('/auth/me').set(user.auth).send({ emailNotifications: true })).status,
    ).toBe(200);
    receiver.answer((email) =>
      email.to.includes(user.email) ? { code: 451, message: 'try later' } : 'accept',
    );
    await book(api, user, event.id, { quantity: 1 });
    await waitFor(async () => ((await notificationsOf(user))[0]?.attempts ?? 0) >= 1);
    // ...and the user turns emails off while it waits: it is not sent when the server is back.
    await api.http().patch('/auth/me').set(user.auth).send({ emailNotifications: false });
    receiver.answer(() => 'accept');
    await waitFor(async () => (await notificationsOf(user))[0]?.status === 'skipped');
    expect(await notificationsOf(user)).toEqual([
      expect.objectContaining({ kind: 'booking_confirmed', status: 'skipped', lastError: 'emails off' }),
    ]);
    expect(receiver.to(user.email)).toEqual([]);

    const partner = await createActor(api.baseUrl, 'partner');
    expect((await api.http().get('/auth/me').set(partner.auth)).body.emailNotifications).toBe(false);
  });

  test('a 4xx answer is retried, a 5xx fails the email for good, recorded and counted', async () => {
    const [later, never] = await Promise.all(['later', 'never'].map((l) => registerUser(api.baseUrl, l)));
    receiver.answer((email, nth) => {
      if (email.to.includes(later!.email) && nth === 1) return { code: 450, message: 'mailbox busy' };
      if (email.to.includes(never!.email)) return { code: 550, message: 'no such mailbox' };
      return 'accept';
    });
    const failedBefore = await emailCount('booking_confirmed', 'failed');
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    await Promise.all([
      book(api, later!, event.id, { quantity: 1 }),
      book(api, never!, event.id, { quantity: 1 }),
    ]);

    await emailsTo(later!, 1);
    await waitFor(async () => (await notificationsOf(later!))[0]?.status === 'sent');
    expect(await notificationsOf(later!)).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
    expect(receiver.to(later!.email)).toHaveLength(1);

    await waitFor(async () => (await notificationsOf(never!))[0]?.status === 'failed');
    const [failed] = await notificationsOf(never!);
    expect(failed).toMatchObject({ attempts: 1, lastError: expect.stringContaining('550') });
    // Tried once: a permanent answer is not retried.
    expect(receiver.arrived.filter((e) => e.to.includes(never!.email))).toHaveLength(1);
    expect(await emailCount('booking_confirmed', 'failed')).toBe(failedBefore + 1);
  });

  test('the SMTP server down (connections refused) for a few retries: every email arrives once it is back', async () => {
    const users = await Promise.all(
      Array.from({ length: 5 }, (_, i) => registerUser(api.baseUrl, `patient${i}`)),
    );
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    await receiver.stop();
    try {
      await Promise.all(users.map((u) => book(api, u, event.id, { quantity: 1 })));
      // Each email was refused a connection at least three times.
      await waitFor(async () => {
        const rows = (await Promise.all(users.map(notificationsOf))).flat();
        return rows.length === users.length && rows.every((n) => n.status === 'pending' && n.attempts >= 3);
      });
    } finally {
      await receiver.start();
    }
    await waitFor(async () =>
      (await Promise.all(users.map(notificationsOf))).flat().every((n) => n.status === 'sent'),
    );
    for (const user of users) expect(receiver.to(user.email)).toHaveLength(1);
    const [last] = await notificationsOf(users[0]!);
    expect(last!.attempts).toBeGreaterThanOrEqual(4);
  });

  async function emailCount(kind: string, result: string): Promise<number> {
    const metric = await metricsRegistry.getSingleMetric('evently_emails_total')?.get();
    return metric?.values.find((v) => v.labels.kind === kind && v.labels.result === result)?.value ?? 0;
  }
});
