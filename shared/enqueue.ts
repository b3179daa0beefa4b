import {
  type AllocationJobData,
  activeEventsKey,
  allocationJobOptions,
  type EventJobName,
  type EventQueues,
  eventActivatedChannel,
} from './queues.js';
import type { RedisClient } from './redis.js';

/**
 * Adds a job to an event's queue (a second add with the same job id is a no-op), then marks the
 * event active and tells the workers. The order matters: a worker releases an event only if its
 * queue is empty, atomically, so an event with a fresh job is always active again afterwards.
 */
export async function ringEvent(
  queues: EventQueues,
  redis: RedisClient,
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

/**
 * Rings the event of a committed booking request: the `allocate` doorbell, job id = the booking
 * request's id (the allocator reads the request itself from PostgreSQL).
 */
export function ringForBookingRequest(
  queues: EventQueues,
  redis: RedisClient,
  prefix: string,
  eventId: string,
  bookingRequestId: string,
): Promise<void> {
  return ringEvent(queues, redis, prefix, 'allocate', bookingRequestId, {
    eventId,
    requestId: bookingRequestId,
  });
}
