import { ringForBookingRequest } from '../../shared/enqueue.js';
import type { ApiDeps } from '../context.js';

export type RingDeps = Pick<ApiDeps, 'queues' | 'redis' | 'config' | 'logger'>;

/**
 * Rings the event of a committed booking request (`ringForBookingRequest()`, shared/enqueue.ts).
 * Best effort: the row is committed, so if Redis fails the client still hears 202 and the
 * reconciler rings the event later.
 */
export async function ringOrLeaveToReconciler(
  deps: RingDeps,
  eventId: string,
  bookingRequestId: string,
): Promise<void> {
  try {
    await ringForBookingRequest(deps.queues, deps.redis, deps.config.redisPrefix, eventId, bookingRequestId);
  } catch (err) {
    deps.logger.error(
      { err, eventId, bookingRequestId },
      'ringing the event failed; the reconciler will ring it for the booking request',
    );
  }
}
