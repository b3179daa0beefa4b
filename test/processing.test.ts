import { Writable } from 'node:stream';
import type { Job } from 'bullmq';
import { pino } from 'pino';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import type { AllocationJobData } from '../shared/queues.js';
import {
  allocationRules,
  createAllocationProcessor,
  runAllocationStep,
  runAllocationSteps,
} from '../worker/allocation/index.js';
import { Reconciler } from '../worker/reconciler.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { outcomeOf, startInProcessWorker } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';
import { withRefusedRows } from './support/rows.js';

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

  test('one transaction steps several events, each in its own arrival order and by its own rules', async () => {
    const small = await createEvent(api.baseUrl, admin, { capacity: 2 });
    const large = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const idle = await createEvent(api.baseUrl, admin, { capacity: 3 });
    const smallIds = [];
    for (let i = 0; i < 3; i++) smallIds.push(await queueBooking(api, user, small.id, { quantity: 1 }));
    const largeHold = await queueBooking(api, user, large.id, { quantity: 2 }, { kind: 'hold' });
    const largeBook = await queueBooking(api, user, large.id, { quantity: 3 });

    const results = await runAllocationSteps(
      api.deps.sequelize,
      [large.id, small.id, idle.id],
      10,
      allocationRules(api.config),
    );
    expect(results.get(small.id)!.decided.map((d) => [d.requestId, d.outcome])).toEqual([
      [smallIds[0], 'confirmed'],
      [smallIds[1], 'confirmed'],
      [smallIds[2], 'rejected'],
    ]);
    expect(results.get(large.id)!.decided.map((d) => [d.requestId, d.outcome])).toEqual([
      [largeHold, 'held'],
      [largeBook, 'confirmed'],
    ]);
    expect(results.get(large.id)!.newHolds).toHaveLength(1);
    expect(results.get(idle.id)!.decided).toEqual([]);
    expect(await expectEventInvariants(api.deps.sequelize, small.id)).toMatchObject({ booked: 2, held: 0 });
    expect(await expectEventInvariants(api.deps.sequelize, large.id)).toMatchObject({ booked: 3, held: 2 });
    expect(await expectEventInvariants(api.deps.sequelize, idle.id)).toMatchObject({ booked: 0, held: 0 });
  });

  test('steps asked for at once share a transaction, and an event whose step fails fails only its own job', async () => {
    const events = await Promise.all(
      Array.from({ length: 4 }, () => createEvent(api.baseUrl, admin, { capacity: 5 })),
    );
    const ids = await Promise.all(events.map((e) => queueBooking(api, user, e.id, { quantity: 1 })));
    const poisoned = events[2]!;
    const warnings: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          warnings.push(String(chunk));
          done();
        },
      }),
    );
    // Any error of one event's writes would do: a trigger refuses this event's bookings.
    const refused = { table: 'bookings', column: 'event_id', value: poisoned.id, message: 'poisoned event' };
    await withRefusedRows(api.deps.sequelize, refused, async () => {
      const process = createAllocationProcessor({
        sequelize: api.deps.sequelize,
        redis: api.deps.redis,
        logger,
        redisPrefix: api.config.redisPrefix,
        batchSize: 10,
        rules: allocationRules(api.config),
      });
      // Asked for in one tick, as a worker's slots do: the steps go out in one transaction.
      const results = await Promise.allSettled(
        events.map((e, i) => process(fakeJob({ eventId: e.id, requestId: ids[i]! }))),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/poisoned event/);
      expect(warnings.join('')).toMatch(/a shared allocation step failed; stepping its events one by one/);
      for (const [i, e] of events.entries()) {
        const counters = await expectEventInvariants(api.deps.sequelize, e.id);
        expect(counters.booked).toBe(i === 2 ? 0 : 1);
      }
      const statuses = await Promise.all(
        ids.map(
          async (id) =>
            (await request(api.baseUrl).get(`/booking-requests/${id}`).set(user.auth)).body.status,
        ),
      );
      expect(statuses).toEqual(['confirmed', 'confirmed', 'queued', 'confirmed']);
    });
  });
});
