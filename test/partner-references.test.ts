import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { type Actor, createActor, createEvent } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { outcomeOf, waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { countRows } from './support/rows.js';
import { type Arrival, WebhookReceiver } from './support/webhook-receiver.js';

/**
 * A partner's own reference for a purchase (`externalReference`, `metadata`): limits, the echo in
 * every representation and webhook of the purchase, the lookup by reference, idempotency, and the
 * event summary a buyer's history shows.
 */
// The partner's receiver, up before the API starts (it is allowed by its port).
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
});

describe('partner references and booking history', () => {
  const api = useTestApi(
    () => ({
      WEBHOOKS_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE: new URL(receiver.baseUrl).host,
      WEBHOOK_RELAY_INTERVAL_MS: '50',
    }),
    {
      workers: 'in-process',
      // Retire this file's endpoints before the receiver goes, so nothing retries to a closed port.
      beforeStop: async () => {
        await api.deps.sequelize.query(
          `UPDATE webhook_endpoints SET status = 'disabled', deleted_at = now() WHERE url LIKE $prefix || '%'`,
          { bind: { prefix: receiver.baseUrl } },
        );
        await receiver.stop();
      },
    },
  );
  const http = () => request(api.baseUrl);
  let admin: Actor;
  let partner: Actor;
  let other: Actor;
  /** The receiver path of `partner`'s endpoint: every purchase message type. */
  let path: string;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    partner = await createActor(api.baseUrl, 'partner');
    other = await createActor(api.baseUrl, 'partner');
    path = `/partner-${randomUUID()}`;
    const endpoint = await http()
      .post('/webhook-endpoints')
      .set(partner.auth)
      .send({
        url: `${receiver.baseUrl}${path}`,
        eventTypes: [
          'booking.confirmed',
          'booking.rejected',
          'booking.cancelled',
          'hold.created',
          'hold.confirmed',
          'hold.expired',
          'hold.released',
          'booking.waitlisted',
          'waitlist.promoted',
          'waitlist.left',
        ],
      });
    expect(endpoint.status).toBe(201);
  });

  const reference = (externalReference: string) => ({
    externalReference,
    metadata: { order: externalReference, channel: 'web' },
  });
  /** A book or hold request of `as`, with its Idempotency-Key (partners must send one). */
  const submit = (as: Actor, eventId: string, body: object, kind: 'bookings' | 'holds' = 'bookings') =>
    http().post(`/events/${eventId}/${kind}`).set(as.auth).set('Idempotency-Key', randomUUID()).send(body);
  const decided = async (
    as: Actor,
    eventId: string,
    body: object,
    kind: 'bookings' | 'holds' = 'bookings',
  ) => {
    const res = await submit(as, eventId, body, kind);
    expect(res.status).toBe(202);
    return outcomeOf(api.baseUrl, as, res.body.id);
  };
  const action = async (as: Actor, route: string) => {
    const res = await http().post(route).set(as.auth).set('Idempotency-Key', randomUUID());
    expect(res.status).toBe(202);
    return outcomeOf(api.baseUrl, as, res.body.id);
  };
  /** The messages of `type` the partner's endpoint received about `eventId`, waited for until there are `n`. */
  const messages = (type: string, eventId: string, n = 1) =>
    waitFor(
      async () => {
        const found = receiver
          .at(path)
          .filter((a: Arrival) => a.payload.type === type && a.payload.data.eventId === eventId);
        return found.length >= n && found.map((a) => a.payload.data as Record<string, unknown>);
      },
      undefined,
      `${n} ${type} message(s) about event ${eventId}`,
    );

  describe('limits: over any, 400 naming the field, and nothing recorded', () => {
    const keys = (n: number, length = 5) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${i}`.padStart(length, 'k'), 'v']));
    test.each([
      ['externalReference over 100 characters', { externalReference: 'x'.repeat(101) }, 'externalReference'],
      ['an empty externalReference', { externalReference: '' }, 'externalReference'],
      ['externalReference not a string', { externalReference: 12 }, 'externalReference'],
      ['more than 20 metadata keys', { metadata: keys(21) }, 'metadata'],
      [
        'a metadata key over 40 characters',
        { metadata: { ['k'.repeat(41)]: 'v' } },
        `metadata.${'k'.repeat(41)}`,
      ],
      ['a metadata value over 500 characters', { metadata: { note: 'v'.repeat(501) } }, 'metadata.note'],
      ['a metadata value not a string', { metadata: { count: 3 } }, 'metadata.count'],
      ['metadata not an object', { metadata: ['a'] }, 'metadata'],
    ])('%s', async (_label, extra, field) => {
      const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
      for (const kind of ['bookings', 'holds'] as const) {
        const res = await submit(partner, event.id, { quantity: 1, ...extra }, kind);
        expectApiError(res, 400, 'validation_failed');
        expect(res.body.error.details).toEqual([expect.objectContaining({ in: 'body', path: field })]);
      }
      expect(
        await countRows(api.deps.sequelize, 'booking_requests WHERE event_id = $id', { id: event.id }),
      ).toBe(0);
    });

    test('at every limit exactly, the request is accepted and its reference kept whole', async () => {
      const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
      const metadata = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`${i}`.padStart(40, 'k'), `${i}`.padEnd(500, 'v')]),
      );
      const body = { quantity: 1, externalReference: 'r'.repeat(100), metadata };
      const outcome = await decided(partner, event.id, body);
      expect(outcome).toMatchObject({
        status: 'confirmed',
        externalReference: body.externalReference,
        metadata,
      });
      expect(outcome.booking).toMatchObject({ externalReference: body.externalReference, metadata });
    });
  });

  test('a booking’s reference is echoed by the submission, its poll, its booking and its webhook', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5, venue: 'Blue Hall' });
    const ref = reference(`order-${randomUUID()}`);
    // Prefer: wait answers with the outcome in the submitting round trip.
    const submitted = await http()
      .post(`/events/${event.id}/bookings`)
      .set(partner.auth)
      .set('Idempotency-Key', randomUUID())
      .set('Prefer', 'wait=10')
      .send({ quantity: 2, ...ref });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ status: 'confirmed', ...ref, booking: ref });
    const poll = await http().get(`/booking-requests/${submitted.body.id}`).set(partner.auth);
    expect(poll.body).toMatchObject({
      ...ref,
      booking: { ...ref, event: { id: event.id, venue: 'Blue Hall' } },
    });
    const longPoll = await http()
      .get(`/booking-requests/${submitted.body.id}`)
      .set(partner.auth)
      .set('Prefer', 'wait=5');
    expect(longPoll.body).toMatchObject({ ...ref, booking: ref });
    const booking = await http().get(`/bookings/${submitted.body.booking.id}`).set(partner.auth);
    expect(booking.body).toMatchObject({ ...ref, requestId: submitted.body.id });
    const [confirmed] = await messages('booking.confirmed', event.id);
    expect(confirmed).toMatchObject({ ...ref, booking: { id: submitted.body.booking.id } });
  });

  test('a queued request’s poll shows its reference before it is decided, and a request without one shows none', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const ref = reference('queued-ref');
    const res = await submit(partner, event.id, { quantity: 1, ...ref });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', ...ref, event: { id: event.id } });
    const plain = await decided(partner, event.id, { quantity: 1 });
    expect(plain).toMatchObject({
      externalReference: null,
      metadata: {},
      booking: { externalReference: null },
    });
  });

  test('a hold carries its reference to its booking when confirmed, and every hold message carries it', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const ref = reference(`cart-${randomUUID()}`);
    const held = await decided(partner, event.id, { quantity: 2, ...ref }, 'holds');
    expect(held).toMatchObject({ status: 'held', ...ref, hold: ref });
    expect((await http().get(`/holds/${held.hold.id}`).set(partner.auth)).body).toMatchObject(ref);
    const confirmed = await action(partner, `/holds/${held.hold.id}/confirm`);
    // The confirm request has no reference of its own; the booking it made has the purchase's.
    expect(confirmed).toMatchObject({ status: 'confirmed', externalReference: null, booking: ref });
    expect((await http().get(`/bookings/${confirmed.booking.id}`).set(partner.auth)).body).toMatchObject({
      ...ref,
      holdId: held.hold.id,
    });
    const released = await decided(partner, event.id, { quantity: 1, ...reference('released') }, 'holds');
    await action(partner, `/holds/${released.hold.id}/release`);
    await action(partner, `/bookings/${confirmed.booking.id}/cancel`);
    expect((await messages('hold.created', event.id, 2)).map((m) => m.externalReference).sort()).toEqual(
      [ref.externalReference, 'released'].sort(),
    );
    expect(await messages('hold.confirmed', event.id)).toEqual([expect.objectContaining(ref)]);
    expect(await messages('hold.released', event.id)).toEqual([
      expect.objectContaining(reference('released')),
    ]);
    expect(await messages('booking.cancelled', event.id)).toEqual([expect.objectContaining(ref)]);
  });

  test('a waitlisted purchase keeps its reference through its promotion; a rejection carries its own', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    const first = await decided(partner, event.id, { quantity: 1, ...reference('first') });
    const waiting = await decided(partner, event.id, {
      quantity: 1,
      waitlist: true,
      ...reference('waiting'),
    });
    expect(waiting).toMatchObject({ status: 'waitlisted', waitlistEntry: reference('waiting') });
    const refused = await decided(partner, event.id, { quantity: 1, ...reference('refused') });
    expect(refused).toMatchObject({ status: 'rejected', reason: 'sold_out', ...reference('refused') });

    await action(partner, `/bookings/${first.booking.id}/cancel`);
    await waitFor(async () => {
      const res = await http().get(`/booking-requests/${waiting.id}`).set(partner.auth);
      return res.body.status === 'confirmed' && res.body;
    });
    const after = (await http().get(`/booking-requests/${waiting.id}`).set(partner.auth)).body;
    expect(after).toMatchObject({ ...reference('waiting'), booking: reference('waiting') });
    expect(after.waitlistEntry).toMatchObject({ status: 'promoted', ...reference('waiting') });
    expect(await messages('booking.waitlisted', event.id)).toEqual([
      expect.objectContaining(reference('waiting')),
    ]);
    expect(await messages('waitlist.promoted', event.id)).toEqual([
      expect.objectContaining({
        ...reference('waiting'),
        booking: expect.objectContaining({ status: 'confirmed' }),
      }),
    ]);
    expect(await messages('booking.rejected', event.id)).toEqual([
      expect.objectContaining(reference('refused')),
    ]);
    expect(await messages('booking.cancelled', event.id)).toEqual([
      expect.objectContaining(reference('first')),
    ]);
  });

  test('an event’s cancellation tells each purchase’s webhooks with its reference', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 2 });
    await decided(partner, event.id, { quantity: 1, ...reference('booked') });
    await decided(partner, event.id, { quantity: 1, ...reference('held') }, 'holds');
    await decided(partner, event.id, { quantity: 1, waitlist: true, ...reference('waiting') });
    expect((await http().post(`/events/${event.id}/cancel`).set(admin.auth)).status).toBe(200);
    expect(await messages('booking.cancelled', event.id)).toEqual([
      expect.objectContaining({ ...reference('booked'), reason: 'event_cancelled' }),
    ]);
    expect(await messages('hold.released', event.id)).toEqual([
      expect.objectContaining({ ...reference('held'), reason: 'event_cancelled' }),
    ]);
    expect(await messages('waitlist.left', event.id)).toEqual([
      expect.objectContaining({ ...reference('waiting'), reason: 'event_cancelled' }),
    ]);
  });

  test('a waitlist entry its owner leaves says so with its reference', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    await decided(partner, event.id, { quantity: 1 });
    const waiting = await decided(partner, event.id, {
      quantity: 1,
      waitlist: true,
      ...reference('leaving'),
    });
    const left = await http().post(`/waitlist/${waiting.waitlistEntry.id}/leave`).set(partner.auth);
    expect(left.body).toMatchObject({ status: 'left', ...reference('leaving') });
    expect(await messages('waitlist.left', event.id)).toEqual([
      expect.objectContaining({ ...reference('leaving'), reason: 'left' }),
    ]);
  });

  test('GET /bookings?externalReference= finds the caller’s own bookings with it, a page at a time, and no one else’s', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const shared = `shared-${randomUUID()}`;
    const mine = [
      await decided(partner, event.id, { quantity: 1, externalReference: shared }),
      await decided(partner, event.id, { quantity: 1, externalReference: shared }),
    ];
    await decided(partner, event.id, { quantity: 1, externalReference: `${shared}-not` });
    const theirs = await decided(other, event.id, { quantity: 1, externalReference: shared });
    const onlyTheirs = `theirs-${randomUUID()}`;
    await decided(other, event.id, { quantity: 1, externalReference: onlyTheirs });

    const list = (as: Actor, query: Record<string, string | number>) =>
      http().get('/bookings').set(as.auth).query(query);
    const first = await list(partner, { externalReference: shared, limit: 1 });
    expect(first.status).toBe(200);
    const second = await list(partner, { externalReference: shared, limit: 1, cursor: first.body.next });
    expect(second.body.next).toBeNull();
    expect([...first.body.data, ...second.body.data].map((b: { id: string }) => b.id)).toEqual(
      mine.map((r) => r.booking.id).reverse(),
    );
    expect(first.body.data[0]).toMatchObject({ externalReference: shared, userId: partner.id });
    expect(
      (await list(other, { externalReference: shared })).body.data.map((b: { id: string }) => b.id),
    ).toEqual([theirs.booking.id]);
    expect((await list(partner, { externalReference: onlyTheirs })).body).toEqual({ data: [], next: null });
    // The same filter on holds and on booking requests.
    const requests = await http()
      .get('/booking-requests')
      .set(partner.auth)
      .query({ externalReference: shared });
    expect(requests.body.data.map((r: { id: string }) => r.id)).toEqual(mine.map((r) => r.id).reverse());
    expect(
      (await http().get('/holds').set(partner.auth).query({ externalReference: shared })).body.data,
    ).toEqual([]);
    expectApiError(await list(partner, { externalReference: 'x'.repeat(101) }), 400, 'validation_failed');
  });

  test('an Idempotency-Key replay must carry the same reference: another one is another body', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const key = randomUUID();
    const send = (body: object) =>
      http().post(`/events/${event.id}/bookings`).set(partner.auth).set('Idempotency-Key', key).send(body);
    const body = { quantity: 1, externalReference: 'idem', metadata: { a: '1', b: '2' } };
    const first = await send(body);
    expect(first.status).toBe(202);
    // The same map in another key order is the same body.
    const replay = await send({ quantity: 1, externalReference: 'idem', metadata: { b: '2', a: '1' } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toMatchObject({ id: first.body.id, externalReference: 'idem' });
    for (const changed of [
      { ...body, externalReference: 'other' },
      { ...body, metadata: { a: '1' } },
      { quantity: 1 },
    ]) {
      expectApiError(await send(changed), 422, 'idempotency_key_reused');
    }
    expect(
      await countRows(api.deps.sequelize, 'booking_requests WHERE event_id = $id', { id: event.id }),
    ).toBe(1);
  });

  test('booking history names each event: bookings, holds, waitlist entries and booking requests, listed or one by one', async () => {
    const startsAt = new Date(Date.now() + 7 * 86_400_000);
    const event = await createEvent(api.baseUrl, admin, {
      capacity: 2,
      name: `History ${randomUUID().slice(0, 8)}`,
      venue: 'Green Room',
      startsAt: startsAt.toISOString(),
    });
    const summary = {
      id: event.id,
      name: expect.stringMatching(/^History /),
      venue: 'Green Room',
      startsAt: startsAt.toISOString(),
    };
    const booked = await decided(other, event.id, { quantity: 1 });
    const held = await decided(other, event.id, { quantity: 1 }, 'holds');
    const waiting = await decided(other, event.id, { quantity: 1, waitlist: true });
    const get = async (route: string) => (await http().get(route).set(other.auth)).body;
    for (const body of [
      booked,
      await get(`/booking-requests/${booked.id}`),
      await get(`/bookings/${booked.booking.id}`),
      await get(`/holds/${held.hold.id}`),
      await get(`/waitlist/${waiting.waitlistEntry.id}`),
      booked.booking,
      held.hold,
      waiting.waitlistEntry,
    ]) {
      expect(body).toMatchObject({ eventId: event.id, event: summary });
    }
    for (const route of ['/bookings', '/holds', '/waitlist', '/booking-requests']) {
      const { data } = await get(`${route}?eventId=${event.id}`);
      expect(data.length).toBeGreaterThan(0);
      for (const item of data) expect(item).toMatchObject({ event: summary });
    }
  });
});
