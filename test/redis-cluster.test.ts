import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { OwnRedisCluster } from '../bench/redis-cluster.js';
import { eventQueueKeys, eventQueueName } from '../shared/queues.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { waitFor } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

const MASTERS = 3;
const CAPACITY = 5;
const BUYERS = 8;
const EVENTS = 4;

const missing = OwnRedisCluster.missing();
if (missing) process.stdout.write(`redis-cluster tests skipped: ${missing}\n`);

(missing ? describe.skip : describe)(`on a real ${MASTERS}-master Redis Cluster`, () => {
  const cluster = new OwnRedisCluster(MASTERS);
  // Registered before the API's hooks: the cluster is up before the API starts, and (Jest runs
  // `afterAll` hooks in registration order) stopped only after the API and workers stopped.
  beforeAll(() => cluster.start(), 60000);
  const api = useTestApi(() => ({ REDIS_CLUSTER_NODES: cluster.nodeList }), { workers: 2 });
  afterAll(() => cluster.stop());

  let admin: Actor;
  let buyers: Actor[];
  /** Events whose queues' keys landed on at least two different shards. */
  const events: { id: string }[] = [];
  /** Event id -> port of the master that serves its queue's slot. */
  const shardOf = new Map<string, number>();

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    buyers = await Promise.all(
      Array.from({ length: BUYERS }, (_, i) => registerUser(api.baseUrl, `buyer${i}`)),
    );
    // Event ids are random: a few events almost always spread over several shards; keep creating
    // (a bounded number) until they do, so the spread is asserted, not hoped for.
    for (let i = 0; i < 20 && (events.length < EVENTS || new Set(shardOf.values()).size < 2); i++) {
      const event = await createEvent(api.baseUrl, admin, { capacity: CAPACITY });
      events.push(event);
      shardOf.set(event.id, await cluster.nodeOf(eventQueueKeys(api.config.redisPrefix, event.id).wait!));
    }
  });

  test('the API answers on the cluster: readiness, token checks, revocation (one MGET per user)', async () => {
    expect((await request(api.baseUrl).get('/health/ready')).status).toBe(200);
    const user = await registerUser(api.baseUrl, 'revoked');
    expect((await request(api.baseUrl).get('/auth/me').set(user.auth)).status).toBe(200);
    expect((await request(api.baseUrl).post('/auth/logout').set(user.auth)).status).toBe(204);
    expect((await request(api.baseUrl).get('/auth/me').set(user.auth)).status).toBe(401);
  });

  test('each event queue keeps its keys on its own slot, and the events spread over shards', async () => {
    await Promise.all(events.map((event) => queueBooking(api, buyers[0]!, event.id, { quantity: 1 })));
    const prefix = api.config.redisPrefix;
    for (const event of events) {
      // Every key BullMQ wrote for this queue, on the master that serves the event's slot.
      const keys = await cluster.keysOn(shardOf.get(event.id)!, `${prefix}:${eventQueueName(event.id)}:*`);
      expect(keys.length).toBeGreaterThanOrEqual(2);
      const slots = new Set(await Promise.all(keys.map((key) => cluster.slotOf(key))));
      expect({ event: event.id, slots: slots.size }).toEqual({ event: event.id, slots: 1 });
    }
    const shards = new Set(shardOf.values());
    process.stdout.write(
      `redis-cluster: ${events.length} event queues on ${shards.size} of ${MASTERS} shards (ports ${[...shardOf.values()].join(', ')})\n`,
    );
    expect(shards.size).toBeGreaterThanOrEqual(2);
  });

  test('buyers booking concurrently on several events are all decided, none oversold', async () => {
    const submitted = await Promise.all(
      events.flatMap((event) =>
        buyers.map((buyer) =>
          request(api.baseUrl).post(`/events/${event.id}/bookings`).set(buyer.auth).send({ quantity: 1 }),
        ),
      ),
    );
    expect(submitted.map((r) => r.status)).toEqual(submitted.map(() => 202));
    const { sequelize } = api.deps;
    const ids = events.map((e) => e.id);
    await waitFor(
      async () => {
        const [row] = await sequelize.query<{ queued: number }>(
          `SELECT count(*)::int AS queued FROM booking_requests WHERE event_id = ANY($ids::uuid[]) AND status = 'queued'`,
          { bind: { ids }, type: QueryTypes.SELECT },
        );
        return row!.queued === 0;
      },
      30000,
      'the workers to decide every booking request on the cluster',
    );
    for (const event of events) {
      // The earlier test's one booking, then BUYERS more: CAPACITY win, the rest are sold out.
      const counters = await expectEventInvariants(sequelize, event.id);
      expect(counters).toMatchObject({ booked: CAPACITY, confirmedBookings: CAPACITY });
      const decided = await sequelize.query<{ status: string; reason: string | null }>(
        'SELECT status, reason FROM booking_requests WHERE event_id = $id ORDER BY seq',
        { bind: { id: event.id }, type: QueryTypes.SELECT },
      );
      expect(decided).toHaveLength(BUYERS + 1);
      expect(decided.slice(0, CAPACITY).every((r) => r.status === 'confirmed')).toBe(true);
      expect(decided.slice(CAPACITY).every((r) => r.status === 'rejected' && r.reason === 'sold_out')).toBe(
        true,
      );
    }

    // A long poll: the decision reaches the API through pub/sub on the cluster (PUBLISH is
    // broadcast to every node, so the subscriber's node hears the worker's).
    const late = await queueBooking(api, buyers[1]!, events[0]!.id, { quantity: 1 });
    const polled = await request(api.baseUrl)
      .get(`/booking-requests/${late}`)
      .set(buyers[1]!.auth)
      .set('Prefer', 'wait=20');
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({ status: 'rejected', reason: 'sold_out' });
  });

  test('metrics and the queue report read every event queue on the cluster', async () => {
    const metrics = await request(api.baseUrl).get('/metrics');
    expect(metrics.status).toBe(200);
    const stats = await request(api.baseUrl).get('/admin/queues/stats').set(admin.auth);
    expect(stats.status).toBe(200);
  });
});
