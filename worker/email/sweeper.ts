import type { Sequelize } from 'sequelize';
import type { EmailConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { createHoldReminders } from './create-notifications.js';
import { overdueNotifications } from './notification-store.js';
import { type EmailQueue, enqueueNotifications, requeueNotification } from './queue.js';

/**
 * Every `sweepIntervalMs`, in each worker process that sends emails: makes the reminders of offer
 * holds about to expire, and re-adds the jobs of pending notifications overdue by the grace
 * (lost with Redis, or never added after a crash). Both read committed state only and are safe
 * to run in several processes at once (unique `message_id`; adding an existing job is a no-op).
 */
export class EmailSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      sequelize: Sequelize;
      queue: EmailQueue;
      config: EmailConfig;
      logger: Logger;
      strandedGraceMs: number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running
        .then(async () => {
          await this.sweepOnce();
        })
        .catch((err) => this.deps.logger.error({ err }, 'email sweep failed'));
    }, this.deps.config.sweepIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweepOnce(): Promise<{ reminders: number; requeued: number }> {
    const { sequelize, queue, config, logger, strandedGraceMs } = this.deps;
    const reminders = await createHoldReminders(sequelize, config.holdReminderSeconds);
    await enqueueNotifications(queue, config, reminders);
    let requeued = 0;
    for (const id of await overdueNotifications(sequelize, strandedGraceMs)) {
      if (await requeueNotification(queue, config, id)) requeued += 1;
    }
    if (requeued > 0) logger.warn({ requeued }, 'requeued stranded email notifications');
    return { reminders: reminders.length, requeued };
  }
}
