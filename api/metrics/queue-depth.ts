import type { Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import type { Logger } from '../../shared/logger.js';
import { metricsRegistry } from '../../shared/metrics.js';
import { activeEventsKey, eventQueueName } from '../../shared/queues.js';

/** Events with their own `event` label; the rest are summed under `event="other"`. */
export const LABELLED_EVENTS = 200;
/** Events read per scrape at most, so a scrape stays a few milliseconds whatever the backlog. */
const EXAMINED_EVENTS = 5000;

export interface QueueDepthSource {
  redis: Redis;
  prefix: string;
  logger: Logger;
}

let source: QueueDepthSource | undefined;

/** One read serves both gauges of a scrape (prom-client collects metrics concurrently). */
let reading: Promise<Depths | null> | undefined;
function readOnce(): Promise<Depths | null> {
  reading ??= (source ? readDepths(source) : Promise.resolve(null))
    .catch((err) => {
      // A scrape while Redis is down shows no depth series rather than stale ones or a failed scrape.
      source?.logger.warn({ err }, 'could not read queue depths for metrics');
      return null;
    })
    .finally(() => {
      reading = undefined;
    });
  return reading;
}

/**
 * Jobs waiting for a worker, per event, read on each scrape from the active-events set (only
 * events with pending work are in it). Waiting is `wait` + `paused` + `prioritized`, what
 * BullMQ's `getWaitingCount` (and so MAX_QUEUE_DEPTH's backpressure) counts. The deepest
 * LABELLED_EVENTS queues get their own series; events that left the set lose theirs.
 */
function gauges(): void {
  if (metricsRegistry.getSingleMetric('evently_event_queue_depth')) return;
  new Gauge({
    name: 'evently_active_events',
    help: 'Events whose queue may hold work (the active-events set)',
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      const read = await readOnce();
      if (read) this.set(read.total);
    },
  });
  new Gauge({
    name: 'evently_event_queue_depth',
    help: `Booking-request jobs waiting per event queue; beyond the ${LABELLED_EVENTS} deepest, summed as event="other"`,
    labelNames: ['event'],
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      const read = await readOnce();
      if (!read) return;
      const depths = [...read.depths].sort((a, b) => b.depth - a.depth);
      let other = 0;
      for (const [index, { eventId, depth }] of depths.entries()) {
        if (index < LABELLED_EVENTS) this.set({ event: eventId }, depth);
        else other += depth;
      }
      if (depths.length > LABELLED_EVENTS) this.set({ event: 'other' }, other);
    },
  });
}

interface Depths {
  /** Events in the active set (all of them, also beyond EXAMINED_EVENTS). */
  total: number;
  depths: { eventId: string; depth: number }[];
}

async function readDepths({ redis, prefix }: QueueDepthSource): Promise<Depths> {
  const key = activeEventsKey(prefix);
  const total = await redis.zcard(key);
  // The longest-waiting events first: the ones an operator most needs to see.
  const eventIds = await redis.zrange(key, 0, String(EXAMINED_EVENTS - 1));
  const pipeline = redis.pipeline();
  for (const eventId of eventIds) {
    const base = `${prefix}:${eventQueueName(eventId)}`;
    pipeline.llen(`${base}:wait`).llen(`${base}:paused`).zcard(`${base}:prioritized`);
  }
  const replies = (await pipeline.exec()) ?? [];
  const depths = eventIds.map((eventId, i) => {
    let depth = 0;
    for (const [err, count] of replies.slice(i * 3, i * 3 + 3)) {
      if (err) throw err;
      depth += Number(count);
    }
    return { eventId, depth };
  });
  return { total, depths };
}

/**
 * Reads depths through this connection from now on. A process has one API, so one source;
 * the gauge is registered once however many apps are built (tests build several).
 */
export function observeQueueDepth(from: QueueDepthSource): void {
  gauges();
  source = from;
}
