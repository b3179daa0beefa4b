import { QueryTypes } from 'sequelize';
import { TEST_WEBHOOK_TYPE, WEBHOOK_TYPES } from '../shared/webhooks/types.js';
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
  releaseHold,
} from './support/factory.js';
import { waitFor } from './support/harness.js';
import { openApiContract } from './support/openapi-contract.js';

interface Payload {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & {
    reason?: string | null;
    booking?: { seats: unknown[] | null } | null;
    hold?: { seats: unknown[] | null } | null;
  };
}

/**
 * The payload schemas of the OpenAPI document's `webhooks` section (api/openapi/webhooks.ts)
 * against what the system writes: real flows through the API and the worker cover every message
 * type and every variant, and each message they write to the outbox (the body a partner
 * receives) must validate against its type's schema. A new type without a schema, or without a
 * flow here, fails; so does a builder that drifts from its schema.
 */
describe('webhook payloads', () => {
  const service = useTestApi({}, { workers: 'in-process' });
  const contract = openApiContract();
  let admin: Actor;
  const buyers: Actor[] = [];
  let payloads: Payload[] = [];

  const http = () => service.http();
  /** A booking request's state once it has left `status` (a waitlist promotion, say). */
  const leftStatus = (buyer: Actor, requestId: string, status: string) =>
    waitFor(
      async () => {
        const res = await http().get(`/booking-requests/${requestId}`).set(buyer.auth);
        return res.body.status !== status && res.body;
      },
      undefined,
      `booking request ${requestId} to leave ${status}`,
    );

  /**
   * An endpoint's test message (`webhook.test`); the endpoint's id. The endpoint (a public address
   * nothing here dials: this file runs no delivery worker) is deleted once the message is written,
   * so a delivery worker of another file sharing the database fails it without dialling.
   */
  async function testMessageFlow(): Promise<string> {
    const endpoint = await http()
      .post('/webhook-endpoints')
      .set(admin.auth)
      .send({ url: 'https://1.1.1.1/hooks', eventTypes: ['booking.confirmed'] });
    expect(endpoint.status).toBe(201);
    expect((await http().post(`/webhook-endpoints/${endpoint.body.id}/test`).set(admin.auth)).status).toBe(
      202,
    );
    expect((await http().delete(`/webhook-endpoints/${endpoint.body.id}`).set(admin.auth)).status).toBe(204);
    return endpoint.body.id;
  }

  /** Booked, waitlisted, rejected; the booking cancelled, which promotes the waitlist to a booking. */
  async function bookingFlow(): Promise<string> {
    const [u1, u2, u3] = buyers as [Actor, Actor, Actor];
    const event = await createEvent(service.baseUrl, admin, { capacity: 2 });
    const confirmed = await book(service, u1, event.id, { quantity: 2 });
    expect(confirmed.status).toBe('confirmed');
    const waitlisted = await book(service, u2, event.id, { quantity: 1, waitlist: true });
    expect(waitlisted.status).toBe('waitlisted');
    expect((await book(service, u3, event.id, { quantity: 1 })).status).toBe('rejected');
    expect((await cancelBooking(service, u1, confirmed.booking.id)).status).toBe('cancelled');
    expect((await leftStatus(u2, waitlisted.id, 'waitlisted')).status).toBe('confirmed');
    return event.id;
  }

  /** A hold released, which promotes the waitlist to a hold; that hold confirmed. */
  async function holdFlow(): Promise<string> {
    const [u1, u2] = buyers as [Actor, Actor];
    const event = await createEvent(service.baseUrl, admin, { capacity: 1, waitlistPromotion: 'hold' });
    const held = await hold(service, u1, event.id, { quantity: 1 });
    expect(held.status).toBe('held');
    const waitlisted = await book(service, u2, event.id, { quantity: 1, waitlist: true });
    expect(waitlisted.status).toBe('waitlisted');
    expect((await releaseHold(service, u1, held.hold.id)).status).toBe('cancelled');
    const promoted = await leftStatus(u2, waitlisted.id, 'waitlisted');
    expect(promoted.status).toBe('held');
    expect((await confirmHold(service, u2, promoted.hold.id)).status).toBe('confirmed');
    return event.id;
  }

  /** Reserved seats: booked, a hold that expires, a waitlist entry its owner leaves, an update. */
  async function seatedFlow(): Promise<string> {
    const [u1, u2, u3] = buyers as [Actor, Actor, Actor];
    const event = await createSeatedEvent(
      service.baseUrl,
      admin,
      [{ section: 'A', rows: ['1'], seats: { from: 1, to: 2 } }],
      { holdTtlSeconds: 5 },
    );
    expect((await book(service, u1, event.id, { quantity: 1 })).status).toBe('confirmed');
    const held = await hold(service, u2, event.id, { quantity: 1 });
    expect(held.status).toBe('held');
    await waitFor(
      async () => (await http().get(`/holds/${held.hold.id}`).set(u2.auth)).body.status === 'expired',
      undefined,
      `hold ${held.hold.id} to expire`,
    );
    expect((await book(service, u3, event.id, { quantity: 1 })).status).toBe('confirmed');
    const waitlisted = await book(service, u2, event.id, { quantity: 1, waitlist: true });
    expect(waitlisted.status).toBe('waitlisted');
    const left = await http().post(`/waitlist/${waitlisted.waitlistEntry.id}/leave`).set(u2.auth);
    expect(left.status).toBe(200);
    const { version } = (await http().get(`/events/${event.id}`)).body;
    const updated = await http()
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version, name: 'Renamed' });
    expect(updated.status).toBe(200);
    return event.id;
  }

  /** An event cancelled with a booking, a hold and a waitlist entry. */
  async function cancellationFlow(): Promise<string> {
    const [u1, u2, u3] = buyers as [Actor, Actor, Actor];
    const event = await createEvent(service.baseUrl, admin, { capacity: 2 });
    expect((await book(service, u1, event.id, { quantity: 1 })).status).toBe('confirmed');
    expect((await hold(service, u2, event.id, { quantity: 1 })).status).toBe('held');
    expect((await book(service, u3, event.id, { quantity: 1, waitlist: true })).status).toBe('waitlisted');
    expect((await http().post(`/events/${event.id}/cancel`).set(admin.auth)).status).toBe(200);
    return event.id;
  }

  beforeAll(async () => {
    admin = await createActor(service.baseUrl, 'admin');
    buyers.push(...(await Promise.all([1, 2, 3].map(() => registerUser(service.baseUrl)))));
    const [endpointId, ...eventIds] = await Promise.all([
      testMessageFlow(),
      bookingFlow(),
      holdFlow(),
      seatedFlow(),
      cancellationFlow(),
    ]);
    payloads = (
      await service.deps.sequelize.query<{ payload: Payload }>(
        `SELECT payload FROM webhook_outbox
          WHERE event_id = ANY($ids::uuid[]) OR payload #>> '{data,endpointId}' = $endpointId ORDER BY id`,
        { bind: { ids: eventIds, endpointId }, type: QueryTypes.SELECT },
      )
    ).map((row) => row.payload);
  });

  test('every message written validates against its type’s schema in the OpenAPI document', () => {
    expect(payloads.length).toBeGreaterThan(0);
    expect(payloads.map((p) => contract.checkWebhook(p)).filter((problem) => problem !== null)).toEqual([]);
  });

  test('the flows wrote every message type, and every variant of each', () => {
    expect([...new Set(payloads.map((p) => p.type))].sort()).toEqual(
      [...WEBHOOK_TYPES, TEST_WEBHOOK_TYPE].sort(),
    );
    const variants = (type: string, of: (p: Payload) => unknown) =>
      [...new Set(payloads.filter((p) => p.type === type).map(of))].sort();
    // The owner's request or the event's cancellation: the same fields, one of them null.
    expect(variants('booking.cancelled', (p) => p.data.reason)).toEqual(['event_cancelled', null]);
    expect(variants('hold.released', (p) => p.data.reason)).toEqual(['event_cancelled', null]);
    expect(variants('waitlist.left', (p) => p.data.reason)).toEqual(['event_cancelled', 'left']);
    expect(variants('waitlist.promoted', (p) => (p.data.booking ? 'booking' : 'hold'))).toEqual([
      'booking',
      'hold',
    ]);
    // General admission (null) and reserved seats (a list).
    expect(variants('booking.confirmed', (p) => Array.isArray(p.data.booking?.seats))).toEqual([false, true]);
    expect(variants('hold.expired', (p) => Array.isArray(p.data.hold?.seats))).toEqual([true]);
  });

  test('the schemas are closed: a missing, extra or mixed-up field fails', () => {
    const cancelled = payloads.find((p) => p.type === 'booking.cancelled' && p.data.reason === null)!;
    const { eventId: _, ...withoutEventId } = cancelled.data;
    const broken: unknown[] = [
      { ...cancelled, data: withoutEventId },
      { ...cancelled, data: { ...cancelled.data, note: 'x' } },
      { ...cancelled, extra: true },
      { ...cancelled, data: { ...cancelled.data, bookingRequest: null } },
      { ...cancelled, data: { ...cancelled.data, reason: 'event_cancelled' } },
      {
        ...cancelled,
        data: { ...cancelled.data, booking: { ...cancelled.data.booking, status: 'confirmed' } },
      },
      { ...cancelled, type: 'booking.confirmed' },
      { ...cancelled, type: 'booking.unknown' },
    ];
    // Components the API answers with stay open there (Event, BookedSeat), closed in a message.
    const updated = payloads.find((p) => p.type === 'event.updated')!;
    broken.push({ ...updated, data: { event: { ...(updated.data.event as object), note: 'x' } } });
    const seated = payloads.find((p) => p.type === 'booking.confirmed' && p.data.booking?.seats)!;
    const booking = seated.data.booking as { seats: object[] };
    broken.push({
      ...seated,
      data: { ...seated.data, booking: { ...booking, seats: [{ ...booking.seats[0], note: 'x' }] } },
    });
    for (const payload of broken) expect(contract.checkWebhook(payload as Payload)).not.toBeNull();
    for (const payload of [cancelled, updated, seated]) expect(contract.checkWebhook(payload)).toBeNull();
  });
});
