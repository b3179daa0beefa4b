import { Queue } from 'bullmq';
import request from 'supertest';
import { HOLD_EXPIRY_QUEUE, holdExpiryJobId } from '../shared/queues.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book, confirmHold, hold, releaseHold } from './support/factory.js';
import { DEFAULT_WAIT_MS, outcomeOf, waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { expectEventInvariants } from './support/invariants.js';
import { countRows } from './support/rows.js';
import { createSeatedEvent, label, listSeats } from './support/seating.js';

describe('holds: seats kept during checkout, confirmed, released or expired exactly once', () => {
  // The sweep for overdue holds runs every second here, as a production reconciler would.
  const api = useTestApi({ RECONCILE_INTERVAL_MS: '1000' }, { workers: 1 });
  let admin: Actor;
  let alice: Actor;
  let bob: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    [alice, bob] = await Promise.all([registerUser(api.baseUrl, 'alice'), registerUser(api.baseUrl, 'bob')]);
  });

  const outbox = (type: string, key: string) =>
    countRows(api.deps.sequelize, 'webhook_outbox WHERE type = $type AND ordering_key = $key', { type, key });

  test('a hold keeps seats; confirming it books them, confirming twice gives one booking', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 3 });
    const before = Date.now();
    const held = await hold(api, alice, event.id, { quantity: 2 });
    expect(held).toMatchObject({ kind: 'hold', status: 'held', hold: { status: 'active', quantity: 2 } });
    const expiresIn = new Date(held.hold.expiresAt).getTime() - before;
    expect(expiresIn).toBeGreaterThan(590_000); // HOLD_TTL_SECONDS, 10 minutes by default
    expect(expiresIn).toBeLessThan(610_000);
    expect((await request(api.baseUrl).get(`/events/${event.id}`)).body).toMatchObject({
      held: 2,
      available: 1,
    });
    expect(await book(api, bob, event.id, { quantity: 2 })).toMatchObject({
      status: 'rejected',
      reason: 'sold_out',
    });

    const confirms = await Promise.all(
      [1, 2].map(() => request(api.baseUrl).post(`/holds/${held.hold.id}/confirm`).set(alice.auth)),
    );
    expect(confirms.map((r) => r.status)).toEqual([202, 202]);
    const [first, second] = await Promise.all(confirms.map((r) => outcomeOf(api.baseUrl, alice, r.body.id)));
    expect(first).toMatchObject({ kind: 'confirm_hold', status: 'confirmed', booking: { quantity: 2 } });
    expect(second).toMatchObject({ status: 'confirmed', booking: { id: first.booking.id } });
    expect(await countRows(api.deps.sequelize, 'bookings WHERE hold_id = $id', { id: held.hold.id })).toBe(1);
    expect(await outbox('hold.confirmed', held.id)).toBe(1);
    // The hold's expiry timer goes with it: the worker removes it right after it has told waiting
    // clients of the decision, so a client may look before that happens. Wait for it.
    const timers = new Queue(HOLD_EXPIRY_QUEUE, { connection: api.deps.redis, prefix: api.env.REDIS_PREFIX });
    try {
      await waitFor(
        async () => (await timers.getJob(holdExpiryJobId(held.hold.id))) === undefined,
        DEFAULT_WAIT_MS,
        "the confirmed hold's expiry timer to be removed",
      );
    } finally {
      await timers.close();
    }

    const confirmed = await request(api.baseUrl).get(`/holds/${held.hold.id}`).set(alice.auth);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', bookingId: first.booking.id });
    expect(await releaseHold(api, alice, held.hold.id)).toMatchObject({
      status: 'rejected',
      reason: 'hold_confirmed',
    });
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({ booked: 2, held: 0 });
  });

  test('releasing a hold frees its seats; seat states follow held, free, booked', async () => {
    const event = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'A', rows: ['1'], seats: { from: 1, to: 4 } },
    ]);
    const seats = await listSeats(api.baseUrl, event.id);
    const held = await hold(api, alice, event.id, { seats: [seats[1]!.id, seats[2]!.id] });
    expect(held.hold.seats.map(label)).toEqual(['A 1-2', 'A 1-3']);
    expect((await listSeats(api.baseUrl, event.id)).map((s) => s.state)).toEqual([
      'free',
      'held',
      'held',
      'free',
    ]);
    expect(await book(api, bob, event.id, { seats: [seats[2]!.id] })).toMatchObject({
      status: 'rejected',
      reason: 'seat_taken',
      reasonDetails: { seats: [seats[2]!.id] },
    });

    const released = await releaseHold(api, alice, held.hold.id);
    expect(released).toMatchObject({
      kind: 'release_hold',
      status: 'cancelled',
      hold: { status: 'released' },
    });
    expect((await listSeats(api.baseUrl, event.id)).map((s) => s.state)).toEqual([
      'free',
      'free',
      'free',
      'free',
    ]);
    expect(await confirmHold(api, alice, held.hold.id)).toMatchObject({
      status: 'rejected',
      reason: 'hold_released',
    });
    expect(await book(api, bob, event.id, { seats: [seats[2]!.id] })).toMatchObject({
      status: 'confirmed',
    });
    expect((await listSeats(api.baseUrl, event.id)).map((s) => s.state)).toEqual([
      'free',
      'free',
      'booked',
      'free',
    ]);
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('a hold expires at its time: seats free again, the waitlist head is promoted, a late confirm is `expired`', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 2 });
    await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, holdTtlSeconds: 5 });
    const held = await hold(api, alice, event.id, { quantity: 2 });
    const expiresAt = new Date(held.hold.expiresAt).getTime();
    // On time by construction: the hold's timer is due at its expiresAt (it is scheduled right
    // after the hold commits, so wait for it to exist). The opts keep the delay it was added with.
    const timers = new Queue(HOLD_EXPIRY_QUEUE, { connection: api.deps.redis, prefix: api.env.REDIS_PREFIX });
    try {
      const timer = await waitFor(
        async () => timers.getJob(holdExpiryJobId(held.hold.id)),
        DEFAULT_WAIT_MS,
        "the hold's expiry timer",
      );
      expect(Math.abs(timer.timestamp + (timer.opts.delay ?? 0) - expiresAt)).toBeLessThan(1000);
    } finally {
      await timers.close();
    }
    const waiting = await book(api, bob, event.id, { quantity: 2, waitlist: true });
    expect(waiting).toMatchObject({
      status: 'waitlisted',
      waitlistEntry: { status: 'waiting', position: 1 },
    });

    const promoted = await waitFor(
      async () => {
        const res = await request(api.baseUrl).get(`/booking-requests/${waiting.id}`).set(bob.auth);
        return res.body.status === 'confirmed' ? res.body : null;
      },
      DEFAULT_WAIT_MS,
      'the waitlisted request to be promoted',
    );
    // Never early. How soon after expiresAt the step runs depends on the machine's load, so it is
    // bounded by the wait's deadline above, not by a tight number here.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(promoted).toMatchObject({
      booking: { quantity: 2 },
      waitlistEntry: { status: 'promoted', position: null },
    });
    expect((await request(api.baseUrl).get(`/holds/${held.hold.id}`).set(alice.auth)).body.status).toBe(
      'expired',
    );

    expect(await confirmHold(api, alice, held.hold.id)).toMatchObject({
      status: 'expired',
      reason: 'hold_expired',
    });
    expect(await outbox('hold.expired', held.id)).toBe(1);
    expect(await outbox('waitlist.promoted', waiting.id)).toBe(1);
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({ booked: 2, held: 0, waiting: 0 });
  }, 90_000);

  test('a hold expires exactly once although the worker crashed while it was held', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, holdTtlSeconds: 5 });
    const held = await hold(api, alice, event.id, { quantity: 3 });
    await api.crashWorker();

    await waitFor(
      async () =>
        (await request(api.baseUrl).get(`/holds/${held.hold.id}`).set(alice.auth)).body.status === 'expired',
      DEFAULT_WAIT_MS,
      'the hold to expire',
    );
    expect(await outbox('hold.expired', held.id)).toBe(1);
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({ held: 0, activeHolds: 0, booked: 0 });
  }, 120_000);

  test("cancelling an event releases its holds and seats; someone else's hold is not found", async () => {
    const event = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'A', rows: ['1'], seats: { from: 1, to: 3 } },
    ]);
    const held = await hold(api, alice, event.id, { quantity: 2 });
    expectApiError(await request(api.baseUrl).get(`/holds/${held.hold.id}`).set(bob.auth), 404, 'not_found');
    expectApiError(
      await request(api.baseUrl).post(`/holds/${held.hold.id}/confirm`).set(bob.auth),
      404,
      'not_found',
    );
    expectApiError(
      await request(api.baseUrl).post('/holds/00000000-0000-4000-8000-000000000000/release').set(alice.auth),
      404,
      'not_found',
    );
    expect((await request(api.baseUrl).post(`/events/${event.id}/cancel`).set(admin.auth)).status).toBe(200);
    expect((await request(api.baseUrl).get(`/holds/${held.hold.id}`).set(alice.auth)).body.status).toBe(
      'released',
    );
    expect((await listSeats(api.baseUrl, event.id)).map((s) => s.state)).toEqual(['free', 'free', 'free']);
    expectApiError(
      await request(api.baseUrl).post(`/events/${event.id}/holds`).set(alice.auth).send({ quantity: 1 }),
      409,
      'event_cancelled',
    );
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({ held: 0, assignedSeats: 0 });

    const mine = await request(api.baseUrl).get('/holds').query({ eventId: event.id }).set(alice.auth);
    expect(mine.body.data.map((h: { id: string }) => h.id)).toEqual([held.hold.id]);
    expect(
      (await request(api.baseUrl).get('/holds').query({ eventId: event.id }).set(bob.auth)).body.data,
    ).toEqual([]);
    expect(await outbox('hold.released', held.id)).toBe(1);
  });
});
