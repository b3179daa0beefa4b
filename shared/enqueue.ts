import type { Redis } from 'ioredis';
import {
  type AllocationJobData,
  activeEventsKey,
  allocationJobOptions,
  type EventJobName,
  type EventQueues,
  eventActivatedChannel,
} from './queues.js';

/**
 * Adds a job to an event's queue (a second add with the same job id is a no-op), then marks the
 * event active and tells the workers. The order matters: a worker releases an event only if its
 * queue is empty, atomically, so an event with a fresh job is always active again afterwards.
 */
export async function ringEvent(
  queues: EventQueues,
  redis: Redis,
  prefix: string,
  name: EventJobName,
  jobId: string,
  data: AllocationJobData,
): Promise<void> {
  await queues.get(data.eventId).add(name, data, allocationJobOptions(jobId));
  // NX: an event already waiting keeps its place in line.
  const added = await redis.zadd(activeEventsKey(prefix), 'NX', Date.now(), data.eventId);
  if (added === 1) await redis.publish(eventActivatedChannel(prefix), data.eventId);
}

/** Rings the allocation doorbell for a committed request (job id = request id). */
export function enqueueAllocation(
  queues: EventQueues,
  redis: Redis,
  prefix: string,
  eventId: string,
  requestId: string,
): Promise<void> {
  return ringEvent(queues, redis, prefix, 'allocate', requestId, { eventId, requestId });
}
