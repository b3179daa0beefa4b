import { Queue, Worker } from 'bullmq';
import { ringEvent } from '../shared/enqueue.js';
import type { Logger } from '../shared/logger.js';
import {
  allocationJobOptions,
  type EventQueues,
  HOLD_EXPIRY_QUEUE,
  type HoldTimerData,
  holdExpiryJobId,
} from '../shared/queues.js';
import type { RedisClient } from '../shared/redis.js';

/**
 * Hold expiry, on time and exactly once. A delayed timer job per hold waits in one shared queue
 * (one Worker per process, so it fires whether or not the event is busy); when due it rings the
 * event's own queue with an `expire-hold` job, and the event's next allocation step expires the
 * hold under the event's lock, once, whoever runs it. Timers live outside the event queues so a
 * quiet event with open holds does not keep a Worker slot for ten minutes. The reconciler's sweep
 * of due holds covers a timer lost with Redis.
 */
export class HoldExpiryTimers {
  private readonly queue: Queue<HoldTimerData>;
  private readonly worker: Worker<HoldTimerData>;

  constructor(deps: {
    redis: RedisClient;
    prefix: string;
    queues: EventQueues;
    logger: Logger;
    lockMs: number;
  }) {
    const { redis, prefix, queues, logger, lockMs } = deps;
    this.queue = new Queue<HoldTimerData>(HOLD_EXPIRY_QUEUE, { connection: redis, prefix });
    this.queue.on('error', (err) => logger.warn({ err }, 'hold expiry queue error'));
    this.worker = new Worker<HoldTimerData>(
      HOLD_EXPIRY_QUEUE,
      async (job) => {
        const { eventId, holdId } = job.data;
        await ringEvent(queues, redis, prefix, 'expire-hold', holdExpiryJobId(holdId), { eventId, holdId });
      },
      { connection: redis, prefix, concurrency: 10, lockDuration: lockMs, stalledInterval: lockMs },
    );
    this.worker.on('error', (err) => logger.error({ err }, 'hold expiry worker error'));
  }

  /** Schedules the timers of new holds (job id = hold id: scheduling twice is harmless). */
  async schedule(eventId: string, holds: readonly { id: string; expiresAt: Date }[]): Promise<void> {
    if (holds.length === 0) return;
    await this.queue.addBulk(
      holds.map((h) => ({
        name: 'expire',
        data: { eventId, holdId: h.id },
        opts: {
          ...allocationJobOptions(holdExpiryJobId(h.id)),
          delay: Math.max(0, h.expiresAt.getTime() - Date.now()),
        },
      })),
    );
  }

  /** Drops the timers of holds that ended early; one left behind would only run an idle step. */
  async cancel(holdIds: readonly string[]): Promise<void> {
    await Promise.all(holdIds.map((id) => this.queue.remove(holdExpiryJobId(id))));
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }
}
