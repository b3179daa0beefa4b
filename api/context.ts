import type { Queue } from 'bullmq';
import type { Sequelize } from 'sequelize';
import type { Config } from '../shared/config.js';
import type { Role } from '../shared/domain.js';
import type { Logger } from '../shared/logger.js';
import type { EventQueues } from '../shared/queues.js';
import type { RedisClient } from '../shared/redis.js';
import type { WebhookJobData } from '../shared/webhooks/types.js';
import type { DecisionWaiter, Intake } from './intake/index.js';

/** What the HTTP layer depends on; built once at start-up and passed to every router. */
export interface ApiDeps {
  config: Config;
  sequelize: Sequelize;
  redis: RedisClient;
  queues: EventQueues;
  webhookQueue: Queue<WebhookJobData>;
  logger: Logger;
  decisions: DecisionWaiter;
  intake: Intake;
}

export interface Principal {
  id: string;
  role: Role;
  tokenId: string;
  /** Which kind of token it is: the caller of a request holds an access token. */
  tokenType: 'access' | 'refresh';
  expiresAt: number;
  /** The session the token belongs to (its `fam` claim); logout and refresh reuse revoke it whole. */
  familyId?: string;
}

export interface AppState {
  requestId: string;
  logger: Logger;
  principal?: Principal;
}
