import http from 'node:http';
import { Queue } from 'bullmq';
import type { Config } from '../shared/config.js';
import { acquireSequelize } from '../shared/db/sequelize.js';
import type { Logger } from '../shared/logger.js';
import { EventQueues } from '../shared/queues.js';
import { createRedis, createRequestRedis } from '../shared/redis.js';
import { WEBHOOK_QUEUE, type WebhookJobData } from '../shared/webhooks/types.js';
import { createApp } from './app.js';
import type { ApiDeps } from './context.js';
import { DecisionWaiter, Intake } from './intake/index.js';
import { ensureAdmin, ensureSomeAdmin } from './services/accounts.js';

export interface RunningApi {
  server: http.Server;
  deps: ApiDeps;
  close(): Promise<void>;
}

/** Builds the API's dependencies; tests use this with an in-process server. */
export async function createApiDeps(
  config: Config,
  logger: Logger,
): Promise<ApiDeps & { close(): Promise<void> }> {
  const database = acquireSequelize(config);
  const { sequelize } = database;
  const redis = createRequestRedis(config);
  const subscriber = createRedis(config);
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  subscriber.on('error', (err) => logger.warn({ err }, 'redis subscriber connection error'));
  const queues = new EventQueues(redis, config.redisPrefix, logger);
  const webhookQueue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, {
    connection: redis,
    prefix: config.redisPrefix,
  });
  webhookQueue.on('error', (err) => logger.warn({ err }, 'webhook queue error'));
  const decisions = new DecisionWaiter(subscriber, config.redisPrefix, sequelize, logger);
  await decisions.start();
  return {
    config,
    sequelize,
    redis,
    queues,
    webhookQueue,
    logger,
    decisions,
    intake: new Intake({ sequelize, queues, redis, config, logger }),
    async close() {
      decisions.close();
      await queues.closeAll();
      await webhookQueue.close();
      await database.release();
      subscriber.disconnect();
      await redis.quit();
    },
  };
}

/** The API role: serves HTTP, records booking requests and rings their events, never allocates seats. */
export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const deps = await createApiDeps(config, logger);
  if (config.adminEmail && config.adminPassword) {
    await ensureAdmin(config.adminEmail, config.adminPassword, logger);
  } else if (config.env !== 'test') {
    await ensureSomeAdmin(logger);
  }
  const app = createApp(deps);
  const server = http.createServer(app.callback());
  // A taken port fails start-up with one line (bin/lifecycle.ts) instead of an unhandled
  // 'error' event; under `npm start` the supervisor then sees the process crash-loop and stops.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  logger.info({ port: config.port, host: config.host }, 'api listening');
  return {
    server,
    deps,
    async close() {
      // Stop accepting, let in-flight requests finish, then release connections.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await deps.close();
      logger.info('api stopped');
    },
  };
}
