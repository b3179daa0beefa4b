import { type ConnectionOptions, Queue, QueueKeys } from 'bullmq';
import type { Logger } from './logger.js';

/**
 * Names shared by the API (producer) and the worker (consumer). BullMQ's keys are
 * `<prefix>:<queue name>:<suffix>` and its scripts touch several of one queue's keys at once, so
 * on Redis Cluster every key of a queue must hash to one slot: the name carries a hash tag (the
 * first `{...}` of a key is all Redis hashes). The event id is the tag, so one event's keys stay
 * together and different events spread over the shards. BullMQ forbids `:` in queue names.
 */
export const eventQueueName = (eventId: string) => `event-{${eventId}}`;
const EVENT_QUEUE_NAME = /^event-\{([^{}]+)\}$/;
/** The event of an event queue's name; null for any other queue (`{hold-expiries}`, `{webhooks}`). */
export const eventIdFromQueueName = (name: string): string | null => EVENT_QUEUE_NAME.exec(name)?.[1] ?? null;

/**
 * The line: events whose queue may hold work, as a sorted set scored by when each may next be
 * taken (ms): waiting since then, or claimed until then (worker/dispatch/active-events.ts).
 * Workers serve only these, longest-waiting first.
 */
export const activeEventsKey = (prefix: string) => `${prefix}:active-events-by-wait`;
/** Pub/sub channel: an event id that just became active, so workers need not wait for a poll. */
export const eventActivatedChannel = (prefix: string) => `${prefix}:event-activated`;
/** Pub/sub channel: ids of booking requests just decided, for long-polling clients. */
export const requestDecidedChannel = (prefix: string) => `${prefix}:request-decided`;

/**
 * Jobs of an event's queue. `allocate` is a request's doorbell (job id = request id); the others
 * ask for one allocation step without a request: `expire-hold` when a hold's timer fires
 * (worker/hold-expiry.ts), `rebalance` after capacity or seats were added, so the waitlist is
 * offered them.
 */
export type EventJobName = 'allocate' | 'expire-hold' | 'rebalance';

export interface AllocationJobData {
  eventId: string;
  requestId?: string;
  holdId?: string;
}

/**
 * One fleet-wide queue of delayed timers, one job per hold, due at its expiry
 * (worker/hold-expiry.ts). Its name is a hash tag, so on Redis Cluster all its keys share one
 * slot, as BullMQ's scripts require.
 */
export const HOLD_EXPIRY_QUEUE = '{hold-expiries}';

export interface HoldTimerData {
  eventId: string;
  holdId: string;
}

/** BullMQ job ids must not contain `:`. */
export const holdExpiryJobId = (holdId: string) => `expire-${holdId}`;
export const rebalanceJobId = (eventId: string, version: number) => `rebalance-${eventId}-${version}`;

/**
 * Retries and retention of every job that asks for an allocation step: doorbells in event
 * queues and hold timers. The job id names what it is about, so adding one twice is harmless.
 */
export const allocationJobOptions = (jobId: string) => ({
  jobId,
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
  attempts: 5,
  backoff: { type: 'exponential' as const, delay: 1000 },
});

/** BullMQ's own Redis keys of an event queue (`wait`, `active`, `paused`...), from BullMQ itself. */
export const eventQueueKeys = (prefix: string, eventId: string) =>
  new QueueKeys(prefix).getKeys(eventQueueName(eventId));

/**
 * Queue handles are cheap but not free; keep one per event, bounded so a process that has
 * seen a million events does not keep a million objects.
 */
export class EventQueues {
  private readonly queues = new Map<string, Queue<AllocationJobData>>();

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly maxOpen = 1000,
  ) {}

  get(eventId: string): Queue<AllocationJobData> {
    const existing = this.queues.get(eventId);
    if (existing) {
      // Re-insert to keep the map in least-recently-used order.
      this.queues.delete(eventId);
      this.queues.set(eventId, existing);
      return existing;
    }
    const queue = new Queue<AllocationJobData>(eventQueueName(eventId), {
      connection: this.connection,
      prefix: this.prefix,
    });
    queue.on('error', (err) => this.logger.warn({ err, eventId }, 'event queue error'));
    this.queues.set(eventId, queue);
    if (this.queues.size > this.maxOpen) {
      const [oldestId, oldest] = this.queues.entries().next().value!;
      this.queues.delete(oldestId);
      // A caller may still be using the handle it got a moment ago: close it a little later.
      setTimeout(() => {
        oldest
          .close()
          .catch((err) => this.logger.warn({ err, eventId: oldestId }, 'closing an event queue failed'));
      }, 30_000).unref();
    }
    return queue;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
