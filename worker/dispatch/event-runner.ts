import { createRedisBackend, type Job, type Processor, Worker } from 'bullmq';
import { type AllocationJobData, eventQueueName } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';

export interface EventRunnerOptions {
  connection: RedisClient;
  prefix: string;
  processor: Processor<AllocationJobData>;
  /** How long a job's lock lasts without renewal; renewed while the job runs. */
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
        // Only run when a turn finds a job active but none to take (its owner may be gone):
        // often enough that a crashed worker's job is retried soon after its lock runs out.
        stalledInterval: Math.max(250, Math.floor(options.lockMs / 4)),
        skipVersionCheck: true,
      },
      // No `withBlockingConnection`: the backend shares `connection` and opens nothing.
      (name, opts) => createRedisBackend(name, opts),
    );
    // Renews the locks of the jobs `processJob` tracks; `run()` would start it, we never call it.
    this.lockManager.start();
  }

  /**
   * Runs ready jobs one after another while `more()` allows; the next job comes back with the
   * previous one's completion (one round trip). Returns how many jobs ran.
   */
  async runTurn(token: string, more: () => boolean): Promise<number> {
    let ran = 0;
    let job: Job<AllocationJobData> | undefined = await this.getNextJob(token, { block: false });
    while (job) {
      ran += 1;
      job = (await this.processJob(job, token, more)) || undefined;
    }
    return ran;
  }

  /**
   * BullMQ's stall check for this queue (throttled fleet-wide by the queue's `stalled-check` key):
   * an active job whose lock has run out goes back to `wait`. Returns the ids it moved.
   */
  recoverStalled(): Promise<string[]> {
    return this.backend.moveStalledJobsToWait();
  }
}
