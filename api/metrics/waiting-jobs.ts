import { Gauge } from 'prom-client';
import type { Logger } from '../../shared/logger.js';
import { scrapeTimeRegistry } from '../../shared/metrics.js';
import { activeEventsKey, eventQueueKeys } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';

/** Events with their own `event` label; the rest are summed under `event="other"`. */
export const LABELLED_EVENTS = 200;
/** Events read per scrape at most, so a scrape stays a few milliseconds whatever the backlog. */
const EXAMINED_EVENTS = 5000;

export interface WaitingJobsSource {
  redis: RedisClient;
  prefix: string;
  logger: Logger;
}

let source: WaitingJobsSource | undefined;

/** One read serves both gauges of a scrape (prom-client collects metrics concurrently). */
let reading: Promise<WaitingJobs | null> | undefined;
function readOnce(): Promise<WaitingJobs | null> {
  reading ??= (source ? readWaitingJobs(source) : Promise.resolve(null))
    .catch((err) => {
      // A scrape while Redis is down shows no waiting-jobs series rather than stale ones or a failed scrape.
      source?.logger.warn({ err }, 'could not read waiting jobs for metrics');
      return null;
    })
    .finally(() => {
      reading = undefined;
    });
  return reading;
}

/**
 * Waiting jobs per event queue, read on each scrape from the active-events set (only events
 * with pending work are in it). Waiting is `wait` + `paused` + `prioritized`, what BullMQ's
 * `getWaitingCount` counts; one doorbell can stand for a group of queued requests, so this is
 * not what backpressure counts (queued requests, PostgreSQL rows: `MAX_QUEUE_DEPTH`). The
 * LABELLED_EVENTS queues with most waiting jobs get their own series; events that left the set
 * lose theirs.
 */
function gauges(): void {
  if (scrapeTimeRegistry.getSingleMetric('evently_queue_waiting_jobs')) return;
  new Gauge({
    name: 'evently_active_events',
    help: 'Events whose queue may hold work (the active-events set)',
    // Read once per scrape by the process that answers it: every process would read the same set.
    registers: [scrapeTimeRegistry],
    async collect() {
      this.reset();
      const read = await readOnce();
      if (read) this.set(read.total);
    },
  });
  new Gauge({
    name: 'evently_queue_waiting_jobs',
    help: `Waiting jobs (doorbells) per event queue; beyond the ${LABELLED_EVENTS} fullest queues, summed as event="other"`,
    labelNames: ['event'],
    registers: [scrapeTimeRegistry],
    async collect() {
      this.reset();
      const read = await readOnce();
      if (!read) return;
      const queues = [...read.queues].sort((a, b) => b.waiting - a.waiting);
      let other = 0;
      for (const [index, { eventId, waiting }] of queues.entries()) {
        if (index < LABELLED_EVENTS) this.set({ event: eventId }, waiting);
        else other += waiting;
      }
      if (queues.length > LABELLED_EVENTS) this.set({ event: 'other' }, other);
    },
  });
}

interface WaitingJobs {
  /** Events in the active set (all of them, also beyond EXAMINED_EVENTS). */
  total: number;
  queues: { eventId: string; waiting: number }[];
}

async function readWaitingJobs({ redis, prefix }: WaitingJobsSource): Promise<WaitingJobs> {
  const key = activeEventsKey(prefix);
  const total = await redis.zcard(key);
  // The longest-waiting events first: the ones an operator most needs to see.
  const eventIds = await redis.zrange(key, 0, String(EXAMINED_EVENTS - 1));
  // One pipeline per event: on Redis Cluster a pipeline's keys must share a slot, and each event
  // queue's keys do (its hash tag), while different events' keys live on different shards.
  const queues = await Promise.all(
    eventIds.map(async (eventId) => {
      const keys = eventQueueKeys(prefix, eventId);
      const replies =
        (await redis.pipeline().llen(keys.wait!).llen(keys.paused!).zcard(keys.prioritized!).exec()) ?? [];
      let waiting = 0;
      for (const [err, count] of replies) {
        if (err) throw err;
        waiting += Number(count);
      }
      return { eventId, waiting };
    }),
  );
  return { total, queues };
}

/**
 * Reads waiting jobs through this connection from now on. A process has one API, so one source;
 * the gauge is registered once however many apps are built (tests build several).
 */
export function observeWaitingJobs(from: WaitingJobsSource): void {
  gauges();
  source = from;
}
