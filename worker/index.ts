import type { Config } from '../shared/config.js';
import { acquireSequelize } from '../shared/db/sequelize.js';
import type { Logger } from '../shared/logger.js';
import { startWorkerMetrics } from '../shared/metrics.js';
import { EventQueues } from '../shared/queues.js';
import { createRedis } from '../shared/redis.js';
import { allocationRules, createAllocationProcessor } from './allocation/index.js';
import { Dispatcher } from './dispatch/index.js';
import { describeEmailSetting, type EmailDispatch, startEmailDispatch } from './email/index.js';
import { HoldExpiryTimers } from './hold-expiry.js';
import { Reconciler } from './reconciler.js';
import { Retention } from './retention/index.js';
import { startWebhookDispatch, type WebhookDispatch } from './webhooks/index.js';

export interface RunningWorker {
  dispatcher: Dispatcher;
  reconciler: Reconciler;
  retention: Retention;
  webhooks: WebhookDispatch | null;
  emails: EmailDispatch | null;
  /** Graceful: finishes the jobs in progress, then closes connections. */
  close(): Promise<void>;
}

/** The worker role: decides booking requests. It serves no HTTP. */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const database = acquireSequelize(config);
  const { sequelize } = database;
  // Named, so `CLIENT LIST` tells whose connections they are; BullMQ's duplicates keep the name.
  const redis = createRedis(config, { connectionName: `${config.redisPrefix}:worker` });
  const subscriber = createRedis(config, {
    connectionName: `${config.redisPrefix}:worker-subscriber`,
  });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  subscriber.on('error', (err) => logger.warn({ err }, 'redis subscriber connection error'));

  const queues = new EventQueues(redis, config.redisPrefix, logger, 200);
  const holdTimers = new HoldExpiryTimers({
    redis,
    prefix: config.redisPrefix,
    queues,
    logger,
    lockMs: config.jobLockMs,
  });
  const processor = createAllocationProcessor({
    sequelize,
    redis,
    logger,
    redisPrefix: config.redisPrefix,
    batchSize: config.allocationBatchSize,
    rules: allocationRules(config),
    queues,
    holdTimers,
  });
  const dispatcher = new Dispatcher({
    redis,
    subscriber,
    prefix: config.redisPrefix,
    processor,
    logger,
    concurrency: config.workerConcurrency,
    turnMs: config.workerTurnMs,
    claimMs: config.eventClaimMs,
    lockMs: config.jobLockMs,
    pollMs: 500,
  });
  const reconciler = new Reconciler({
    sequelize,
    redis,
    queues,
    prefix: config.redisPrefix,
    logger,
    graceMs: config.reconcileGraceMs,
    intervalMs: config.reconcileIntervalMs,
  });

  const retention = new Retention({
    sequelize,
    redis,
    prefix: config.redisPrefix,
    logger,
    config: config.retention,
  });

  await dispatcher.start();
  reconciler.start();
  retention.start();
  const emails = startEmailDispatch({
    sequelize,
    redis,
    prefix: config.redisPrefix,
    config: config.email,
    lockMs: config.jobLockMs,
    strandedGraceMs: config.reconcileGraceMs,
    logger,
  });
  const emailSetting = describeEmailSetting(config.email);
  logger.info(emailSetting.fields, emailSetting.line);
  const webhooks = !config.webhooks.enabled
    ? null
    : startWebhookDispatch({
        sequelize,
        redis,
        prefix: config.redisPrefix,
        config: config.webhooks,
        lockMs: config.jobLockMs,
        strandedGraceMs: config.reconcileGraceMs,
        logger,
        relayExtension: emails?.relayExtension,
      });
  const metrics = await startWorkerMetrics(config, logger);
  logger.info({ concurrency: config.workerConcurrency }, 'worker started');

  return {
    dispatcher,
    reconciler,
    retention,
    webhooks,
    emails,
    async close() {
      await reconciler.stop();
      await retention.stop();
      await webhooks?.close();
      await emails?.close();
      await dispatcher.close();
      await holdTimers.close();
      await queues.closeAll();
      await database.release();
      subscriber.disconnect();
      await redis.quit();
      await metrics.close();
      logger.info('worker stopped');
    },
  };
}
