import request from 'supertest';
import { activeEventsKey } from '../shared/queues.js';
import { nextTurnAt } from '../worker/dispatch/index.js';
import type { RunningWorker } from '../worker/index.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { DEFAULT_WAIT_MS, startInProcessWorker, waitFor } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

describe('worker dispatch: one line of events with work, served by a constant number of slots', () => {
  // Each test starts its own worker once its events are waiting, so nothing is decided early.
  let worker: RunningWorker | undefined;
  const api = useTestApi(
    // One step decides one request, so a hot event needs many turns; short turns.
    { WORKER_CONCURRENCY: '2', WORKER_TURN_MS: '50', ALLOCATION_BATCH_SIZE: '1' },
    { beforeStop: async () => worker?.close() },
  );
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  const statusOf = async (id: string) =>
    (await request(api.baseUrl).get(`/booking-requests/${id}`).set(user.auth)).body.status as string;
  const scoreOf = (eventId: string) =>
    api.deps.redis.zscore(activeEventsKey(api.config.redisPrefix), eventId);
  /** Redis connections named after this file's prefix: the worker's (and its BullMQ duplicates'). */
  const workerConnections = async () => {
    const list = (await api.deps.redis.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${api.config.redisPrefix}:`)).length;
  };

  test('serves many events with the connections it has at start, and takes each out of the line when done', async () => {
    const events = await Promise.all(
      Array.from({ length: 24 }, () => createEvent(api.baseUrl, admin, { capacity: 5 })),
    );
    const ids = await Promise.all(events.map((e) => queueBooking(api, user, e.id, { quantity: 1 })));
    worker = await startInProcessWorker(api.config);
    const atStart = await workerConnections();
    expect(atStart).toBeGreaterThan(0);

    let most = atStart;
    let busiest = 0;
    await waitFor(
      async () => {
        most = Math.max(most, await workerConnections());
        busiest = Math.max(busiest, worker!.dispatcher.servingEventIds().length);
        const statuses = await Promise.all(ids.map(statusOf));
        return statuses.every((s) => s === 'confirmed');
      },
      DEFAULT_WAIT_MS,
      'every event to be served',
    );
    // 24 events with work, 2 slots: never more served at once, never a connection more.
    expect(busiest).toBeLessThanOrEqual(2);
    expect(most).toBe(atStart);
    await waitFor(
      async () => (await Promise.all(events.map((e) => scoreOf(e.id)))).every((s) => s === null),
      DEFAULT_WAIT_MS,
      'the served events to leave the line',
    );
    for (const e of events) await expectEventInvariants(api.deps.sequelize, e.id);
  }, 120_000);

  test('a cold event is served after one turn of a hot one, not after the hot one drains', async () => {
    const hot = await createEvent(api.baseUrl, admin, { capacity: 1000 });
    const cold = await createEvent(api.baseUrl, admin, { capacity: 5 });
    // 150 requests on the hot event, one at a time (150 doorbells), then one on the cold event.
    const hotIds: string[] = [];
    for (let i = 0; i < 150; i++) hotIds.push(await queueBooking(api, user, hot.id, { quantity: 1 }));
    const coldId = await queueBooking(api, user, cold.id, { quantity: 1 });

    worker = await startInProcessWorker(api.config);
    await waitFor(async () => (await statusOf(coldId)) === 'confirmed', DEFAULT_WAIT_MS, 'the cold event');
    // Batches of one: the hot event needs 150 steps, far more than one 50 ms turn holds.
    const hotLeft = (await Promise.all(hotIds.map(statusOf))).filter((s) => s === 'queued').length;
    expect(hotLeft).toBeGreaterThan(0);

    await waitFor(
      async () => (await Promise.all(hotIds.slice(-5).map(statusOf))).every((s) => s === 'confirmed'),
      // 150 steps one after another: on a busy machine they take longer than one usual wait.
      3 * DEFAULT_WAIT_MS,
      'the hot event to drain',
    );
    expect((await Promise.all(hotIds.map(statusOf))).every((s) => s === 'confirmed')).toBe(true);
    await expectEventInvariants(api.deps.sequelize, hot.id);
  }, 180_000);

  test('a paused event queue waits in the line without spinning and is served once resumed', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const queue = api.deps.queues.get(event.id);
    await queue.pause();
    const id = await queueBooking(api, user, event.id, { quantity: 1 });
    worker = await startInProcessWorker(api.config);
    // Looked at, found paused, and put back a few seconds ahead instead of at once.
    await waitFor(
      async () => Number(await scoreOf(event.id)) > Date.now() + 2000,
      DEFAULT_WAIT_MS,
      'the paused event to be put back for later',
    );
    expect(await statusOf(id)).toBe('queued');
    await queue.resume();
    await waitFor(async () => (await statusOf(id)) === 'confirmed', DEFAULT_WAIT_MS, 'the resumed event');
  }, 120_000);
});

describe('nextTurnAt: when an event is taken again after a turn', () => {
  const now = 1_000_000;
  const state = { paused: false, ready: 0, active: 0, firstDelayedAt: null };

  test.each([
    ['no work: out of the line', {}, null],
    ['jobs ready: at once, behind those already waiting', { ready: 3 }, now],
    [
      'a job of another process still active: after the stall check interval',
      { ready: 3, active: 1 },
      now + 500,
    ],
    ['only a retry with backoff: when it is due', { firstDelayedAt: now + 4000 }, now + 4000],
    ['a retry already due: at once', { firstDelayedAt: now - 10 }, now],
    ['paused with jobs: a few seconds later', { paused: true, ready: 2 }, now + 5000],
    ['paused and empty: out of the line', { paused: true }, null],
  ])('%s', (_, partial, expected) => {
    expect(nextTurnAt({ ...state, ...partial }, now, 500)).toBe(expected);
  });
});
