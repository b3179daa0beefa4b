import type { Job } from 'bullmq';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import type { AllocationJobData } from '../shared/queues.js';
import { allocationRules, createAllocationProcessor, runAllocationStep } from '../worker/allocation/index.js';
import { Reconciler } from '../worker/reconciler.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { outcomeOf, startInProcessWorker } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

/** No worker runs in this file unless a test starts one: the tests drive processing by hand. */
describe('processing is idempotent and nothing accepted is lost', () => {
  const api = useTestApi();
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  const fakeJob = (data: AllocationJobData) => ({ id: data.requestId, data }) as Job<AllocationJobData>;
  /** One allocation step by hand; the queued requests it decided. */
  const decide = async (eventId: string, limit: number) =>
    (await runAllocationStep(api.deps.sequelize, eventId, limit, allocationRules(api.config))).decided;

  test('a redelivered job (the same request processed twice, even at once) books once', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const requestId = await queueBooking(api, user, event.id, { quantity: 2 });
    const process = createAllocationProcessor({
      sequelize: api.deps.sequelize,
      redis: api.deps.redis,
      logger: api.deps.logger,
      redisPrefix: api.config.redisPrefix,
      batchSize: 10,
      rules: allocationRules(api.config),
    });
    const job = fakeJob({ eventId: event.id, requestId });

    const results = await Promise.all([process(job), process(job), process(job)]);
    const again = await process(job);

    expect(results.map((r) => r.status)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    expect(again).toEqual({ status: 'confirmed', batches: 0 });
    const bookings = await api.deps.sequelize.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM bookings WHERE request_id = $requestId',
      { bind: { requestId }, type: QueryTypes.SELECT },
    );
    expect(bookings[0]!.n).toBe(1);
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters.booked).toBe(2);
  });

  test('concurrent batches for one event never decide a request twice or oversell', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 7 });
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(await queueBooking(api, user, event.id, { quantity: 1 }));

    const rounds = await Promise.all(Array.from({ length: 8 }, () => decide(event.id, 3)));
    // Drain what the racing batches left.
    while ((await decide(event.id, 50)).length > 0);

    const decidedTwice = rounds.flat().map((d) => d.requestId);
    expect(new Set(decidedTwice).size).toBe(decidedTwice.length);
    const rows = await api.deps.sequelize.query<{ id: string; status: string }>(
      'SELECT id, status FROM booking_requests WHERE event_id = $eventId ORDER BY seq',
      { bind: { eventId: event.id }, type: QueryTypes.SELECT },
    );
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.map((r) => r.status)).toEqual([...Array(7).fill('confirmed'), ...Array(13).fill('rejected')]);
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters.booked).toBe(7);
  });

  test('a request committed but never enqueued is decided once the reconciler runs', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 3 });
    // What an API crash between COMMIT and queue.add leaves behind: a queued row, no job.
    const [orphan] = await api.deps.sequelize.query<{ id: string }>(
      `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, queued_at)
       VALUES ($userId, $eventId, 'book', '{"quantity": 2}', 'orphan', now() - interval '1 hour')
       RETURNING id`,
      { bind: { userId: user.id, eventId: event.id }, type: QueryTypes.SELECT },
    );
    const queue = api.deps.queues.get(event.id);
    expect(await queue.getJob(orphan!.id)).toBeUndefined();

    const worker = await startInProcessWorker(api.config);
    try {
      const reconciler = new Reconciler({
        sequelize: api.deps.sequelize,
        redis: api.deps.redis,
        queues: api.deps.queues,
        prefix: api.config.redisPrefix,
        logger: api.deps.logger,
        // Only this test's orphan is this old; other tests' fresh requests are left alone.
        graceMs: 30 * 60 * 1000,
        intervalMs: 60000,
      });
      expect(await reconciler.runOnce()).toBeGreaterThanOrEqual(1);
      expect(await queue.getJob(orphan!.id)).toBeDefined();

      const decided = await outcomeOf(api.baseUrl, user, orphan!.id);
      expect(decided).toMatchObject({ status: 'confirmed', booking: { quantity: 2 } });
      const counters = await expectEventInvariants(api.deps.sequelize, event.id);
      expect(counters.booked).toBe(2);
    } finally {
      await worker.close();
    }
  });

  test('history pages through bookings decided in one transaction without skipping any', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const buyer = await registerUser(api.baseUrl);
    for (let i = 0; i < 5; i++) {
      const res = await request(api.baseUrl)
        .post(`/events/${event.id}/bookings`)
        .set(buyer.auth)
        .send({ quantity: 1 });
      expect(res.status).toBe(202);
    }
    // One batch: all five bookings share one transaction timestamp.
    expect(await decide(event.id, 10)).toHaveLength(5);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(api.baseUrl)
        .get('/bookings')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(buyer.auth);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((b: { id: string }) => b.id));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });
});
