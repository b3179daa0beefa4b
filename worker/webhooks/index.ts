import { Queue, Worker } from 'bullmq';
import type { Sequelize } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import type { RedisClient } from '../../shared/redis.js';
import { WEBHOOK_BACKOFF, WEBHOOK_QUEUE } from '../../shared/webhooks/queue.js';
import type { WebhookJobData } from '../../shared/webhooks/types.js';
import { createDeliveryProcessor, DeliveryAttemptFailed } from './process-delivery-job.js';
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
  const worker = new Worker<WebhookJobData>(
    WEBHOOK_QUEUE,
    createDeliveryProcessor({ sequelize, queue, config, logger }),
    {
      connection: redis,
      prefix,
      concurrency: config.concurrency,
      // Jobs, not deliveries: the deliveries in flight are bounded by the send slots (the same
      // number), whether they come in batches or one per job.
      // Locks are renewed while a delivery runs, so a short lock only shortens crash recovery.
      lockDuration: lockMs,
      stalledInterval: lockMs,
      settings: {
        // The processor computed the delay (schedule, jitter, Retry-After) and put it on the error.
        backoffStrategy: (_attempts, type, err) =>
          type === WEBHOOK_BACKOFF && err instanceof DeliveryAttemptFailed
            ? err.delayMs
            : (config.retryScheduleMs[0] ?? 0),
      },
    },
  );
  worker.on('error', (err) => logger.error({ err }, 'webhook worker error'));
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
