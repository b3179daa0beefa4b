import { createRedisBackend, type Job, type Processor, Worker } from 'bullmq';
import { type AllocationJobData, eventQueueName } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';

export interface EventRunnerOptions {
  connection: RedisClient;
  prefix: string;
  processor: Processor<AllocationJobData>;
  /**
   * How long a job's lock lasts without renewal: the event claim's lease, so a job and the claim
   * of the process running it run out together. BullMQ renews it while the job runs.
   */
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
        // The fleet-wide throttle of the stall check, which only runs when a turn finds a job
        // active but none to take (`recoverStalled()`).
        stalledInterval: Math.floor(options.lockMs / 4),
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
   * Takes over the job of a process that stopped: BullMQ's stall check, run twice in a row. An
   * active job whose lock has run out goes back to `wait`. BullMQ moves only jobs that an earlier
   * check already saw active (its first pass marks, a later one moves), and throttles checks
   * fleet-wide with the queue's `stalled-check` key; a dispatcher calls this only while it holds
   * the event's claim, after the claim of the job's process ran out, so that process has been
   * silent for a whole lease already and waiting another interval would only add to the freeze.
   * A job whose lock is still renewed stays where it is. Returns the ids it moved.
   */
  async recoverStalled(): Promise<string[]> {
    const moved: string[] = [];
    for (let pass = 0; pass < 2; pass++) {
      await this.connection.del(this.keys['stalled-check']!);
      moved.push(...(await this.backend.moveStalledJobsToWait()));
    }
    return moved;
  }
}
