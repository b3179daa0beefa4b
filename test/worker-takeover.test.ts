import { QueryTypes, type Transaction } from 'sequelize';
import { activeEventsKey } from '../shared/queues.js';
import { useTestApi } from './support/environment.js';
import { createActor, createEvent, queueBooking, registerUser } from './support/factory.js';
import { outcomeOf, startWorkerProcess, type WorkerProcess, waitFor } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';

/**
 * A worker process SIGKILLed in the middle of an event's job: the next process to claim the event
 * takes the job over as soon as the dead process's claim runs out (`EVENT_CLAIM_MS`), not when the
 * job's lock would have lapsed under `JOB_LOCK_MS`. Here `JOB_LOCK_MS` is ten minutes, so a
 * decision within the test's wait can only come from the takeover.
 */
describe('a worker killed mid-job: its event is taken over once its claim runs out', () => {
  // No worker of the file's own: the tests start the processes they kill.
  const api = useTestApi({ JOB_LOCK_MS: '600000', EVENT_CLAIM_MS: '1000' });
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });

  /** Takes the event row lock the allocation step takes (not intake's), so the step waits on it. */
  const lockEventRow = async (eventId: string): Promise<Transaction> => {
    const tx = await api.deps.sequelize.transaction();
    await api.deps.sequelize.query('SELECT id FROM events WHERE id = $id FOR NO KEY UPDATE', {
      bind: { id: eventId },
      type: QueryTypes.SELECT,
      transaction: tx,
    });
    return tx;
  };
  const activeJobs = (eventId: string) => api.deps.queues.get(eventId).getActiveCount();
  const takeoverLine = (w: WorkerProcess) =>
    w.output().includes('"msg":"stalled allocation jobs moved back to wait"');

  /**
   * A booking whose job a first worker process has taken (active, with its lock) and runs,
   * waiting on the event row the test holds.
   */
  const jobWaitingOnTheEventRow = async (quantity: number) => {
    const admin = await createActor(api.baseUrl, 'admin');
    const buyer = await registerUser(api.baseUrl);
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const rowLock = await lockEventRow(event.id);
    const first = await startWorkerProcess(api.env);
    workers.push(first);
    const requestId = await queueBooking(api, buyer, event.id, { quantity });
    await waitFor(async () => (await activeJobs(event.id)) === 1, undefined, 'the job to be active');
    return { buyer, event, rowLock, first, requestId };
  };

  test('the job of a killed process is run again by another, and decided once', async () => {
    const { buyer, event, rowLock, first, requestId } = await jobWaitingOnTheEventRow(2);

    await first.kill();
    await rowLock.commit();
    const second = await startWorkerProcess(api.env);
    workers.push(second);

    const outcome = await outcomeOf(api.baseUrl, buyer, requestId);
    expect(outcome.status).toBe('confirmed');
    expect(takeoverLine(second)).toBe(true);
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters.booked).toBe(2);
  }, 120_000);

  test('a process that is slow but alive keeps its job: its claim is renewed, nothing is taken over', async () => {
    const { buyer, event, rowLock, first, requestId } = await jobWaitingOnTheEventRow(1);
    const second = await startWorkerProcess(api.env);
    workers.push(second);

    // The first process keeps renewing its claim while its job waits: wait until the claim has
    // been pushed forward by more than three leases, long past what a dead process's would last.
    const claimUntil = async () =>
      Number(await api.deps.redis.zscore(activeEventsKey(api.config.redisPrefix), event.id));
    const firstSeen = await claimUntil();
    await waitFor(
      async () => (await claimUntil()) > firstSeen + 3 * api.config.eventClaimMs,
      30_000,
      'renewals',
    );
    expect(await activeJobs(event.id)).toBe(1);

    await rowLock.commit();
    expect((await outcomeOf(api.baseUrl, buyer, requestId)).status).toBe('confirmed');
    expect(takeoverLine(second)).toBe(false);
    expect(takeoverLine(first)).toBe(false);
    await expectEventInvariants(api.deps.sequelize, event.id);
  }, 120_000);
});
