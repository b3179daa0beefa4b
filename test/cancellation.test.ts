import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book } from './support/factory.js';
import { outcomeOf } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

describe('cancellation goes through the event queue and frees seats', () => {
  const api = useTestApi({}, { workers: 'in-process' });
  let admin: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
  });

  /** Long-polls a booking request until it is decided (with a deadline). */
  const outcome = (actor: Actor, requestId: string) => outcomeOf(api.baseUrl, actor, requestId);

  test('a cancelled booking frees its seats and the next booking takes them; cancelling twice is harmless', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 2 });
    const alice = await registerUser(api.baseUrl, 'alice');
    const bob = await registerUser(api.baseUrl, 'bob');

    const first = await book(api, alice, event.id, { quantity: 2 });
    expect(first).toMatchObject({ status: 'confirmed', booking: { status: 'confirmed', quantity: 2 } });
    expect(await book(api, bob, event.id, { quantity: 1 })).toMatchObject({
      status: 'rejected',
      reason: 'sold_out',
    });

    const cancel = await request(api.baseUrl).post(`/bookings/${first.booking.id}/cancel`).set(alice.auth);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ kind: 'cancel', payload: { bookingId: first.booking.id } });
    expect(cancel.headers.location).toBe(`/booking-requests/${cancel.body.id}`);
    expect(await outcome(alice, cancel.body.id)).toMatchObject({
      status: 'cancelled',
      booking: { id: first.booking.id, status: 'cancelled' },
    });

    const booking = await request(api.baseUrl).get(`/bookings/${first.booking.id}`).set(alice.auth);
    expect(booking.body).toMatchObject({ status: 'cancelled' });
    expect(booking.body.cancelledAt).toEqual(expect.any(String));
    expect((await request(api.baseUrl).get(`/events/${event.id}`)).body).toMatchObject({
      booked: 0,
      available: 2,
    });

    // Cancelling again: refused up front, and nothing changes.
    const again = await request(api.baseUrl).post(`/bookings/${first.booking.id}/cancel`).set(alice.auth);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_cancelled');

    expect(await book(api, bob, event.id, { quantity: 2 })).toMatchObject({ status: 'confirmed' });
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({ booked: 2, confirmedBookings: 1 });
  });

  test('two cancels of one booking racing through the queue free its seats once', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const carol = await registerUser(api.baseUrl, 'carol');
    const first = await book(api, carol, event.id, { quantity: 3 });
    await book(api, carol, event.id, { quantity: 1 });

    const cancels = await Promise.all(
      ['k1', 'k2'].map((key) =>
        request(api.baseUrl)
          .post(`/bookings/${first.booking.id}/cancel`)
          .set(carol.auth)
          .set('Idempotency-Key', key),
      ),
    );
    expect(cancels.map((c) => c.status)).toEqual([202, 202]);
    const outcomes = await Promise.all(cancels.map((c) => outcome(carol, c.body.id)));
    expect(outcomes.map((o) => o.status).sort()).toEqual(['cancelled', 'rejected']);
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: 'already_cancelled' });

    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters.booked).toBe(1);
    const outbox = await api.deps.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_outbox WHERE event_id = $id AND type = 'booking.cancelled'`,
      { bind: { id: event.id }, type: QueryTypes.SELECT },
    );
    expect(outbox[0]!.n).toBe(1);
  });

  test('history lists only the caller’s bookings, newest first, page by page', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const dave = await registerUser(api.baseUrl, 'dave');
    const erin = await registerUser(api.baseUrl, 'erin');
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push((await book(api, dave, event.id, { quantity: 1 })).booking.id);
    await book(api, erin, event.id, { quantity: 1 });

    const page1 = await request(api.baseUrl).get('/bookings?limit=2').set(dave.auth);
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((b: { id: string }) => b.id)).toEqual([mine[2], mine[1]]);
    expect(page1.body.next).toEqual(expect.any(String));
    const page2 = await request(api.baseUrl)
      .get(`/bookings?limit=2&cursor=${page1.body.next}`)
      .set(dave.auth);
    expect(page2.body).toEqual({ data: [expect.objectContaining({ id: mine[0] })], next: null });

    // Admins may filter by user; users may not look at others.
    const asAdmin = await request(api.baseUrl).get(`/bookings?userId=${erin.id}`).set(admin.auth);
    expect(asAdmin.body.data).toHaveLength(1);
    expect(asAdmin.body.data[0].userId).toBe(erin.id);
    const nosy = await request(api.baseUrl).get(`/bookings?userId=${erin.id}`).set(dave.auth);
    expect(nosy.status).toBe(403);
  });
});
