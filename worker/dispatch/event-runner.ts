import { createRedisBackend, type Job, type Processor, Worker } from 'bullmq';
import { type AllocationJobData, eventQueueName } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';

export interface EventRunnerOptions {
  connection: RedisClient;
  prefix: string;
  processor: Processor<AllocationJobData>;
  /** How long a job's lock lasts without renewal (`JOB_LOCK_MS`); renewed while the job runs. */
  lockMs: number;
}

/**
 * A BullMQ Worker for one event queue that never blocks and never runs by itself: the dispatcher
 * hands it a turn, and it takes the queue's ready jobs with a non-blocking `moveToActive`
 * (BullMQ's manual processing) and runs them through BullMQ's own `processJob` (locks, retries
 * with backoff, events). A Worker normally opens a dedicated connection for its blocking fetch
 * (BZPOPMIN on the queue's marker); this one shares the process's connection instead, so a
 * process pays no connection per event it has ever served.
 */
export class EventRunner extends Worker<AllocationJobData> {
  private readonly connection: RedisClient;

  constructor(
    readonly eventId: string,
    options: EventRunnerOptions,
  ) {
    super(
      eventQueueName(eventId),
      options.processor,
      {
        connection: options.connection,
        prefix: options.prefix,
        autorun: false,
        concurrency: 1,
        lockDuration: options.lockMs,
        // The fleet-wide throttle of BullMQ's stall check; `recoverStalled()` runs it past that.
        stalledInterval: Math.max(250, Math.floor(options.lockMs / 4)),
        skipVersionCheck: true,
      },
      // No `withBlockingConnection`: the backend shares `connection` and opens nothing.
      (name, opts) => createRedisBackend(name, opts),
    );
    this.connection = options.connection;
  }

  /**
   * Runs ready jobs one after another while `more()` allows; the next job comes back with the
   * previous one's completion (one round trip). Returns how many jobs ran.
   */
  async runTurn(token: string, more: () => boolean): Promise<number> {
    // BullMQ's lock manager renews the locks of the jobs `processJob` tracks, on a timer every
    // quarter of the lock. `run()` would start one for the Worker's life; a process keeps up to
    // 2,048 runners, whose idle timers would cost CPU for nothing, so each turn has its own.
    this.createLockManager();
    this.lockManager.start();
    try {
      let ran = 0;
      let job: Job<AllocationJobData> | undefined = await this.getNextJob(token, { block: false });
      while (job) {
        ran += 1;
        job = (await this.processJob(job, token, more)) || undefined;
      }
      return ran;
    } finally {
      await this.lockManager.close();
    }
  }

  /**
   * Takes over the job of a process that stopped. The dispatcher calls this only while it holds
   * the event's claim and finds a job active that is not its own: the claim of the job's process
   * ran out, so that process has not renewed anything for a whole lease (`EVENT_CLAIM_MS`). Its
   * job's lock (`JOB_LOCK_MS`) would still hold the event for seconds, so the lock is deleted, and
   * BullMQ's stall check runs twice in a row (it moves only jobs an earlier check saw active and
   * without a lock, and throttles itself with the queue's `stalled-check` key). The job goes back
   * to `wait` through BullMQ's own script. Should the process be alive after all (an event loop
   * stalled for most of a lease), its job runs twice, one after the other: the event row lock
   * serializes the steps and the second finds the requests decided. Returns the ids it moved.
   */
  async recoverStalled(): Promise<string[]> {
    // By id: global concurrency 1 lets no other job of the event start while this one is active,
    // and a job that finished meanwhile took its lock with it.
    const active = await this.connection.lrange(this.keys.active!, 0, -1);
    if (active.length > 0) await this.connection.del(...active.map((jobId) => `${this.toKey(jobId)}:lock`));
    const moved: string[] = [];
    for (let pass = 0; pass < 2; pass++) {
      await this.connection.del(this.keys['stalled-check']!);
      moved.push(...(await this.backend.moveStalledJobsToWait()));
    }
    return moved;
  }
}
