import { Queue } from 'bullmq';
import type { Sequelize, Transaction } from 'sequelize';
import type { EmailConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import type { RedisClient } from '../../shared/redis.js';
import { startScheduledWorker } from '../scheduled-worker.js';
import type { RelayExtension } from '../webhooks/relay.js';
import { createNotificationsForOutbox } from './create-notifications.js';
import { createEmailProcessor } from './process-email-job.js';
import { EMAIL_QUEUE, type EmailJobData, enqueueNotifications } from './queue.js';
import { EmailSweeper } from './sweeper.js';
import { createMailer } from './transport.js';

export { EMAIL_KINDS, type EmailKind, emailFor } from './kinds.js';
export { EMAIL_QUEUE } from './queue.js';

export interface EmailDispatch {
  /** Given to the outbox relay: notifications made in its transaction, their jobs after it. */
  relayExtension: RelayExtension;
  sweeper: EmailSweeper;
  close(): Promise<void>;
}

/** The one start-up line that says whether, and how, this process sends attendee emails. */
export function describeEmailSetting(config: EmailConfig): { line: string; fields: Record<string, unknown> } {
  if (config.transport === 'off') return { line: 'email notifications off: SMTP_URL is not set', fields: {} };
  if (config.transport === 'log')
    return { line: 'email notifications logged, not sent (MAIL_TRANSPORT=log)', fields: {} };
  // The URL carries credentials: only where it points is logged.
  const url = new URL(config.smtpUrl!);
  return {
    line: 'email notifications on',
    fields: { smtp: `${url.protocol}//${url.host}`, from: config.from },
  };
}

/**
 * The email half of the worker: the sending Worker (a pooled SMTP connection per slot) and the
 * sweeper. Notifications are created by the outbox relay through `relayExtension`. Null when
 * notifications are off.
 */
export function startEmailDispatch(deps: {
  sequelize: Sequelize;
  redis: RedisClient;
  prefix: string;
  config: EmailConfig;
  lockMs: number;
  strandedGraceMs: number;
  logger: Logger;
}): EmailDispatch | null {
  const { sequelize, redis, prefix, config, lockMs, strandedGraceMs, logger } = deps;
  if (config.transport === 'off') return null;
  const queue = new Queue<EmailJobData>(EMAIL_QUEUE, { connection: redis, prefix });
  queue.on('error', (err) => logger.warn({ err }, 'email queue error'));
  const mailer = createMailer(config, logger);
  const worker = startScheduledWorker(
    EMAIL_QUEUE,
    createEmailProcessor({ sequelize, config, mailer, logger }),
    {
      redis,
      prefix,
      concurrency: config.concurrency,
      lockMs,
      retryScheduleMs: config.retryScheduleMs,
      logger,
    },
  );
  const sweeper = new EmailSweeper({ sequelize, queue, config, logger, strandedGraceMs });
  sweeper.start();
  return {
    relayExtension: {
      create: (transaction: Transaction, outboxIds: readonly string[]) =>
        createNotificationsForOutbox(sequelize, transaction, outboxIds),
      enqueue: (ids: readonly string[]) => enqueueNotifications(queue, config, ids),
    },
    sweeper,
    async close() {
      await sweeper.stop();
      await worker.close();
      mailer.close();
      await queue.close();
    },
  };
}
