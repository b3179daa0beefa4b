import type { Redis } from 'ioredis';
import { activeEventsKey, allocationJobOptions, type EventQueues, eventActivatedChannel } from './queues.js';

/**
 * Rings the allocation doorbell for a committed request: adds its job (job id = request id, so
 * a second add is a no-op), then marks the event active and tells the workers. The order
 * matters: a worker releases an event only if its queue is empty, atomically, so an event with
 * a fresh job is always active again afterwards.
 */
export async function enqueueAllocation(
  queues: EventQueues,
  redis: Redis,
  prefix: string,
  eventId: string,
  requestId: string,
): Promise<void> {
  await queues.get(eventId).add('allocate', { eventId, requestId }, allocationJobOptions(requestId));
  const added = await redis.sadd(activeEventsKey(prefix), eventId);
  if (added === 1) await redis.publish(eventActivatedChannel(prefix), eventId);
}
