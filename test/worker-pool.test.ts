import request from 'supertest';
import { activeEventsKey } from '../shared/queues.js';
import type { RunningWorker } from '../worker/index.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { DEFAULT_WAIT_MS, startInProcessWorker, waitFor } from './support/harness.js';

describe('worker queue pool: Workers only for events with pending work', () => {
  // The worker starts in the first test, once there is an event it must not open a Worker for.
  let worker: RunningWorker;
  const api = useTestApi(
    { WORKER_IDLE_CLOSE_MS: '300', WORKER_MAX_QUEUES: '2' },
    { beforeStop: async () => worker?.close() },
  );
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  const statusOf = async (id: string) =>
    (await request(api.baseUrl).get(`/booking-requests/${id}`).set(user.auth)).body.status as string;

  test('opens a Worker for a new event without restart, closes it when idle, caps how many are open', async () => {
    // Events that exist but have no pending work get no Worker (and no Redis connection).
    const idle = await createEvent(api.baseUrl, admin);
    worker = await startInProcessWorker(api.config);
    expect(worker.pool.openEventIds()).toEqual([]);

    const fresh = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const first = await queueBooking(api, user, fresh.id, { quantity: 1 });
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
        (await api.deps.redis.zscore(activeEventsKey(api.config.redisPrefix), fresh.id)) === null,
      DEFAULT_WAIT_MS,
      'the idle Worker to close and its event to leave the active set',
    );

    // Four events at once with a cap of two: never more than two open, all four served.
    const events = await Promise.all(
      Array.from({ length: 4 }, () => createEvent(api.baseUrl, admin, { capacity: 5 })),
    );
    const ids = await Promise.all(events.map((e) => queueBooking(api, user, e.id, { quantity: 1 })));
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
