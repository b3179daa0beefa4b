import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book, cancelBooking, confirmHold } from './support/factory.js';
import { DEFAULT_WAIT_MS, waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { expectEventInvariants } from './support/invariants.js';
import { countRows } from './support/rows.js';

describe('waitlist: a fair line that fills freed seats in order', () => {
  const api = useTestApi({ WAITLIST_MAX_PER_USER: '2' }, { workers: 'in-process' });
  let admin: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
  });

  /** The event's line: waiting entries' request ids in order. */
  async function line(eventId: string): Promise<string[]> {
    const rows = await api.deps.sequelize.query<{ request_id: string }>(
      `SELECT request_id FROM waitlist_entries WHERE event_id = $eventId AND status = 'waiting' ORDER BY seq`,
      { bind: { eventId }, type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.request_id);
  }

  const requestStatus = async (actor: Actor, id: string) =>
    (await request(api.baseUrl).get(`/booking-requests/${id}`).set(actor.auth)).body;

  test('50 waitlisted, 20 cancellations: the first 20 in line are promoted, one by one, in order', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 20 });
    const holders = await Promise.all(
      Array.from({ length: 20 }, (_, i) => registerUser(api.baseUrl, `holder${i}`)),
    );
    const bookings = await Promise.all(holders.map((h) => book(api, h, event.id, { quantity: 1 })));
    expect(bookings.map((b) => b.status)).toEqual(Array(20).fill('confirmed'));

    const fans = await Promise.all(
      Array.from({ length: 50 }, (_, i) => registerUser(api.baseUrl, `fan${i}`)),
    );
    const waitlisted = await Promise.all(
      fans.map((f) => book(api, f, event.id, { quantity: 1, waitlist: true })),
    );
    expect(waitlisted.map((w) => w.status)).toEqual(Array(50).fill('waitlisted'));
    const order = await line(event.id);
    expect(order).toHaveLength(50);
    const fanOf = new Map(waitlisted.map((w, i) => [w.id as string, fans[i]!]));
    // Every position is the place in line (arrival order).
    for (const [i, requestId] of order.entries()) {
      expect((await requestStatus(fanOf.get(requestId)!, requestId)).waitlistEntry.position).toBe(i + 1);
    }

    for (const [i, booking] of bookings.entries()) {
      const cancelled = await cancelBooking(api, holders[i]!, booking.booking.id);
      expect(cancelled.status).toBe('cancelled');
      // The cancellation and the promotion commit together: the next in line is confirmed now.
      const promoted = await requestStatus(fanOf.get(order[i]!)!, order[i]!);
      expect(promoted).toMatchObject({ status: 'confirmed', booking: { quantity: 1 } });
      expect(await line(event.id)).toEqual(order.slice(i + 1));
    }

    const head = await requestStatus(fanOf.get(order[20]!)!, order[20]!);
    expect(head).toMatchObject({ status: 'waitlisted', waitlistEntry: { position: 1 } });
    expect(
      await countRows(
        api.deps.sequelize,
        `webhook_outbox WHERE type = 'waitlist.promoted' AND event_id = $id`,
        {
          id: event.id,
        },
      ),
    ).toBe(20);
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({ booked: 20, confirmedBookings: 20, waiting: 30 });
    const summary = await request(api.baseUrl)
      .get('/admin/analytics/summary')
      .query({ eventId: event.id })
      .set(admin.auth);
    expect(summary.body).toMatchObject({
      waitlisted: 30,
      held: 0,
      confirmedTickets: 20,
      cancelledBookings: 20,
    });
  }, 120_000);

  test('leaving the line moves those behind up; leaving twice is a 409; one user may wait twice per event', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    const [holder, u1, u2, u3] = await Promise.all(
      ['holder', 'u1', 'u2', 'u3'].map((name) => registerUser(api.baseUrl, name)),
    );
    await book(api, holder!, event.id, { quantity: 1 });
    const entries: Awaited<ReturnType<typeof book>>[] = [];
    for (const u of [u1!, u2!, u3!]) {
      entries.push(await book(api, u, event.id, { quantity: 1, waitlist: true }));
    }
    expect(entries.map((e) => e.waitlistEntry.position)).toEqual([1, 2, 3]);

    const left = await request(api.baseUrl)
      .post(`/waitlist/${entries[0].waitlistEntry.id}/leave`)
      .set(u1!.auth);
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ status: 'left', position: null });
    const positions = await Promise.all(
      [u2!, u3!].map(
        async (u, i) =>
          (
            await request(api.baseUrl)
              .get(`/waitlist/${entries[i + 1].waitlistEntry.id}`)
              .set(u.auth)
          ).body.position,
      ),
    );
    expect(positions).toEqual([1, 2]);
    expectApiError(
      await request(api.baseUrl).post(`/waitlist/${entries[0].waitlistEntry.id}/leave`).set(u1!.auth),
      409,
      'not_waiting',
    );
    expectApiError(
      await request(api.baseUrl).post(`/waitlist/${entries[1].waitlistEntry.id}/leave`).set(u1!.auth),
      404,
      'not_found',
    );
    expect(
      await countRows(
        api.deps.sequelize,
        `webhook_outbox WHERE type = 'waitlist.left' AND ordering_key = $key`,
        {
          key: entries[0].id,
        },
      ),
    ).toBe(1);

    // WAITLIST_MAX_PER_USER is 2 here: u2's second entry joins, the third is refused.
    expect(await book(api, u2!, event.id, { quantity: 1, waitlist: true })).toMatchObject({
      status: 'waitlisted',
    });
    expect(await book(api, u2!, event.id, { quantity: 1, waitlist: true })).toMatchObject({
      status: 'rejected',
      reason: 'waitlist_limit_reached',
      reasonDetails: { limit: 2 },
    });

    const mine = await request(api.baseUrl)
      .get('/waitlist')
      .query({ eventId: event.id, status: 'waiting' })
      .set(u2!.auth);
    expect(mine.body.data).toHaveLength(2);
    const lineOfEvent = await request(api.baseUrl)
      .get(`/events/${event.id}/waitlist`)
      .query({ limit: 2 })
      .set(admin.auth);
    expect(lineOfEvent.body.data.map((e: { position: number }) => e.position)).toEqual([1, 2]);
    const rest = await request(api.baseUrl)
      .get(`/events/${event.id}/waitlist`)
      .query({ limit: 2, cursor: lineOfEvent.body.next })
      .set(admin.auth);
    expect(rest.body).toMatchObject({ data: [{ position: 3, userId: u2!.id }], next: null });
    expectApiError(
      await request(api.baseUrl).get(`/events/${event.id}/waitlist`).set(u2!.auth),
      403,
      'forbidden',
    );
    const beyondBigint = Buffer.from(JSON.stringify({ seq: '9999999999999999999' })).toString('base64url');
    expectApiError(
      await request(api.baseUrl)
        .get(`/events/${event.id}/waitlist`)
        .query({ cursor: beyondBigint })
        .set(admin.auth),
      400,
      'validation_failed',
    );
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('freed seats skip entries they cannot satisfy; minQuantity takes fewer; more capacity promotes; offers are holds', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 3 });
    const setHoldOffers = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, waitlistPromotion: 'hold' });
    expect(setHoldOffers.body).toMatchObject({ waitlistPromotion: 'hold', version: 2 });
    const [h1, h2, a, b, c] = await Promise.all(
      ['h1', 'h2', 'a', 'b', 'c'].map((n) => registerUser(api.baseUrl, n)),
    );
    const one = await book(api, h1!, event.id, { quantity: 1 });
    await book(api, h2!, event.id, { quantity: 2 });
    const wa = await book(api, a!, event.id, { quantity: 3, waitlist: true });
    const wb = await book(api, b!, event.id, {
      quantity: 2,
      minQuantity: 1,
      waitlist: true,
    });
    const wc = await book(api, c!, event.id, { quantity: 1, waitlist: true });

    // One seat frees: A (3) does not fit and keeps its place; B accepts 1 of 2; C gets nothing yet.
    await cancelBooking(api, h1!, one.booking.id);
    expect(await requestStatus(b!, wb.id)).toMatchObject({
      status: 'held',
      hold: { quantity: 1, status: 'active' },
    });
    expect(await requestStatus(a!, wa.id)).toMatchObject({
      status: 'waitlisted',
      waitlistEntry: { position: 1 },
    });
    expect(await requestStatus(c!, wc.id)).toMatchObject({
      status: 'waitlisted',
      waitlistEntry: { position: 2 },
    });

    // Capacity grows by one: the rebalance step offers it to C, the first entry it satisfies.
    const grown = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 2, capacity: 4 });
    expect(grown.status).toBe(200);
    const offered = await waitFor(
      async () => {
        const body = await requestStatus(c!, wc.id);
        return body.status === 'held' ? body : null;
      },
      DEFAULT_WAIT_MS,
      'C to be offered the new seat',
    );
    expect(offered.hold).toMatchObject({ quantity: 1, status: 'active' });
    expect(await requestStatus(a!, wa.id)).toMatchObject({
      status: 'waitlisted',
      waitlistEntry: { position: 1 },
    });

    // B takes the offer.
    const offerToB = (await requestStatus(b!, wb.id)).hold.id;
    const confirmed = await confirmHold(api, b!, offerToB);
    expect(confirmed).toMatchObject({ status: 'confirmed', booking: { quantity: 1 } });
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({ capacity: 4, booked: 3, held: 1, waiting: 1 });
  }, 90_000);
});
