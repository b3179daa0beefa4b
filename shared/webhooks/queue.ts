import type { Queue } from 'bullmq';
import type { WebhookConfig } from '../config.js';
import { scheduledJobOptions } from '../scheduled-retry.js';
import { type DeliveryJobData, WEBHOOK_QUEUE, type WebhookJobData } from './types.js';

export { WEBHOOK_QUEUE };

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
  await queue.add('deliver', { deliveryId }, scheduledJobOptions(config.retryScheduleMs, deliveryId));
}

/** A delivery continued in a job of its own after a batch's first attempt (or instead of it). */
export interface FollowUp extends DeliveryJobData {
  /** When its next attempt is due (ms since the epoch); now if absent. */
  at?: number;
}

/** Adds the jobs of deliveries a batch hands on, in one round trip; existing ones are kept. */
export async function enqueueFollowUps(
  queue: Queue<WebhookJobData>,
  config: Pick<WebhookConfig, 'retryScheduleMs'>,
  followUps: readonly FollowUp[],
): Promise<void> {
  if (followUps.length === 0) return;
  await queue.addBulk(
    followUps.map(({ deliveryId, attemptsBefore = 0, at }) => {
      const options = scheduledJobOptions(config.retryScheduleMs, deliveryId);
      return {
        name: 'deliver',
        data: { deliveryId, attemptsBefore },
        opts: {
          ...options,
          attempts: Math.max(1, options.attempts - attemptsBefore),
          delay: at === undefined ? 0 : Math.max(0, at - Date.now()),
        },
      };
    }),
  );
}

/** One relay batch: new deliveries to one endpoint, in outbox order. */
export interface DeliveryBatch {
  jobId: string;
  deliveryIds: string[];
}

/** Adds the relay's batch jobs in one round trip. */
export async function enqueueBatches(
  queue: Queue<WebhookJobData>,
  batches: readonly DeliveryBatch[],
): Promise<void> {
  if (batches.length === 0) return;
  await queue.addBulk(
    batches.map(({ jobId, deliveryIds }) => ({
      name: 'deliver-batch',
      data: { deliveryIds },
      // One attempt: a batch never retries as a whole; its deliveries that need another attempt
      // continue in jobs of their own. A batch lost in a crash is re-run by BullMQ (stalled),
      // and what it left pending is found by the stranded sweep.
      opts: {
        jobId,
        attempts: 1,
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: { age: 24 * 3600 },
      },
    })),
  );
}

/**
 * The jobs that may carry a delivery: its own (id = delivery id) and the batch it was relayed in.
 * Live if any of them is waiting, delayed or active.
 */
export async function hasLiveJob(
  queue: Queue<WebhookJobData>,
  delivery: { id: string; batchJobId: string | null },
  states: readonly string[] = ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'],
): Promise<boolean> {
  for (const jobId of [delivery.id, delivery.batchJobId]) {
    if (!jobId) continue;
    const job = await queue.getJob(jobId);
    if (job && states.includes(await job.getState())) return true;
  }
  return false;
}
