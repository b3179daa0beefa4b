import { randomInt } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request, { type Response } from 'supertest';
import { ANALYTICS_TTL_SECONDS } from '../api/services/analytics-cache.js';
import { eventQueueName } from '../shared/queues.js';
import { WEBHOOK_QUEUE } from '../shared/webhooks/types.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { DEFAULT_WAIT_MS, waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { openApiContract } from './support/openapi-contract.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

/** The answer's status is documented for this GET and its body matches the document. */
const contract = openApiContract();
function expectDocumented(res: Response, path: string): void {
  expect(contract.check('get', path, res.status, res.body)).toBeNull();
}

describe('admin analytics', () => {
  // Leave no queued rows for other files' reconcilers to pick up later.
  const api = useTestApi({}, { beforeStop: () => decideLeftovers() });
  let admin: Actor;
  let user: Actor;
  /** Events whose queued requests this file leaves behind; decided in afterAll. */
  const owned: string[] = [];

  // Far-future start times in a random window, so a starts_at range holds only this run's events.
  const base = Date.UTC(2200 + randomInt(700), randomInt(12), 1 + randomInt(28), 12);
  const inWindow = { from: iso(base), to: iso(base + DAY) };

  let a: { id: string; name: string; startsAt: string };
  let b: { id: string; name: string; startsAt: string };
  let c: { id: string; name: string; startsAt: string };
  let d: { id: string; name: string; startsAt: string };
  const bookingIds: Record<string, string> = {};

  const http = () => request(api.baseUrl);
  const get = (path: string, query: Record<string, string | number> = {}) =>
    http().get(path).query(query).set(admin.auth).set('Cache-Control', 'no-cache');

  async function sql<T extends object = Record<string, unknown>>(
    text: string,
    bind: Record<string, unknown>,
  ): Promise<T[]> {
    return api.deps.sequelize.query<T>(text, { bind, type: QueryTypes.SELECT });
  }

  /**
   * A booking as the worker would have left it, at a chosen time: its (decided) book request,
   * the booking, and for a cancelled one the cancel request that did it.
   */
  async function insertBooking(
    eventId: string,
    quantity: number,
    createdAt: string,
    cancelledAt: string | null = null,
  ): Promise<string> {
    const [req] = await sql<{ id: string }>(
      `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, queued_at, decided_at)
       VALUES ($userId, $eventId, 'book', jsonb_build_object('quantity', $quantity::int), 'analytics-test',
               'confirmed', $createdAt, $createdAt)
       RETURNING id`,
      { userId: user.id, eventId, quantity, createdAt },
    );
    // The counter changes with the row, in one statement: the database refuses one without the
    // other (events_counters_match_rows, migration 0012).
    const [booking] = await sql<{ id: string }>(
      `WITH b AS (
         INSERT INTO bookings (event_id, user_id, request_id, status, quantity, created_at, cancelled_at)
         VALUES ($eventId, $userId, $requestId,
                 CASE WHEN $cancelledAt::timestamptz IS NULL THEN 'confirmed' ELSE 'cancelled' END,
                 $quantity, $createdAt, $cancelledAt)
         RETURNING id, status, quantity),
       counted AS (
         UPDATE events SET booked = booked + (SELECT quantity FROM b WHERE status = 'confirmed')
          WHERE id = $eventId AND EXISTS (SELECT 1 FROM b WHERE status = 'confirmed'))
       SELECT id FROM b`,
      { eventId, userId: user.id, requestId: req!.id, quantity, createdAt, cancelledAt },
    );
    await sql('UPDATE booking_requests SET booking_id = $bookingId WHERE id = $id', {
      bookingId: booking!.id,
      id: req!.id,
    });
    if (cancelledAt) {
      await sql(
        `INSERT INTO booking_requests
           (user_id, event_id, kind, payload, fingerprint, status, booking_id, queued_at, decided_at)
         VALUES ($userId, $eventId, 'cancel', jsonb_build_object('bookingId', $bookingId::uuid),
                 'analytics-test', 'cancelled', $bookingId::uuid, $cancelledAt, $cancelledAt)`,
        { userId: user.id, eventId, bookingId: booking!.id, cancelledAt },
      );
    }
    return booking!.id;
  }

  /** A request still waiting for the worker (none runs here). Queued now, so no reconciler deems it stranded. */
  async function insertQueued(eventId: string, payload: object) {
    const kind = 'quantity' in payload ? 'book' : 'cancel';
    await sql(
      `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint)
       VALUES ($userId, $eventId, $kind, $payload, 'analytics-test')`,
      { userId: user.id, eventId, kind, payload: JSON.stringify(payload) },
    );
  }

  /**
   * `held` seats on the event: its active holds are released and one hold of `held` (with its
   * decided hold request) is made, the counter with them, in one statement (`booked` already
   * follows the bookings). The hold never falls due, so no worker's reconciler takes it up.
   */
  async function settleCounters(eventId: string, held: number) {
    await sql(
      `WITH released AS (
         UPDATE holds SET status = 'released', ended_at = now() WHERE event_id = $eventId AND status = 'active'),
       r AS (
         INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, decided_at)
         SELECT $userId, $eventId, 'hold', jsonb_build_object('quantity', $held::int), 'analytics-test', 'held', now()
          WHERE $held::int > 0
         RETURNING id),
       h AS (
         INSERT INTO holds (event_id, user_id, request_id, quantity, expires_at)
         SELECT $eventId, $userId, id, $held, now() + interval '100 years' FROM r)
       UPDATE events SET held = $held WHERE id = $eventId`,
      { eventId, userId: user.id, held },
    );
  }

  /**
   * `first` (a fresh answer, which the API caches for ANALYTICS_TTL_SECONDS), then `second`. A hit
   * is only owed if `second` was answered within the TTL of the stored answer; on a machine
   * stalled for longer the pair proves nothing and is made again, so the condition decides, not
   * the machine's speed.
   */
  async function withinCacheTtl(first: () => Promise<Response>, second: () => Promise<Response>) {
    return waitFor(
      async () => {
        const started = Date.now();
        const answers = [await first(), await second()] as const;
        return Date.now() - started < ANALYTICS_TTL_SECONDS * 1000 && answers;
      },
      DEFAULT_WAIT_MS,
      `two answers within the ${ANALYTICS_TTL_SECONDS} s cache TTL`,
    );
  }

  async function ownEvent(name: string, capacity: number, startsAt: number) {
    const event = await createEvent(api.baseUrl, admin, {
      name,
      capacity,
      venue: 'Analytics Hall',
      startsAt: iso(startsAt),
    });
    owned.push(event.id);
    return event as unknown as { id: string; name: string; startsAt: string };
  }

  beforeAll(async () => {
    [admin, user] = await Promise.all([createActor(api.baseUrl, 'admin'), registerUser(api.baseUrl)]);

    a = await ownEvent('Analytics A', 10, base + HOUR);
    b = await ownEvent('Analytics B', 20, base + 2 * HOUR);
    c = await ownEvent('Analytics C', 4, base + 3 * HOUR);
    d = await ownEvent('Analytics D', 100, base + 3 * DAY); // outside the window

    // January: Europe/Berlin is UTC+1, so 23:30 UTC is 00:30 the next day there.
    bookingIds.a1 = await insertBooking(a.id, 2, '2030-01-10T10:00:00Z');
    bookingIds.a2 = await insertBooking(a.id, 3, '2030-01-10T23:30:00Z', '2030-01-12T12:00:00Z');
    bookingIds.a3 = await insertBooking(a.id, 1, '2030-01-12T08:00:00Z');
    bookingIds.b4 = await insertBooking(b.id, 4, '2030-01-11T09:00:00Z');
    bookingIds.b5 = await insertBooking(b.id, 4, '2030-01-11T09:30:00Z', '2030-01-11T23:15:00Z');
    bookingIds.b6 = await insertBooking(b.id, 2, '2030-01-13T22:59:00Z', '2030-01-13T23:01:00Z');
    bookingIds.b7 = await insertBooking(b.id, 5, '2030-01-14T12:00:00Z');
    bookingIds.c8 = await insertBooking(c.id, 3, '2030-01-10T12:00:00Z');
    bookingIds.d9 = await insertBooking(d.id, 1, '2030-01-10T12:00:00Z', '2030-01-10T13:00:00Z');
    await settleCounters(a.id, 2);
    await settleCounters(b.id, 0);
    await settleCounters(c.id, 1);
    await settleCounters(d.id, 0);

    await insertQueued(a.id, { quantity: 2 });
    await insertQueued(a.id, { quantity: 3 });
    await insertQueued(b.id, { bookingId: bookingIds.b4 });
  });

  async function decideLeftovers() {
    await sql(
      `UPDATE booking_requests SET status = 'rejected', reason = 'event_cancelled', decided_at = now()
        WHERE event_id = ANY($ids::uuid[]) AND status = 'queued'`,
      { ids: owned },
    );
  }

  describe('GET /admin/analytics/summary', () => {
    test('counts one event’s bookings, tickets, cancellations, pending requests and held seats', async () => {
      const resA = await get('/admin/analytics/summary', { eventId: a.id });
      expect(resA.status).toBe(200);
      expectDocumented(resA, '/admin/analytics/summary');
      expect(resA.body).toEqual({
        eventId: a.id,
        totalBookings: 3,
        totalTickets: 6,
        confirmedBookings: 2,
        confirmedTickets: 3,
        cancelledBookings: 1,
        cancelledTickets: 3,
        pendingRequests: 2,
        pendingBookingRequests: 2,
        pendingCancellationRequests: 0,
        pendingTickets: 5,
        held: 2,
        waitlisted: 0,
        cancellationRate: 0.3333,
        generatedAt: expect.any(String),
      });

      const resB = await get('/admin/analytics/summary', { eventId: b.id });
      expect(resB.body).toMatchObject({
        totalBookings: 4,
        totalTickets: 15,
        confirmedBookings: 2,
        confirmedTickets: 9,
        cancelledBookings: 2,
        cancelledTickets: 6,
        pendingRequests: 1,
        pendingBookingRequests: 0,
        pendingCancellationRequests: 1,
        pendingTickets: 0,
        held: 0,
        cancellationRate: 0.5,
      });
    });

    test('without a filter it covers everything, at least this file’s data', async () => {
      const res = await get('/admin/analytics/summary');
      expect(res.status).toBe(200);
      expectDocumented(res, '/admin/analytics/summary');
      expect(res.body.eventId).toBeNull();
      expect(res.body.totalBookings).toBeGreaterThanOrEqual(9);
      expect(res.body.pendingRequests).toBeGreaterThanOrEqual(3);
      expect(res.body.held).toBeGreaterThanOrEqual(3);
      expect(res.body.totalBookings).toBe(res.body.confirmedBookings + res.body.cancelledBookings);
    });

    test('an event without bookings has a cancellation rate of 0; an unknown event is 404', async () => {
      const empty = await ownEvent('Analytics empty', 5, base + 5 * DAY);
      const res = await get('/admin/analytics/summary', { eventId: empty.id });
      expect(res.body).toMatchObject({ totalBookings: 0, cancellationRate: 0, pendingRequests: 0 });
      const missing = await get('/admin/analytics/summary', {
        eventId: '7d3c2b1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      });
      expectApiError(missing, 404, 'not_found');
      expectDocumented(missing, '/admin/analytics/summary');
    });

    test('is cached for 5 s per query; Cache-Control: no-cache computes afresh', async () => {
      const [fresh, cached] = await withinCacheTtl(
        async () => {
          await settleCounters(d.id, 0);
          return get('/admin/analytics/summary', { eventId: d.id });
        },
        async () => {
          await settleCounters(d.id, 7);
          return http().get('/admin/analytics/summary').query({ eventId: d.id }).set(admin.auth);
        },
      );
      expect(fresh.headers).toMatchObject({ 'x-cache': 'miss', 'cache-control': 'private, max-age=5' });
      expect(fresh.body).toMatchObject({ totalBookings: 1, cancelledBookings: 1, held: 0 });
      expect(cached.headers).toMatchObject({ 'x-cache': 'hit', 'cache-control': 'private, max-age=5' });
      // The stored answer, stale by design, and saying when it was computed.
      expect(cached.body).toEqual(fresh.body);

      const refreshed = await get('/admin/analytics/summary', { eventId: d.id });
      expect(refreshed.headers['x-cache']).toBe('miss');
      expect(refreshed.body.held).toBe(7);
      expect(Date.parse(refreshed.body.generatedAt)).toBeGreaterThanOrEqual(
        Date.parse(fresh.body.generatedAt),
      );
      await settleCounters(d.id, 0);
    });
  });

  describe('GET /admin/analytics/events', () => {
    const ids = (res: Response) => res.body.data.map((e: { id: string }) => e.id);

    test('ranks by seats booked, with capacity utilisation including held seats', async () => {
      const res = await get('/admin/analytics/events', inWindow);
      expect(res.status).toBe(200);
      expectDocumented(res, '/admin/analytics/events');
      // B has 9 seats; A and C have 3 each and tie, the earlier event first.
      expect(ids(res)).toEqual([b.id, a.id, c.id]);
      expect(res.body.data[1]).toEqual({
        id: a.id,
        name: 'Analytics A',
        venue: 'Analytics Hall',
        status: 'on_sale',
        startsAt: a.startsAt,
        capacity: 10,
        booked: 3,
        held: 2,
        available: 5,
        utilisation: 0.5,
        confirmedBookings: 2,
        cancelledBookings: 1,
        cancellationRate: 0.3333,
        pendingRequests: 2,
      });
      expect(res.body.data[0]).toMatchObject({
        booked: 9,
        held: 0,
        available: 11,
        utilisation: 0.45,
        confirmedBookings: 2,
        cancelledBookings: 2,
        cancellationRate: 0.5,
        pendingRequests: 1,
      });
      expect(res.body.data[2]).toMatchObject({
        booked: 3,
        held: 1,
        available: 0,
        utilisation: 1,
        cancellationRate: 0,
        pendingRequests: 0,
      });
      expect(res.body.generatedAt).toEqual(expect.any(String));
    });

    test('sorts by utilisation or cancellations, either way, and honours limit', async () => {
      const byUse = await get('/admin/analytics/events', { ...inWindow, sort: 'utilisation' });
      expect(ids(byUse)).toEqual([c.id, a.id, b.id]);
      const byUseAsc = await get('/admin/analytics/events', {
        ...inWindow,
        sort: 'utilisation',
        order: 'asc',
      });
      expect(ids(byUseAsc)).toEqual([b.id, a.id, c.id]);
      const bookedAsc = await get('/admin/analytics/events', { ...inWindow, order: 'asc' });
      expect(ids(bookedAsc)).toEqual([a.id, c.id, b.id]);
      const byCancels = await get('/admin/analytics/events', {
        ...inWindow,
        sort: 'cancellations',
        limit: 2,
      });
      expect(ids(byCancels)).toEqual([b.id, a.id]);
      expect(byCancels.body.data.map((e: { cancelledBookings: number }) => e.cancelledBookings)).toEqual([
        2, 1,
      ]);
    });

    test('from and to bound the start time; the same instant spelled otherwise is the same cache entry', async () => {
      const wide = await get('/admin/analytics/events', { from: inWindow.from, to: iso(base + 4 * DAY) });
      expect(ids(wide)).toEqual([b.id, a.id, c.id, d.id]);
      const onlyD = await get('/admin/analytics/events', {
        from: iso(base + 2 * DAY),
        to: iso(base + 4 * DAY),
      });
      expect(ids(onlyD)).toEqual([d.id]);
      expect(onlyD.body.data[0]).toMatchObject({ booked: 0, cancelledBookings: 1, cancellationRate: 1 });

      const to = iso(base + 4 * DAY);
      const sameInstant = new Date(base + 4 * DAY + HOUR).toISOString().replace('Z', '+01:00');
      const [fresh, again] = await withinCacheTtl(
        () => get('/admin/analytics/events', { from: iso(base + 2 * DAY), to }),
        () =>
          http()
            .get('/admin/analytics/events')
            .query({ from: iso(base + 2 * DAY), to: sameInstant })
            .set(admin.auth),
      );
      expect(fresh.headers['x-cache']).toBe('miss');
      expect(again.headers['x-cache']).toBe('hit');
      expect(again.body).toEqual(fresh.body);
    });
  });

  describe('GET /admin/analytics/daily', () => {
    const zero = { bookings: 0, tickets: 0, cancellations: 0, cancelledTickets: 0 };

    test('counts bookings and cancellations per UTC day, every day listed', async () => {
      const res = await get('/admin/analytics/daily', {
        from: '2030-01-09',
        to: '2030-01-13',
        eventId: a.id,
      });
      expect(res.status).toBe(200);
      expectDocumented(res, '/admin/analytics/daily');
      expect(res.body).toEqual({
        timeZone: 'UTC',
        from: '2030-01-09',
        to: '2030-01-13',
        eventId: a.id,
        data: [
          { date: '2030-01-09', ...zero },
          { date: '2030-01-10', bookings: 2, tickets: 5, cancellations: 0, cancelledTickets: 0 },
          { date: '2030-01-11', ...zero },
          { date: '2030-01-12', bookings: 1, tickets: 1, cancellations: 1, cancelledTickets: 3 },
          { date: '2030-01-13', ...zero },
        ],
        generatedAt: expect.any(String),
      });
    });

    test('counts days in the stated time zone: 23:30 UTC is the next day in Berlin', async () => {
      const resA = await get('/admin/analytics/daily', {
        from: '2030-01-10',
        to: '2030-01-12',
        eventId: a.id,
        tz: 'Europe/Berlin',
      });
      expect(resA.body.timeZone).toBe('Europe/Berlin');
      expect(resA.body.data).toEqual([
        { date: '2030-01-10', bookings: 1, tickets: 2, cancellations: 0, cancelledTickets: 0 },
        { date: '2030-01-11', bookings: 1, tickets: 3, cancellations: 0, cancelledTickets: 0 },
        { date: '2030-01-12', bookings: 1, tickets: 1, cancellations: 1, cancelledTickets: 3 },
      ]);

      // One Berlin day starts at 23:00 UTC the day before.
      const oneDay = await get('/admin/analytics/daily', {
        from: '2030-01-11',
        to: '2030-01-11',
        eventId: a.id,
        tz: 'europe/berlin',
      });
      expect(oneDay.body.timeZone).toBe('Europe/Berlin');
      expect(oneDay.body.data).toEqual([
        { date: '2030-01-11', bookings: 1, tickets: 3, cancellations: 0, cancelledTickets: 0 },
      ]);

      const berlinB = await get('/admin/analytics/daily', {
        from: '2030-01-11',
        to: '2030-01-14',
        eventId: b.id,
        tz: 'Europe/Berlin',
      });
      expect(berlinB.body.data).toEqual([
        { date: '2030-01-11', bookings: 2, tickets: 8, cancellations: 0, cancelledTickets: 0 },
        { date: '2030-01-12', bookings: 0, tickets: 0, cancellations: 1, cancelledTickets: 4 },
        { date: '2030-01-13', bookings: 1, tickets: 2, cancellations: 0, cancelledTickets: 0 },
        { date: '2030-01-14', bookings: 1, tickets: 5, cancellations: 1, cancelledTickets: 2 },
      ]);
      const utcB = await get('/admin/analytics/daily', {
        from: '2030-01-11',
        to: '2030-01-14',
        eventId: b.id,
      });
      expect(utcB.body.data).toEqual([
        { date: '2030-01-11', bookings: 2, tickets: 8, cancellations: 1, cancelledTickets: 4 },
        { date: '2030-01-12', ...zero },
        { date: '2030-01-13', bookings: 1, tickets: 2, cancellations: 1, cancelledTickets: 2 },
        { date: '2030-01-14', bookings: 1, tickets: 5, cancellations: 0, cancelledTickets: 0 },
      ]);
    });

    test('a day with a daylight-saving change is as long as it was on the wall clock', async () => {
      // Berlin moves to summer time (UTC+2) at 01:00 UTC on 2030-03-31: that day has 23 hours.
      const event = await ownEvent('Analytics DST', 10, base + 7 * DAY);
      await insertBooking(event.id, 1, '2030-03-30T23:30:00Z'); // 00:30 on the 31st in Berlin
      await insertBooking(event.id, 2, '2030-03-31T21:59:00Z'); // 23:59 on the 31st
      await insertBooking(event.id, 4, '2030-03-31T22:30:00Z'); // 00:30 on April 1st
      await settleCounters(event.id, 0);
      const berlin = await get('/admin/analytics/daily', {
        from: '2030-03-30',
        to: '2030-04-01',
        eventId: event.id,
        tz: 'Europe/Berlin',
      });
      expect(berlin.body.data.map((r: { bookings: number }) => r.bookings)).toEqual([0, 2, 1]);
      expect(berlin.body.data.map((r: { tickets: number }) => r.tickets)).toEqual([0, 3, 4]);
      const utc = await get('/admin/analytics/daily', {
        from: '2030-03-30',
        to: '2030-04-01',
        eventId: event.id,
      });
      expect(utc.body.data.map((r: { bookings: number }) => r.bookings)).toEqual([1, 2, 0]);
    });

    test('covers up to 366 days, a leap year included', async () => {
      const leap = await get('/admin/analytics/daily', { from: '2028-01-01', to: '2028-12-31' });
      expect(leap.status).toBe(200);
      expect(leap.body.eventId).toBeNull();
      expect(leap.body.data).toHaveLength(366);
      expect(leap.body.data[59].date).toBe('2028-02-29');
      const longest = await get('/admin/analytics/daily', { from: '2030-01-01', to: '2031-01-01' });
      expect(longest.body.data).toHaveLength(366);
    });
  });

  describe('GET /admin/queues/stats', () => {
    test('shows a booking request waiting in its event queue when no worker runs', async () => {
      const event = await ownEvent('Analytics queue', 5, base + 6 * DAY);
      const submitted = await http()
        .post(`/events/${event.id}/bookings`)
        .set(user.auth)
        .send({ quantity: 1 });
      expect(submitted.status).toBe(202);
      // A decision made just now counts towards the event's throughput.
      await sql(
        `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, reason, decided_at)
         VALUES ($userId, $eventId, 'book', '{"quantity": 9}', 'analytics-test', 'rejected', 'sold_out', now())`,
        { userId: user.id, eventId: event.id },
      );

      const res = await http().get('/admin/queues/stats').set(admin.auth);
      expect(res.status).toBe(200);
      expectDocumented(res, '/admin/queues/stats');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.activeEventQueues).toBeGreaterThanOrEqual(1);
      const mine = res.body.queues.find((q: { eventId: string | null }) => q.eventId === event.id);
      expect(mine).toMatchObject({
        name: eventQueueName(event.id),
        kind: 'event',
        eventName: 'Analytics queue',
        active: 0,
        decidedPerMinute: 1,
      });
      expect(mine.waiting).toBeGreaterThanOrEqual(1);
      expect(mine.oldestWaitingMs).toEqual(expect.any(Number));
      expect(mine.oldestWaitingMs).toBeGreaterThanOrEqual(0);
      expect(mine.oldestWaitingMs).toBeLessThan(60_000);
      expect(res.body.queues.at(-1)).toMatchObject({ name: WEBHOOK_QUEUE, kind: 'webhook', eventId: null });
    });
  });

  describe('access and validation', () => {
    const paths = [
      '/admin/analytics/summary',
      '/admin/analytics/events',
      '/admin/analytics/daily',
      '/admin/queues/stats',
    ];
    const daily = { from: '2030-01-01', to: '2030-01-31' };

    test.each(paths)('%s needs an admin token', async (path) => {
      const anonymous = await http().get(path).query(daily);
      expectApiError(anonymous, 401, 'unauthorized');
      expectDocumented(anonymous, path);
      const asUser = await http().get(path).query(daily).set(user.auth);
      expectApiError(asUser, 403, 'forbidden');
      expectDocumented(asUser, path);
    });

    test.each([
      ['unknown time zone', '/admin/analytics/daily', { ...daily, tz: 'Mars/Olympus' }],
      ['POSIX zone string', '/admin/analytics/daily', { ...daily, tz: 'UTC+5' }],
      ['to before from', '/admin/analytics/daily', { from: '2030-02-01', to: '2030-01-31' }],
      ['range over 366 days', '/admin/analytics/daily', { from: '2030-01-01', to: '2031-01-02' }],
      ['missing from', '/admin/analytics/daily', { to: '2030-01-31' }],
      ['date-time instead of a date', '/admin/analytics/daily', { ...daily, from: '2030-01-01T00:00:00Z' }],
      ['unreal date', '/admin/analytics/daily', { ...daily, to: '2030-02-30' }],
      ['bad eventId', '/admin/analytics/daily', { ...daily, eventId: 'nope' }],
      ['limit 0', '/admin/analytics/events', { limit: 0 }],
      ['limit 101', '/admin/analytics/events', { limit: 101 }],
      ['limit not a number', '/admin/analytics/events', { limit: 'ten' }],
      ['unknown sort', '/admin/analytics/events', { sort: 'price' }],
      ['unknown order', '/admin/analytics/events', { order: 'up' }],
      ['to before from', '/admin/analytics/events', { from: '2030-02-01', to: '2030-01-31' }],
      ['unparsable from', '/admin/analytics/events', { from: 'yesterday' }],
      ['unknown parameter', '/admin/analytics/events', { page: 2 }],
      ['bad eventId', '/admin/analytics/summary', { eventId: 'nope' }],
      ['limit 0', '/admin/queues/stats', { limit: 0 }],
    ])('%s on %s is a 400', async (_what, path, query) => {
      const res = await get(path, query as Record<string, string | number>);
      expectApiError(res, 400, 'validation_failed');
      expectDocumented(res, path);
    });
  });
});
