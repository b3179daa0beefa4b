import type { Queue } from 'bullmq';
import type { WebhookConfig } from '../config.js';
import { WEBHOOK_QUEUE, type WebhookJobData } from './types.js';

export { WEBHOOK_QUEUE };

/** BullMQ backoff type name; the delivery Worker implements it (schedule, jitter, Retry-After). */
export const WEBHOOK_BACKOFF = 'webhook-schedule';

/**
 * Adds (or re-adds) the delivery job for one delivery. The job id is the delivery id, so the
 * relay adding twice is harmless; a finished job with that id is replaced, which is what an
 * admin's retry wants.
 */
export async function enqueueDelivery(
  queue: Queue<WebhookJobData>,
  config: Pick<WebhookConfig, 'retryScheduleMs'>,
  deliveryId: string,
  { replaceFinished = false } = {},
): Promise<void> {
  if (replaceFinished) {
    const existing = await queue.getJob(deliveryId);
    const state = existing ? await existing.getState() : 'missing';
    if (state === 'completed' || state === 'failed') await existing!.remove();
  }
  await queue.add('deliver', { deliveryId }, deliveryJobOptions(config, deliveryId));
}

/** Adds the jobs of many new deliveries in one round trip (the relay's batches). */
export async function enqueueDeliveries(
  queue: Queue<WebhookJobData>,
  config: Pick<WebhookConfig, 'retryScheduleMs'>,
  deliveryIds: readonly string[],
): Promise<void> {
  if (deliveryIds.length === 0) return;
  await queue.addBulk(
    deliveryIds.map((deliveryId) => ({
      name: 'deliver',
      data: { deliveryId },
      opts: deliveryJobOptions(config, deliveryId),
    })),
  );
}

function deliveryJobOptions(config: Pick<WebhookConfig, 'retryScheduleMs'>, deliveryId: string) {
  return {
    jobId: deliveryId,
    attempts: config.retryScheduleMs.length + 1,
    backoff: { type: WEBHOOK_BACKOFF },
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
