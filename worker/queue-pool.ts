import { type Processor, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import {
  type AllocationJobData,
  activeEventsKey,
  eventActivatedChannel,
  eventQueueKeys,
  eventQueueName,
} from '../shared/queues.js';

export interface QueuePoolOptions {
  redis: Redis;
  /** A connection in subscriber mode can do nothing else, so it is its own. */
  subscriber: Redis;
  prefix: string;
  processor: Processor<AllocationJobData>;
  logger: Logger;
  maxQueues: number;
  idleCloseMs: number;
  pollIntervalMs: number;
  /** How long a job's lock lasts without renewal: a crashed worker's job is retried after ~2x this. */
  lockMs: number;
}

interface OpenQueue {
  worker: Worker<AllocationJobData>;
  queue: Queue<AllocationJobData>;
  lastActiveAt: number;
  openedAt: number;
}

/**
 * How long an open Worker's claim on its event lasts, in sweep intervals: renewed at every sweep,
 * so it outlives a late sweep, and a crashed process's claims run out soon after.
 */
const CLAIM_SWEEPS = 2.5;

/** Claims an event for a claim period if it is active and nobody's claim on it is running. */
const CLAIM_IF_FREE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1`;

/**
 * Removes an event from the active set only if its queue holds no job in any state that
 * needs a worker; atomic, so a job added concurrently either is counted here or re-adds the
 * event afterwards (the API adds the job first, then the event to the set). An event with work
 * left (it gave up its slot to take turns) goes to the back of the line: score = now.
 */
const RELEASE_IF_EMPTY = `
local n = redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3]) + redis.call('ZCARD', KEYS[4])
        + redis.call('ZCARD', KEYS[5]) + redis.call('LLEN', KEYS[6])
if n == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
return 0`;

/**
 * Keeps BullMQ Workers open only for events with pending work. Every Worker holds its own
 * blocking Redis connection, so a process must not hold one per event ever created: it opens
 * Workers as events become active (pub/sub signal, plus a poll of the active set as a safety
 * net), closes them when idle, and never holds more than `maxQueues`. Several processes may
 * open Workers on the same queue; the queue's global concurrency of 1 keeps allocation for one
 * event serialized fleet-wide.
 */
export class QueuePool {
  private readonly open = new Map<string, OpenQueue>();
  private readonly opening = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: QueuePoolOptions) {}

  async start(): Promise<void> {
    const { subscriber, prefix } = this.options;
    subscriber.on('message', (channel: string, eventId: string) => {
      if (channel === eventActivatedChannel(prefix)) void this.openSafely(eventId);
    });
    await subscriber.subscribe(eventActivatedChannel(prefix));
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.pollIntervalMs);
  }

  /** Event ids this process currently has a Worker for. */
  openEventIds(): string[] {
    return [...this.open.keys()];
  }

  private async sweep(): Promise<void> {
    if (this.closed) return;
    try {
      const { redis, prefix, maxQueues } = this.options;
      await this.renewClaims();
      // Longest-waiting first, and only events no process is serving (their score is a claim in
      // the future): a turn goes to whoever has waited longest, so no event starves.
      const active = await redis.zrangebyscore(
        activeEventsKey(prefix),
        '-inf',
        Date.now(),
        'LIMIT',
        0,
        maxQueues * 2,
      );
      // When events are waiting for a slot, a Worker with nothing to do gives its slot up at
      // once instead of after the idle period.
      const waiting = active.filter((id) => !this.open.has(id));
      await this.closeIdle(waiting.length > 0 ? 0 : this.options.idleCloseMs);
      if (this.open.size >= this.options.maxQueues) await this.rotate(waiting.length);
      // Only the events that were waiting: one just rotated out waits for its next turn.
      for (const eventId of waiting) await this.openSafely(eventId);
    } catch (err) {
      this.options.logger.error({ err }, 'queue pool sweep failed');
    }
  }

  /** Opening can fail (Redis down); the next sweep tries again, so log rather than crash. */
  private async openSafely(eventId: string): Promise<void> {
    try {
      await this.ensureOpen(eventId);
    } catch (err) {
      this.options.logger.error({ err, eventId }, 'could not open event worker; will retry');
    }
  }

  private async ensureOpen(eventId: string): Promise<void> {
    // Already open: nothing to do. (Activity is what its Worker processes, not being asked.)
    if (this.open.has(eventId)) return;
    if (
      this.closed ||
      this.opening.has(eventId) ||
      this.open.size + this.opening.size >= this.options.maxQueues
    ) {
      return;
    }
    this.opening.add(eventId);
    try {
      const { redis, prefix, processor, logger } = this.options;
      // Atomically take the event unless another process serves it (or it left the set): every
      // process hears the same `event-activated` and reads the same line, and without this they
      // would all open the same events and leave the rest waiting.
      const now = Date.now();
      const claimed = await redis.eval(
        CLAIM_IF_FREE,
        1,
        activeEventsKey(prefix),
        eventId,
        now,
        now + this.claimMs(),
      );
      if (claimed !== 1) return;
      const name = eventQueueName(eventId);
      const queue = new Queue<AllocationJobData>(name, { connection: redis, prefix });
      try {
        await queue.setGlobalConcurrency(1);
      } catch (err) {
        await queue.close();
        throw err;
      }
      const entry: OpenQueue = {
        queue,
        worker: undefined as never,
        lastActiveAt: Date.now(),
        openedAt: Date.now(),
      };
      entry.worker = new Worker<AllocationJobData>(name, processor, {
        connection: redis,
        prefix,
        concurrency: 1,
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.lockMs,
      });
      entry.worker.on('active', () => {
        entry.lastActiveAt = Date.now();
      });
      entry.worker.on('completed', () => {
        entry.lastActiveAt = Date.now();
      });
      entry.worker.on('failed', (job, err) => {
        entry.lastActiveAt = Date.now();
        logger.error({ err, eventId, jobId: job?.id, attempts: job?.attemptsMade }, 'allocation job failed');
      });
      entry.worker.on('error', (err) => logger.error({ err, eventId }, 'event worker error'));
      this.open.set(eventId, entry);
      logger.info({ eventId, open: this.open.size }, 'opened event worker');
    } finally {
      this.opening.delete(eventId);
    }
  }

  /**
   * Marks events as served by this process until a little after its next sweep, by moving their
   * score into the future, so other processes give their slots to events nobody serves. XX: an
   * event released meanwhile is not put back. A crashed process's claims run out by themselves.
   */
  private async claim(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const until = Date.now() + this.claimMs();
    await this.options.redis.zadd(
      activeEventsKey(this.options.prefix),
      'XX',
      ...eventIds.flatMap((id) => [until, id]),
    );
  }

  private claimMs(): number {
    return this.options.pollIntervalMs * CLAIM_SWEEPS;
  }

  private renewClaims(): Promise<void> {
    return this.claim([...this.open.keys()]);
  }

  private async closeIdle(idleMs: number): Promise<void> {
    const now = Date.now();
    for (const [eventId, entry] of this.open) {
      if (now - entry.lastActiveAt < idleMs) continue;
      // Delayed jobs (retries with backoff) need a Worker to run them later, so they keep it open.
      const counts = await entry.queue.getJobCounts('active', 'wait', 'prioritized', 'delayed');
      const pending = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (pending > 0) continue;
      await this.release(eventId, entry);
    }
  }

  /**
   * Time-slicing when there are more active events than slots: the Workers open longest (past
   * one quantum) give their slot to waiting events, so a few busy events cannot starve the
   * rest. Their events stay active (their queues are not empty) and come back in a later sweep.
   */
  private async rotate(waiting: number): Promise<void> {
    const quantumMs = 5000;
    const now = Date.now();
    const longest = [...this.open.entries()]
      .filter(([, entry]) => now - entry.openedAt > quantumMs)
      .sort(([, a], [, b]) => a.openedAt - b.openedAt)
      .slice(0, waiting);
    for (const [eventId, entry] of longest) await this.release(eventId, entry);
  }

  private async release(eventId: string, entry: OpenQueue): Promise<void> {
    const { redis, prefix, logger } = this.options;
    this.open.delete(eventId);
    await entry.worker.close();
    await entry.queue.close();
    const keys = eventQueueKeys(prefix, eventId);
    const released = await redis.eval(
      RELEASE_IF_EMPTY,
      6,
      activeEventsKey(prefix),
      keys.wait!,
      keys.active!,
      keys.delayed!,
      keys.prioritized!,
      keys.paused!,
      eventId,
      Date.now(),
    );
    logger.info({ eventId, released: released === 1, open: this.open.size }, 'closed idle event worker');
  }

  /** Stops taking jobs and waits for the ones running to finish (graceful shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all(
      [...this.open.values()].map(async (entry) => {
        await entry.worker.close();
        await entry.queue.close();
      }),
    );
    this.open.clear();
  }
}
