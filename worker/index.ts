import type { Config } from '../shared/config.js';
import { createSequelize } from '../shared/db/sequelize.js';
import type { Logger } from '../shared/logger.js';
import { EventQueues } from '../shared/queues.js';
import { createRedis } from '../shared/redis.js';
import { createAllocationProcessor } from './process-allocation-job.js';
import { QueuePool } from './queue-pool.js';
import { Reconciler } from './reconciler.js';

export interface RunningWorker {
  pool: QueuePool;
  reconciler: Reconciler;
  /** Graceful: finishes the jobs in progress, then closes connections. */
  close(): Promise<void>;
}

/** The worker role: decides booking requests. It serves no HTTP. */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const sequelize = createSequelize(config);
  const redis = createRedis(config.redisUrl);
  const subscriber = createRedis(config.redisUrl);
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  subscriber.on('error', (err) => logger.warn({ err }, 'redis subscriber connection error'));

  const processor = createAllocationProcessor({
    sequelize,
    redis,
    logger,
    redisPrefix: config.redisPrefix,
    batchSize: config.allocationBatchSize,
  });
  const pool = new QueuePool({
    redis,
    subscriber,
    prefix: config.redisPrefix,
    processor,
    logger,
    maxQueues: config.workerMaxQueues,
    idleCloseMs: config.workerIdleCloseMs,
    pollIntervalMs: Math.min(config.reconcileIntervalMs, 2000),
  });
  const queues = new EventQueues(redis, config.redisPrefix, logger, 200);
  const reconciler = new Reconciler({
    sequelize,
    redis,
    queues,
    prefix: config.redisPrefix,
    logger,
    graceMs: config.reconcileGraceMs,
    intervalMs: config.reconcileIntervalMs,
  });

  await pool.start();
  reconciler.start();
  logger.info({ maxQueues: config.workerMaxQueues }, 'worker started');

  return {
    pool,
    reconciler,
    async close() {
      await reconciler.stop();
      await pool.close();
      await queues.closeAll();
      await sequelize.close();
      subscriber.disconnect();
      await redis.quit();
      logger.info('worker stopped');
    },
  };
}
