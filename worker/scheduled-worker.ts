import { type Processor, Worker } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import type { RedisClient } from '../shared/redis.js';

/**
 * Delay before retry number `attempt` (1-based): the configured schedule with ±10 % jitter, so
 * jobs that failed together do not retry in lockstep; never sooner than the receiver's
 * `Retry-After`.
 */
export function retryDelayMs(
  scheduleMs: readonly number[],
  attempt: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const base = scheduleMs[Math.min(attempt, scheduleMs.length) - 1] ?? 0;
  const jittered = Math.round(base * (0.9 + 0.2 * random()));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** A failed attempt that BullMQ retries after `delayMs` (read by the backoff strategy). */
export class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/**
 * The Worker of a queue of scheduled-retry jobs (shared/scheduled-retry.ts): its processor
 * throws `AttemptFailed` with the delay it computed, and the backoff strategy returns it.
 * Locks are renewed while a job runs, so a short lock only shortens crash recovery.
 */
export function startScheduledWorker<T>(
  name: string,
  processor: Processor<T>,
  options: {
    redis: RedisClient;
    prefix: string;
    concurrency: number;
    lockMs: number;
    retryScheduleMs: readonly number[];
    logger: Logger;
  },
): Worker<T> {
  const { redis, prefix, concurrency, lockMs, retryScheduleMs, logger } = options;
  const worker = new Worker<T>(name, processor, {
    connection: redis,
    prefix,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    settings: {
      backoffStrategy: (_attempts, _type, err) =>
        err instanceof AttemptFailed ? err.delayMs : (retryScheduleMs[0] ?? 0),
    },
  });
  worker.on('error', (err) => logger.error({ err, queue: name }, 'worker error'));
  return worker;
}
