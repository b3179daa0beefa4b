import type { Queue } from 'bullmq';
import type { EmailConfig } from '../../shared/config.js';
import { scheduledJobOptions } from '../../shared/scheduled-retry.js';

/**
 * Notifications are sent through one fleet-wide BullMQ queue (job id = notification id). Its
 * name is a hash tag, so on Redis Cluster all its keys share one slot, as BullMQ's scripts
 * require.
 */
export const EMAIL_QUEUE = '{emails}';

export interface EmailJobData {
  notificationId: string;
}

export type EmailQueue = Queue<EmailJobData>;

/** Adds the jobs of new notifications in one round trip; adding an existing job is a no-op. */
export async function enqueueNotifications(
  queue: EmailQueue,
  config: Pick<EmailConfig, 'retryScheduleMs'>,
  notificationIds: readonly string[],
): Promise<void> {
  if (notificationIds.length === 0) return;
  await queue.addBulk(
    notificationIds.map((notificationId) => ({
      name: 'send',
      data: { notificationId },
      opts: scheduledJobOptions(config.retryScheduleMs, notificationId),
    })),
  );
}

/**
 * Re-adds the job of a pending notification whose job is lost (Redis lost it, a crash between
 * the commit and the add) or finished (a stalled job BullMQ gave up on). Returns whether it did.
 */
export async function requeueNotification(
  queue: EmailQueue,
  config: Pick<EmailConfig, 'retryScheduleMs'>,
  notificationId: string,
): Promise<boolean> {
  const job = await queue.getJob(notificationId);
  const state = job ? await job.getState() : 'missing';
  if (state !== 'missing' && state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
  if (job && state !== 'missing') await job.remove();
  await enqueueNotifications(queue, config, [notificationId]);
  return true;
}
