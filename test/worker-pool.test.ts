import request from 'supertest';
import { activeEventsKey } from '../shared/queues.js';
import type { RunningWorker } from '../worker/index.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { testConfig, testEnv } from './support/config.js';
import {
  DEFAULT_WAIT_MS,
  flushRedisPrefix,
  type StartedApi,
  startInProcessWorker,
  startTestApi,
  waitFor,
} from './support/harness.js';

describe('worker queue pool: Workers only for events with pending work', () => {
  const env = testEnv({ WORKER_IDLE_CLOSE_MS: '300', WORKER_MAX_QUEUES: '2' });
  const config = testConfig(env);
  let api: StartedApi;
  let worker: RunningWorker;
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    api = await startTestApi(config);
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  afterAll(async () => {
    await worker?.close();
    await api.close();
    await flushRedisPrefix(env.REDIS_PREFIX!);
  });

  async function submit(eventId: string) {
    const res = await request(api.baseUrl)
      .post(`/events/${eventId}/bookings`)
      .set(user.auth)
      .send({ quantity: 1 });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  const statusOf = async (id: string) =>
    (await request(api.baseUrl).get(`/booking-requests/${id}`).set(user.auth)).body.status as string;

  test('opens a Worker for a new event without restart, closes it when idle, caps how many are open', async () => {
    // Events that exist but have no pending work get no Worker (and no Redis connection).
    const idle = await createEvent(api.baseUrl, admin);
    worker = await startInProcessWorker(config);
    expect(worker.pool.openEventIds()).toEqual([]);

    const fresh = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const first = await submit(fresh.id);
    await waitFor(
      async () => (await statusOf(first)) === 'confirmed',
      DEFAULT_WAIT_MS,
      'the new event to be served',
    );
    expect(worker.pool.openEventIds()).not.toContain(idle.id);

    // Idle: the Worker is closed and the event leaves the active set.
    await waitFor(
      async () =>
        worker.pool.openEventIds().length === 0 &&
        (await api.deps.redis.zscore(activeEventsKey(config.redisPrefix), fresh.id)) === null,
      DEFAULT_WAIT_MS,
      'the idle Worker to close and its event to leave the active set',
    );

    // Four events at once with a cap of two: never more than two open, all four served.
    const events = await Promise.all(
      Array.from({ length: 4 }, () => createEvent(api.baseUrl, admin, { capacity: 5 })),
    );
    const ids = await Promise.all(events.map((e) => submit(e.id)));
    let maxOpen = 0;
    await waitFor(
      async () => {
        maxOpen = Math.max(maxOpen, worker.pool.openEventIds().length);
        const statuses = await Promise.all(ids.map(statusOf));
        return statuses.every((s) => s === 'confirmed');
      },
      DEFAULT_WAIT_MS,
      'all four events to be served',
    );
    expect(maxOpen).toBeLessThanOrEqual(2);
  }, 120_000);
});
