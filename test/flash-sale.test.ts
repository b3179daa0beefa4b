import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { waitFor } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

const CAPACITY = 100;
const USERS = 50;
const REQUESTS = 1000;

describe('flash sale: 1,000 concurrent requests for 100 seats, two worker processes', () => {
  const api = useTestApi({ ALLOCATION_BATCH_SIZE: '25' }, { workers: 2 });

  beforeAll(async () => {});

  test('exactly the first 100 in arrival order are confirmed, the rest sold out, counters exact', async () => {
    const started = performance.now();
    const admin = await createActor(api.baseUrl, 'admin');
    const event = await createEvent(api.baseUrl, admin, { capacity: CAPACITY });
    const users: Actor[] = await Promise.all(
      Array.from({ length: USERS }, (_, i) => registerUser(api.baseUrl, `fan${i}`)),
    );

    const responses = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        request(api.baseUrl)
          .post(`/events/${event.id}/bookings`)
          .set(users[i % USERS]!.auth)
          .send({ quantity: 1 }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(REQUESTS).fill(202));
    for (const r of responses) {
      expect(r.headers.location).toBe(`/booking-requests/${r.body.id}`);
      // Fast workers may already have decided it by the time the 202 is written.
      expect(['queued', 'confirmed', 'rejected']).toContain(r.body.status);
    }
    const accepted = new Set(responses.map((r) => r.body.id as string));
    expect(accepted.size).toBe(REQUESTS);

    const { sequelize } = api.deps;
    await waitFor(
      async () => {
        const [row] = await sequelize.query<{ queued: number }>(
          `SELECT count(*)::int AS queued FROM booking_requests WHERE event_id = $id AND status = 'queued'`,
          { bind: { id: event.id }, type: QueryTypes.SELECT },
        );
        return row!.queued === 0;
      },
      60000,
      'every request to be decided',
    );

    const decided = await sequelize.query<{
      id: string;
      status: string;
      reason: string | null;
      booking_id: string | null;
    }>(`SELECT id, status, reason, booking_id FROM booking_requests WHERE event_id = $id ORDER BY seq`, {
      bind: { id: event.id },
      type: QueryTypes.SELECT,
    });
    expect(decided).toHaveLength(REQUESTS);
    expect(new Set(decided.map((r) => r.id))).toEqual(accepted);
    // First come, first served: the first CAPACITY in arrival order win, every later one is sold out.
    const firstServed = decided.slice(0, CAPACITY);
    const late = decided.slice(CAPACITY);
    expect(firstServed.every((r) => r.status === 'confirmed' && r.booking_id)).toBe(true);
    expect(late.every((r) => r.status === 'rejected' && r.reason === 'sold_out' && !r.booking_id)).toBe(true);

    const counters = await expectEventInvariants(sequelize, event.id);
    expect(counters).toMatchObject({
      booked: CAPACITY,
      bookedFromRows: CAPACITY,
      confirmedBookings: CAPACITY,
    });

    // One outbox message per outcome, committed with it.
    const outbox = await sequelize.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM webhook_outbox WHERE event_id = $id GROUP BY type ORDER BY type`,
      { bind: { id: event.id }, type: QueryTypes.SELECT },
    );
    expect(outbox).toEqual([
      { type: 'booking.confirmed', n: CAPACITY },
      { type: 'booking.rejected', n: REQUESTS - CAPACITY },
    ]);

    // What clients see agrees with the rows.
    const sample = responses[0]!.body.id;
    const polled = await request(api.baseUrl).get(`/booking-requests/${sample}`).set(users[0]!.auth);
    expect(['confirmed', 'rejected']).toContain(polled.body.status);
    const listed = await request(api.baseUrl).get(`/events/${event.id}`);
    expect(listed.body).toMatchObject({ booked: CAPACITY, available: 0 });

    process.stdout.write(
      `flash sale: ${REQUESTS} requests, ${USERS} users, 2 worker processes, capacity ${CAPACITY}: ` +
        `${Math.round(performance.now() - started)} ms wall\n`,
    );
  });
});
