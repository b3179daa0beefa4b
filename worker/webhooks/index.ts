import { Queue } from 'bullmq';
import type { Sequelize } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import type { RedisClient } from '../../shared/redis.js';
import { WEBHOOK_QUEUE } from '../../shared/webhooks/queue.js';
import type { WebhookJobData } from '../../shared/webhooks/types.js';
import { startScheduledWorker } from '../scheduled-worker.js';
import { createDeliveryProcessor } from './process-delivery-job.js';
import { OutboxRelay, type RelayExtension } from './relay.js';
import { closeConnections } from './send.js';

export interface WebhookDispatch {
  relay: OutboxRelay;
  close(): Promise<void>;
}

/** The webhook half of the worker: the outbox relay and the delivery Worker. */
export function startWebhookDispatch(deps: {
  sequelize: Sequelize;
  redis: RedisClient;
  prefix: string;
  config: WebhookConfig;
  lockMs: number;
  strandedGraceMs: number;
  logger: Logger;
  /** What else the relay makes of each batch (attendee emails), if anything. */
  relayExtension?: RelayExtension;
}): WebhookDispatch {
  const { sequelize, redis, prefix, config, logger, lockMs, strandedGraceMs, relayExtension } = deps;
  const queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection: redis, prefix });
  queue.on('error', (err) => logger.warn({ err }, 'webhook queue error'));
  // Jobs, not deliveries: the deliveries in flight are bounded by the send slots (the same
  // number), whether they come in batches or one per job.
  const worker = startScheduledWorker(
    WEBHOOK_QUEUE,
    createDeliveryProcessor({ sequelize, queue, config, logger }),
    {
      redis,
      prefix,
      concurrency: config.concurrency,
      lockMs,
      retryScheduleMs: config.retryScheduleMs,
      logger,
    },
  );
  const relay = new OutboxRelay({
    sequelize,
    queue,
    config,
    logger,
    strandedGraceMs,
    extension: relayExtension,
  });
  relay.start();
  return {
    relay,
    async close() {
      await relay.stop();
      await worker.close();
      await queue.close();
      closeConnections();
    },
  };
}
