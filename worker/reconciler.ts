import { QueryTypes, type Sequelize } from 'sequelize';
import { ringEvent, ringForBookingRequest } from '../shared/enqueue.js';
import type { Logger } from '../shared/logger.js';
import { type EventQueues, holdExpiryJobId } from '../shared/queues.js';
import type { RedisClient } from '../shared/redis.js';

export interface ReconcilerOptions {
  sequelize: Sequelize;
  redis: RedisClient;
  queues: EventQueues;
  prefix: string;
  logger: Logger;
  graceMs: number;
  intervalMs: number;
  batchLimit?: number;
}

/**
 * The request row in PostgreSQL is the truth; the queue only schedules. A request can be
 * committed but never enqueued (API crash, Redis outage between commit and add), or its job
 * can have failed for good. The reconciler finds requests still queued after a grace period
 * and rings their doorbell again. One instance runs at a time fleet-wide (a Redis lease), so
 * N worker processes do not all scan.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ReconcilerOptions) {}

  /**
   * Runs at once, then every `intervalMs`: a worker started on a restored database, or after
   * Redis was lost, rebuilds the queues without waiting one interval first.
   */
  start(): void {
    this.running = this.tick();
    this.timer = setInterval(() => {
      this.running = this.tick();
    }, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    const { redis, prefix, intervalMs, logger } = this.options;
    try {
      const lease = await redis.set(
        `${prefix}:reconciler-lease`,
        String(process.pid),
        'PX',
        intervalMs,
        'NX',
      );
      if (lease !== 'OK') return;
      await this.runOnce();
      await this.sweepDueHolds();
    } catch (err) {
      logger.error({ err }, 'reconciler run failed');
    }
  }

  /** Re-enqueues stale queued requests; returns how many it touched. */
  async runOnce(): Promise<number> {
    const { sequelize, redis, queues, prefix, logger, graceMs } = this.options;
    const stale = await sequelize.query<{ id: string; event_id: string }>(
      `SELECT id, event_id FROM booking_requests
        WHERE status = 'queued' AND queued_at < now() - make_interval(secs => $graceSeconds)
        ORDER BY queued_at LIMIT $limit`,
      {
        bind: { graceSeconds: graceMs / 1000, limit: this.options.batchLimit ?? 1000 },
        type: QueryTypes.SELECT,
      },
    );
    for (const { id, event_id: eventId } of stale) {
      const job = await queues.get(eventId).getJob(id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed') await job!.retry('failed');
      // A finished job for an undecided request would block a new add with the same id.
      if (state === 'completed') await job!.remove();
      // Adding a job that exists is a no-op; this also marks the event active again.
      await ringForBookingRequest(queues, redis, prefix, eventId, id);
    }
    if (stale.length > 0)
      logger.warn({ count: stale.length }, 'reconciler re-enqueued stale booking requests');
    return stale.length;
  }

  /**
   * Rings the event of every active hold more than a second past its expiry. Normally the hold's
   * timer (worker/hold-expiry.ts) did that on time and nothing is found; this covers a timer
   * lost with Redis, or a step that ran a moment early on a host whose clock is ahead.
   */
  async sweepDueHolds(): Promise<number> {
    const { sequelize, redis, queues, prefix, logger } = this.options;
    const due = await sequelize.query<{ id: string; event_id: string }>(
      `SELECT id, event_id FROM holds
        WHERE status = 'active' AND expires_at < now() - interval '1 second'
        ORDER BY expires_at LIMIT $limit`,
      { bind: { limit: this.options.batchLimit ?? 1000 }, type: QueryTypes.SELECT },
    );
    for (const { id, event_id: eventId } of due) {
      const job = await queues.get(eventId).getJob(holdExpiryJobId(id));
      const state = job ? await job.getState() : 'missing';
      if (state === 'completed' || state === 'failed') await job!.remove();
      await ringEvent(queues, redis, prefix, 'expire-hold', holdExpiryJobId(id), { eventId, holdId: id });
    }
    if (due.length > 0) logger.warn({ count: due.length }, 'reconciler rang events of overdue holds');
    return due.length;
  }
}
