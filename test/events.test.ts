import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book } from './support/factory.js';
import { outcomeOf } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

const day = (n: number) => new Date(Date.UTC(2031, 0, 1 + n, 19, 0, 0)).toISOString();

describe('events: browse, admin update and cancel', () => {
  const api = useTestApi({}, { workers: 'in-process' });
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  test('browse filters by venue, name, date range, and pages through results in start order', async () => {
    const venue = `Venue ${randomUUID()}`;
    const created = [];
    for (const [i, name] of ['Jazz Night', 'Rock Gala', 'Jazz Brunch', 'Opera', 'Jazz 100%'].entries()) {
      created.push(
        await createEvent(api.baseUrl, admin, { venue, name: `${name} ${venue}`, startsAt: day(i) }),
      );
    }
    await createEvent(api.baseUrl, admin, {
      venue,
      name: `Draft ${venue}`,
      startsAt: day(9),
      status: 'draft',
    });

    const all = await request(api.baseUrl).get('/events').query({ venue, limit: 100 });
    expect(all.status).toBe(200);
    expect(all.body.data.map((e: { id: string }) => e.id)).toEqual(created.map((e) => e.id));
    expect(all.body.data[0]).toMatchObject({ venue, capacity: 10, available: 10, status: 'on_sale' });

    const jazz = await request(api.baseUrl).get('/events').query({ venue, q: 'jazz' });
    expect(jazz.body.data).toHaveLength(3);
    const literal = await request(api.baseUrl).get('/events').query({ venue, q: '100%' });
    expect(literal.body.data.map((e: { name: string }) => e.name)).toEqual([`Jazz 100% ${venue}`]);

    const range = await request(api.baseUrl)
      .get('/events')
      .query({ venue, from: day(1), to: day(3) });
    expect(range.body.data.map((e: { id: string }) => e.id)).toEqual(created.slice(1, 4).map((e) => e.id));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await request(api.baseUrl)
        .get('/events')
        .query({ venue, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      cursor = res.body.next;
    } while (cursor);
    expect(seen).toEqual(created.map((e) => e.id));

    // Drafts are for admins only.
    const drafts = await request(api.baseUrl).get('/events').query({ venue, status: 'draft' });
    expect(drafts.status).toBe(401);
    const draftsAsAdmin = await request(api.baseUrl)
      .get('/events')
      .query({ venue, status: 'draft' })
      .set(admin.auth);
    expect(draftsAsAdmin.body.data).toHaveLength(1);
    const draftId = draftsAsAdmin.body.data[0].id;
    expect((await request(api.baseUrl).get(`/events/${draftId}`)).status).toBe(404);
    expect((await request(api.baseUrl).get(`/events/${draftId}`).set(admin.auth)).status).toBe(200);
  });

  test('available stays correct through bookings and cancellations', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 6 });
    const first = await book(api, user, event.id, { quantity: 4 });
    expect((await request(api.baseUrl).get(`/events/${event.id}`)).body).toMatchObject({
      booked: 4,
      available: 2,
    });
    const cancel = await request(api.baseUrl).post(`/bookings/${first.booking.id}/cancel`).set(user.auth);
    expect(cancel.status).toBe(202);
    expect(await outcomeOf(api.baseUrl, user, cancel.body.id)).toMatchObject({ status: 'cancelled' });
    expect((await request(api.baseUrl).get(`/events/${event.id}`)).body).toMatchObject({
      booked: 0,
      available: 6,
    });
  });

  test('update uses optimistic versions and never drops capacity below what is booked', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    expect(await book(api, user, event.id, { quantity: 3 })).toMatchObject({ status: 'confirmed' });

    const renamed = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, name: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', version: 2 });

    const stale = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, name: 'Lost' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'version_conflict', details: { currentVersion: 2 } });

    const tooSmall = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 2, capacity: 2 });
    expect(tooSmall.status).toBe(409);
    expect(tooSmall.body.error.code).toBe('capacity_below_booked');

    const shrink = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 2, capacity: 3 });
    expect(shrink.status).toBe(200);
    expect(shrink.body).toMatchObject({ capacity: 3, available: 0, name: 'Renamed', version: 3 });
    expect(await book(api, user, event.id, { quantity: 1 })).toMatchObject({
      status: 'rejected',
      reason: 'sold_out',
    });
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('cancelling an event cancels its bookings, rejects what is queued, and notifies', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const kept = await book(api, user, event.id, { quantity: 2 });
    expect(kept.status).toBe('confirmed');

    const cancelled = await request(api.baseUrl).post(`/events/${event.id}/cancel`).set(admin.auth);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', booked: 0, available: 0 });
    const booking = await request(api.baseUrl).get(`/bookings/${kept.booking.id}`).set(user.auth);
    expect(booking.body.status).toBe('cancelled');

    const twice = await request(api.baseUrl).post(`/events/${event.id}/cancel`).set(admin.auth);
    expect(twice.status).toBe(200);
    const late = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(user.auth)
      .send({ quantity: 1 });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('event_cancelled');

    const outbox = await api.deps.sequelize.query<{ type: string }>(
      'SELECT type FROM webhook_outbox WHERE event_id = $id ORDER BY id',
      { bind: { id: event.id }, type: QueryTypes.SELECT },
    );
    expect(outbox.map((o) => o.type)).toEqual(['booking.confirmed', 'event.cancelled', 'booking.cancelled']);
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('a request queued before the event was cancelled is rejected as event_cancelled', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    // Queue a request directly, as if it arrived just before the cancel; the allocator decides it after.
    const [queued] = await api.deps.sequelize.query<{ id: string }>(
      `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint)
       VALUES ($userId, $eventId, 'book', '{"quantity": 1}', 'test') RETURNING id`,
      { bind: { userId: user.id, eventId: event.id }, type: QueryTypes.SELECT },
    );
    await request(api.baseUrl).post(`/events/${event.id}/cancel`).set(admin.auth).expect(200);
    const { allocationRules, runAllocationStep } = await import('../worker/allocation/index.js');
    await runAllocationStep(api.deps.sequelize, event.id, 10, allocationRules(api.config));
    const res = await request(api.baseUrl).get(`/booking-requests/${queued!.id}`).set(user.auth);
    expect(res.body).toMatchObject({ status: 'rejected', reason: 'event_cancelled', booking: null });
  });
});
