import type { Queue } from 'bullmq';
import { QueryTypes } from 'sequelize';
import { activeEventsKey, eventQueueName } from '../../shared/queues.js';
import { WEBHOOK_QUEUE } from '../../shared/webhooks/types.js';
import type { ApiDeps } from '../context.js';

export interface QueueFigures {
  name: string;
  kind: 'event' | 'webhook';
  eventId: string | null;
  eventName: string | null;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** How long the oldest waiting job has waited, in ms; null when none waits. */
  oldestWaitingMs: number | null;
  /** Event queues: booking requests decided in the last minute; webhooks: deliveries finished. */
  decidedPerMinute: number;
}

export interface QueueStats {
  /** Event queues with pending work (the active-events set), before `limit`. */
  activeEventQueues: number;
  queues: QueueFigures[];
  generatedAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MINUTE_MS = 60_000;

async function countsOf(queue: Queue, now: number) {
  const [counts, oldest] = await Promise.all([
    queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
    // Ascending: the job that entered 'wait' first.
    queue.getWaiting(0, 0),
  ]);
  const first = oldest[0];
  return {
    waiting: counts.waiting ?? 0,
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    completed: counts.completed ?? 0,
    oldestWaitingMs: first ? Math.max(0, now - first.timestamp) : null,
  };
}

/**
 * Depth and throughput of the event queues with pending work (the Redis set the workers
 * follow) and of the webhook delivery queue, busiest (most waiting) first. Job counts come
 * from BullMQ; decisions per minute from PostgreSQL, in one query for all listed events, since
 * one allocation job may decide a whole batch of requests.
 */
export async function queueStats(deps: ApiDeps, { limit }: { limit: number }): Promise<QueueStats> {
  const { redis, config, sequelize, queues, webhookQueue } = deps;
  const now = Date.now();
  const members = await redis.zrange(activeEventsKey(config.redisPrefix), 0, '-1');
  // Only ids the API put there can be cast to uuid[]; anything else is not an event queue.
  const eventIds = members.filter((id) => UUID.test(id)).sort();

  const [eventCounts, decided, webhook, webhookFinished] = await Promise.all([
    Promise.all(eventIds.map((id) => countsOf(queues.get(id), now))),
    sequelize.query<{ id: string; name: string; decided: string }>(
      `SELECT e.id, e.name,
              (SELECT count(*) FROM booking_requests r
                WHERE r.event_id = e.id AND r.decided_at >= now() - interval '1 minute') AS decided
         FROM events e
        WHERE e.id = ANY($ids::uuid[])`,
      { bind: { ids: eventIds }, type: QueryTypes.SELECT },
    ),
    countsOf(webhookQueue, now),
    // BullMQ scores its completed and failed sets by finish time.
    Promise.all(
      [webhookQueue.keys.completed, webhookQueue.keys.failed].map((key) =>
        redis.zcount(key!, now - MINUTE_MS, '+inf'),
      ),
    ),
  ]);
  const byId = new Map(decided.map((row) => [row.id, row]));

  const eventQueues: QueueFigures[] = eventIds.map((id, i) => ({
    name: eventQueueName(id),
    kind: 'event',
    eventId: id,
    eventName: byId.get(id)?.name ?? null,
    ...eventCounts[i]!,
    decidedPerMinute: Number(byId.get(id)?.decided ?? 0),
  }));
  eventQueues.sort((a, b) => b.waiting - a.waiting || a.name.localeCompare(b.name));

  return {
    activeEventQueues: eventIds.length,
    queues: [
      ...eventQueues.slice(0, limit),
      {
        name: WEBHOOK_QUEUE,
        kind: 'webhook',
        eventId: null,
        eventName: null,
        ...webhook,
        decidedPerMinute: webhookFinished.reduce((sum, n) => sum + n, 0),
      },
    ],
    generatedAt: new Date(now).toISOString(),
  };
}
