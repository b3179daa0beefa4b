import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import {
  bookingRefusal,
  canTakeBookings,
  canTakeBookingsSql,
  SHOWN_EVENT_STATUSES,
  shownStatus,
  shownStatusSql,
} from '../shared/booking-rules.js';
import type { EventStatus } from '../shared/domain.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book, queueBooking } from './support/factory.js';
import { outcomeOf, startInProcessWorker } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { countRows } from './support/rows.js';
import { createSeatedEvent } from './support/seating.js';

/**
 * "Can this event take a booking?" is one rule (shared/booking-rules.ts), used by the allocation
 * step and by intake's statement, and answered the same way by every check before it.
 */
describe('one rule: can this event take a booking?', () => {
  const api = useTestApi();
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  const http = () => request(api.baseUrl);
  const STATUSES: EventStatus[] = ['draft', 'on_sale', 'cancelled', 'completed'];
  const NOW = new Date('2030-01-01T00:00:00Z');

  test.each([
    ['on sale, not started', 'on_sale', 1, null],
    ['on sale, starting now', 'on_sale', 0, 'event_started'],
    ['on sale, started', 'on_sale', -1, 'event_started'],
    ['a draft', 'draft', 1, 'event_not_on_sale'],
    ['completed', 'completed', 1, 'event_not_on_sale'],
    ['cancelled', 'cancelled', 1, 'event_cancelled'],
    ['cancelled and started', 'cancelled', -1, 'event_cancelled'],
  ] as const)('%s -> %s', (_label, status, startsInMs, refusal) => {
    const event = { status, startsAt: new Date(NOW.getTime() + startsInMs) };
    expect(bookingRefusal(event, NOW)).toBe(refusal);
    expect(canTakeBookings(event, NOW)).toBe(refusal === null);
  });

  test("the SQL form answers as the TypeScript rule, for every status and start around the statement's now()", async () => {
    const rows = await api.deps.sequelize.query<{
      status: EventStatus;
      startsAt: Date;
      now: Date;
      ok: boolean;
    }>(
      `SELECT e.status, e.starts_at AS "startsAt", now() AS now, ${canTakeBookingsSql('e')} AS ok
         FROM (SELECT s AS status, now() + o::interval AS starts_at
                 FROM unnest($statuses::text[]) AS s, unnest($offsets::text[]) AS o) AS e`,
      {
        bind: { statuses: STATUSES, offsets: ['-1 day', '-1 second', '0 seconds', '1 second', '1 day'] },
        type: QueryTypes.SELECT,
      },
    );
    expect(rows).toHaveLength(20);
    for (const row of rows) {
      expect({ ...row, ok: canTakeBookings(row, row.now) }).toEqual(row);
    }
    expect(rows.filter((r) => r.ok)).toHaveLength(2);
  });

  test('a draft takes no booking or hold from anyone: 409 event_not_on_sale to admins, 404 to others, whatever the body', async () => {
    const seated = await createSeatedEvent(
      api.baseUrl,
      admin,
      [{ section: 'A', rows: ['1'], seats: { from: 1, to: 2 } }],
      { status: 'draft' },
    );
    const general = await createEvent(api.baseUrl, admin, { status: 'draft' });
    const [seat] = await api.deps.sequelize.query<{ id: string }>(
      'SELECT id FROM seats WHERE event_id = $eventId LIMIT 1',
      { bind: { eventId: seated.id }, type: QueryTypes.SELECT },
    );
    // Every kind of check: a plain quantity (the intake statement), seats of the map, seats
    // or a section not in it (the seat check's 422s) and seats of an event without a map.
    const bodies: [string, object][] = [
      [seated.id, { quantity: 1 }],
      [seated.id, { seats: [seat!.id] }],
      [seated.id, { seats: [randomUUID()] }],
      [seated.id, { quantity: 1, section: 'A' }],
      [seated.id, { quantity: 1, section: 'Z' }],
      [general.id, { quantity: 1 }],
      [general.id, { seats: [randomUUID()] }],
    ];
    for (const path of ['bookings', 'holds']) {
      for (const [eventId, body] of bodies) {
        const post = (as: Actor) => http().post(`/events/${eventId}/${path}`).set(as.auth).send(body);
        expectApiError(await post(admin), 409, 'event_not_on_sale');
        expectApiError(await post(user), 404, 'not_found');
      }
    }
    for (const { id } of [seated, general]) {
      expect(await countRows(api.deps.sequelize, 'booking_requests WHERE event_id = $id', { id })).toBe(0);
    }

    // Published, the same event takes the same booking.
    const published = await http()
      .patch(`/events/${seated.id}`)
      .set(admin.auth)
      .send({ version: seated.version, status: 'on_sale' });
    expect(published.status).toBe(200);
    const booked = await http()
      .post(`/events/${seated.id}/bookings`)
      .set(admin.auth)
      .send({ seats: [seat!.id] });
    expect(booked.status).toBe(202);
  });

  test('an event that started or was cancelled answers its 409 before any seat check, to everyone', async () => {
    const blocks = [{ section: 'A', rows: ['1'], seats: { from: 1, to: 2 } }];
    const started = await createSeatedEvent(api.baseUrl, admin, blocks);
    await api.deps.sequelize.query(
      "UPDATE events SET starts_at = now() - interval '1 minute' WHERE id = $id",
      { bind: { id: started.id } },
    );
    const cancelled = await createSeatedEvent(api.baseUrl, admin, blocks);
    expect((await http().post(`/events/${cancelled.id}/cancel`).set(admin.auth)).status).toBe(200);
    for (const as of [admin, user]) {
      for (const body of [{ quantity: 1 }, { seats: [randomUUID()] }, { quantity: 1, section: 'Z' }]) {
        const post = (eventId: string) => http().post(`/events/${eventId}/bookings`).set(as.auth).send(body);
        expectApiError(await post(started.id), 409, 'event_started');
        expectApiError(await post(cancelled.id), 409, 'event_cancelled');
      }
    }
  });

  /** Moves an event's start (and end) relative to now: the clock passing it, without waiting. */
  const startIn = (id: string, startsIn: string, endsIn: string | null = null) =>
    api.deps.sequelize.query(
      'UPDATE events SET starts_at = now() + $startsIn::interval, ends_at = now() + $endsIn::interval WHERE id = $id',
      { bind: { id, startsIn, endsIn } },
    );

  test('the status an event shows, in TypeScript and in SQL, for every stored status, start and end', async () => {
    const rows = await api.deps.sequelize.query<{
      status: EventStatus;
      startsAt: Date;
      endsAt: Date | null;
      now: Date;
      shown: Record<string, boolean>;
    }>(
      `SELECT e.status, e.starts_at AS "startsAt", e.ends_at AS "endsAt", now() AS now,
              json_build_object(${SHOWN_EVENT_STATUSES.map((s) => `'${s}', ${shownStatusSql('e', s)}`).join(', ')}) AS shown
         FROM (SELECT s AS status, now() + o::interval AS starts_at, now() + o::interval + d::interval AS ends_at
                 FROM unnest($statuses::text[]) AS s, unnest($offsets::text[]) AS o,
                      unnest($durations::text[]) AS d) AS e`,
      {
        bind: {
          statuses: STATUSES,
          offsets: ['-1 day', '0 seconds', '1 day'],
          durations: ['1 hour', '2 days'],
        },
        type: QueryTypes.SELECT,
      },
    );
    const seen = new Set<string>();
    for (const row of rows) {
      const status = shownStatus(row, row.now);
      seen.add(status);
      // Exactly one shown status holds for each row, and it is the one TypeScript gives.
      expect(Object.entries(row.shown).filter(([, holds]) => holds)).toEqual([[status, true]]);
    }
    expect([...seen].sort()).toEqual([...SHOWN_EVENT_STATUSES].sort());
  });

  test('an event whose start has passed shows started (ended after endsAt), none available, and is no longer listed on sale', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const ended = await createEvent(api.baseUrl, admin, { capacity: 5, name: `${event.id} ended` });
    const shown = async (id: string) => (await http().get(`/events/${id}`)).body;
    const listed = async (status: string) =>
      (await http().get('/events').query({ status, q: event.id, limit: 100 })).body.data.map(
        (e: { id: string }) => e.id,
      );
    await api.deps.sequelize.query('UPDATE events SET name = $id WHERE id = $id', { bind: { id: event.id } });
    expect(await shown(event.id)).toMatchObject({ status: 'on_sale', available: 5 });
    expect(await listed('on_sale')).toEqual([event.id, ended.id]);

    await startIn(event.id, '-1 minute');
    await startIn(ended.id, '-2 hours', '-1 hour');
    expect(await shown(event.id)).toMatchObject({ status: 'started', available: 0, capacity: 5 });
    expect(await shown(ended.id)).toMatchObject({ status: 'ended', available: 0 });
    expect(await listed('on_sale')).toEqual([]);
    expect(await listed('started')).toEqual([event.id]);
    expect(await listed('ended')).toEqual([ended.id]);
    for (const kind of ['bookings', 'holds']) {
      const res = await http().post(`/events/${event.id}/${kind}`).set(user.auth).send({ quantity: 1 });
      expectApiError(res, 409, 'event_started');
    }
    expect(
      await countRows(api.deps.sequelize, 'booking_requests WHERE event_id = $id', { id: event.id }),
    ).toBe(0);

    // Its start moved later, it is on sale again.
    const { version } = await shown(event.id);
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const moved = await http()
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version, startsAt: later });
    expect(moved.body).toMatchObject({ status: 'on_sale', available: 5 });
  });

  test('requests queued before the start and decided after it are rejected event_started, cancellations too', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    let worker = await startInProcessWorker(api.config);
    let booking: { id: string };
    try {
      ({ booking } = await book(api, user, event.id, { quantity: 2 }));
    } finally {
      await worker.close();
    }
    // Queued while it is on sale, with no worker to decide them; then the start passes.
    const queued = await queueBooking(api, user, event.id, { quantity: 1 });
    const held = await queueBooking(api, user, event.id, { quantity: 1 }, { kind: 'hold' });
    const cancel = await queueBooking(api, user, booking.id, {}, { kind: 'cancel' });
    await startIn(event.id, '-1 second');
    worker = await startInProcessWorker(api.config);
    try {
      for (const id of [queued, held, cancel]) {
        expect(await outcomeOf(api.baseUrl, user, id)).toMatchObject({
          status: 'rejected',
          reason: 'event_started',
        });
      }
    } finally {
      await worker.close();
    }
    expect((await http().get(`/bookings/${booking.id}`).set(user.auth)).body).toMatchObject({
      status: 'confirmed',
    });
    expect((await http().get(`/events/${event.id}`)).body).toMatchObject({
      booked: 2,
      held: 0,
      status: 'started',
    });
  });
});
