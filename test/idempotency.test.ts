import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';

describe('Idempotency-Key', () => {
  const api = useTestApi();
  let admin: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
  });

  const countRequests = async (eventId: string) =>
    (
      await api.deps.sequelize.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM booking_requests WHERE event_id = $eventId',
        { bind: { eventId }, type: QueryTypes.SELECT },
      )
    )[0]!.n;

  test('the same key and body return the same request; a different body is a 422', async () => {
    const event = await createEvent(api.baseUrl, admin);
    const user = await registerUser(api.baseUrl);
    const key = randomUUID();
    const send = (quantity: number) =>
      request(api.baseUrl)
        .post(`/events/${event.id}/bookings`)
        .set(user.auth)
        .set('Idempotency-Key', key)
        .send({ quantity });

    const first = await send(2);
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const replay = await send(2);
    expect([200, 202]).toContain(replay.status);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers['idempotent-replayed']).toBe('true');

    const misuse = await send(3);
    expect(misuse.status).toBe(422);
    expect(misuse.body.error).toMatchObject({
      code: 'idempotency_key_reused',
      details: { requestId: first.body.id },
    });
    expect(await countRequests(event.id)).toBe(1);
  });

  test('concurrent duplicates never create two requests', async () => {
    const event = await createEvent(api.baseUrl, admin);
    const user = await registerUser(api.baseUrl);
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(api.baseUrl)
          .post(`/events/${event.id}/bookings`)
          .set(user.auth)
          .set('Idempotency-Key', key)
          .send({ quantity: 1 }),
      ),
    );
    expect(responses.every((r) => r.status === 202 || r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await countRequests(event.id)).toBe(1);
    expect(await api.deps.queues.get(event.id).getJob(responses[0]!.body.id)).toBeDefined();
  });

  test('keys are scoped per principal, and partners must send one', async () => {
    const event = await createEvent(api.baseUrl, admin);
    const [a, b] = await Promise.all([registerUser(api.baseUrl), registerUser(api.baseUrl)]);
    const key = randomUUID();
    const ra = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(a.auth)
      .set('Idempotency-Key', key)
      .send({ quantity: 1 });
    const rb = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(b.auth)
      .set('Idempotency-Key', key)
      .send({ quantity: 1 });
    expect(ra.status).toBe(202);
    expect(rb.status).toBe(202);
    expect(ra.body.id).not.toBe(rb.body.id);

    const partner = await createActor(api.baseUrl, 'partner');
    const keyless = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(partner.auth)
      .send({ quantity: 1 });
    expect(keyless.status).toBe(400);
    expect(keyless.body.error.code).toBe('validation_failed');
    expect(await countRequests(event.id)).toBe(2);
    const keyed = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(partner.auth)
      .set('Idempotency-Key', key)
      .send({ quantity: 1 });
    expect(keyed.status).toBe(202);
  });
});
