import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book, hold, submitBooking } from './support/factory.js';
import { DEFAULT_WAIT_MS, outcomeOf, waitFor } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

describe('fair limits per buyer: tickets per event, active holds, hold time', () => {
  // Two worker processes: a buyer's requests may be decided by either, and the cap still holds.
  const api = useTestApi({ MAX_HOLDS_PER_USER: '2', MAX_HOLD_TTL_SECONDS: '1800' }, { workers: 2 });
  let admin: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
  });

  const http = () => request(api.baseUrl);
  const decide = async (actor: Actor, res: request.Response) => {
    expect(res.status).toBe(202);
    return outcomeOf(api.baseUrl, actor, res.body.id);
  };
  const ticketsOf = async (eventId: string, userId: string) =>
    (
      await api.deps.sequelize.query<{ n: number }>(
        `SELECT ((SELECT coalesce(sum(quantity), 0) FROM bookings WHERE event_id = $eventId AND user_id = $userId AND status = 'confirmed')
              + (SELECT coalesce(sum(quantity), 0) FROM holds WHERE event_id = $eventId AND user_id = $userId AND status = 'active')
              + (SELECT coalesce(sum(quantity), 0) FROM waitlist_entries WHERE event_id = $eventId AND user_id = $userId AND status = 'waiting')
              )::int AS n`,
        { bind: { eventId, userId }, type: QueryTypes.SELECT },
      )
    )[0]!.n;

  test('one buyer firing 12 concurrent requests gets exactly the cap; the other buyers are unaffected', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 100, maxTicketsPerUser: 4 });
    expect(event).toMatchObject({ maxTicketsPerUser: 4, limitPartners: false });
    const greedy = await registerUser(api.baseUrl, 'greedy');
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, i) => registerUser(api.baseUrl, `fair${i}`)),
    );

    const burst = [
      ...Array.from({ length: 12 }, () => ({ actor: greedy, body: { quantity: 1 } })),
      ...others.flatMap((o) => [
        { actor: o, body: { quantity: 2 } },
        { actor: o, body: { quantity: 2 } },
      ]),
    ];
    const responses = await Promise.all(burst.map((b) => submitBooking(api, b.actor, event.id, b.body)));
    const outcomes = await Promise.all(responses.map((r, i) => decide(burst[i]!.actor, r)));

    const greedyOutcomes = outcomes.slice(0, 12);
    expect(greedyOutcomes.filter((o) => o.status === 'confirmed')).toHaveLength(4);
    const refused = greedyOutcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(8);
    for (const o of refused) {
      expect(o.reason).toBe('ticket_limit_reached');
      expect(o.reasonDetails).toEqual({ limit: 4, counted: 4 });
    }
    expect(outcomes.slice(12).map((o) => o.status)).toEqual(Array(10).fill('confirmed'));
    expect(await ticketsOf(event.id, greedy.id)).toBe(4);
    for (const o of others) expect(await ticketsOf(event.id, o.id)).toBe(4);
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('holds and waitlist entries count toward the cap; a cancellation makes room again', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 3, maxTicketsPerUser: 3 });
    const buyer = await registerUser(api.baseUrl, 'buyer');
    const rival = await registerUser(api.baseUrl, 'rival');
    expect((await hold(api, buyer, event.id, { quantity: 1 })).status).toBe('held');
    const booked = await book(api, buyer, event.id, { quantity: 1 });
    expect(booked.status).toBe('confirmed');
    expect((await book(api, rival, event.id, { quantity: 1 })).status).toBe('confirmed');
    // Sold out: the buyer waits for 1 more, which makes 3.
    expect((await book(api, buyer, event.id, { quantity: 1, waitlist: true })).status).toBe('waitlisted');
    const over = await book(api, buyer, event.id, { quantity: 1, waitlist: true });
    expect(over).toMatchObject({ status: 'rejected', reason: 'ticket_limit_reached' });
    expect(over.reasonDetails).toEqual({ limit: 3, counted: 3 });

    const cancel = await http().post(`/bookings/${booked.booking.id}/cancel`).set(buyer.auth).send();
    expect(cancel.status).toBe(202);
    await outcomeOf(api.baseUrl, buyer, cancel.body.id);
    // 2 counted: the hold, and the waitlist entry the freed seat was just given to. The event is
    // sold out again, so the next request is refused for that, not for the cap.
    expect(await ticketsOf(event.id, buyer.id)).toBe(2);
    const more = await book(api, buyer, event.id, { quantity: 1 });
    expect(more).toMatchObject({ status: 'rejected', reason: 'sold_out' });
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('active holds are capped per buyer (MAX_HOLDS_PER_USER); releasing one allows another', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 50 });
    const buyer = await registerUser(api.baseUrl, 'holder');
    const held = [];
    for (let i = 0; i < 2; i++) held.push(await hold(api, buyer, event.id, { quantity: 1 }));
    expect(held.map((h) => h.status)).toEqual(['held', 'held']);
    const third = await hold(api, buyer, event.id, { quantity: 1 });
    expect(third).toMatchObject({ status: 'rejected', reason: 'hold_limit_reached' });
    expect(third.reasonDetails).toEqual({ limit: 2, counted: 2 });

    const release = await http().post(`/holds/${held[0].hold.id}/release`).set(buyer.auth).send();
    expect(release.status).toBe(202);
    await outcomeOf(api.baseUrl, buyer, release.body.id);
    expect((await hold(api, buyer, event.id, { quantity: 1 })).status).toBe('held');
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('waitlist offer holds count against the hold cap too: a buyer at the cap is not offered more', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 4, waitlistPromotion: 'hold' });
    const buyer = await registerUser(api.baseUrl, 'collector');
    const rival = await registerUser(api.baseUrl, 'rival');
    for (let i = 0; i < 2; i++) {
      expect((await hold(api, buyer, event.id, { quantity: 1 })).status).toBe('held');
    }
    expect((await book(api, rival, event.id, { quantity: 2 })).status).toBe('confirmed');
    const waiting = [];
    for (let i = 0; i < 2; i++) {
      const entry = await book(api, buyer, event.id, { quantity: 1, waitlist: true });
      expect(entry.status).toBe('waitlisted');
      waiting.push(entry);
    }
    const later = await registerUser(api.baseUrl, 'later');
    const laterEntry = await book(api, later, event.id, { quantity: 2, waitlist: true });
    expect(laterEntry.status).toBe('waitlisted');
    const grown = await http().patch(`/events/${event.id}`).set(admin.auth).send({ version: 1, capacity: 6 });
    expect(grown.status).toBe(200);
    // The two new seats are offered to the line: the buyer, at the hold cap, is passed over and
    // the next in line gets them.
    await waitFor(
      async () =>
        (await http().get(`/waitlist/${laterEntry.waitlistEntry.id}`).set(later.auth)).body.status ===
        'promoted',
      DEFAULT_WAIT_MS,
      'the next in line to be offered the new seats',
    );
    const holds = async () =>
      (await http().get('/holds').query({ eventId: event.id, status: 'active' }).set(buyer.auth)).body.data;
    const entries = await Promise.all(
      waiting.map(async (w) => (await http().get(`/waitlist/${w.waitlistEntry.id}`).set(buyer.auth)).body),
    );
    expect(entries.map((e) => e.status)).toEqual(['waiting', 'waiting']);
    expect(await holds()).toHaveLength(2);
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('partners and admins are exempt unless the event sets limitPartners', async () => {
    const partner = await createActor(api.baseUrl, 'partner');
    const open = await createEvent(api.baseUrl, admin, { capacity: 50, maxTicketsPerUser: 2 });
    const bulk = await http()
      .post(`/events/${open.id}/bookings`)
      .set(partner.auth)
      .set('Idempotency-Key', `bulk-${open.id}`)
      .send({ quantity: 8 });
    expect((await decide(partner, bulk)).status).toBe('confirmed');

    const strict = await createEvent(api.baseUrl, admin, {
      capacity: 50,
      maxTicketsPerUser: 2,
      limitPartners: true,
    });
    const limited = await http()
      .post(`/events/${strict.id}/bookings`)
      .set(partner.auth)
      .set('Idempotency-Key', `bulk-${strict.id}`)
      .send({ quantity: 8 });
    expect(await decide(partner, limited)).toMatchObject({
      status: 'rejected',
      reason: 'ticket_limit_reached',
    });
  });

  test('maxTicketsPerUser and hold times are validated; PATCH can lift a cap', async () => {
    const base = {
      name: 'Limits',
      venue: 'Hall',
      startsAt: new Date(Date.now() + 86400_000).toISOString(),
      capacity: 10,
    };
    for (const bad of [
      { maxTicketsPerUser: 0 },
      { maxTicketsPerUser: 'many' },
      { holdTtlSeconds: 1801 },
      { holdTtlSeconds: 86400 },
      { limitPartners: 'yes' },
    ]) {
      const res = await http()
        .post('/events')
        .set(admin.auth)
        .send({ ...base, ...bad });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const event = await createEvent(api.baseUrl, admin, {
      maxTicketsPerUser: 2,
      holdTtlSeconds: 1800,
    });
    const tooLong = await http()
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, holdTtlSeconds: 3600 });
    expect(tooLong.status).toBe(400);
    const lifted = await http()
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 1, maxTicketsPerUser: null });
    expect(lifted.status).toBe(200);
    expect(lifted.body).toMatchObject({ maxTicketsPerUser: null, holdTtlSeconds: 1800, version: 2 });
  });
});

describe('DEFAULT_MAX_TICKETS_PER_USER', () => {
  const api = useTestApi({ DEFAULT_MAX_TICKETS_PER_USER: '6' });

  test('is the cap of an event created without one; an event may still say null (no cap)', async () => {
    const admin = await createActor(api.baseUrl, 'admin');
    expect(await createEvent(api.baseUrl, admin)).toMatchObject({ maxTicketsPerUser: 6 });
    expect(await createEvent(api.baseUrl, admin, { maxTicketsPerUser: null })).toMatchObject({
      maxTicketsPerUser: null,
    });
  });
});
