import Joi from 'joi';

/** Every setting of the service, validated once at start-up. Nothing else reads `process.env`. */
export interface Config {
  env: 'development' | 'production' | 'test';
  databaseUrl: string;
  redisUrl: string;
  port: number;
  host: string;
  logLevel: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  adminEmail?: string;
  adminPassword?: string;
  webhookAllowPrivate: string[];
  redisPrefix: string;
  maxSeatsPerBooking: number;
  allocationBatchSize: number;
  maxQueueDepth: number;
  longPollMaxSeconds: number;
  workerMaxQueues: number;
  workerIdleCloseMs: number;
  reconcileIntervalMs: number;
  reconcileGraceMs: number;
  startupTimeoutMs: number;
  dbPoolMax: number;
}

const DEV_JWT_SECRET = 'evently-development-secret-do-not-use-in-production';

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  DATABASE_URL: Joi.string()
    .uri({ scheme: ['postgres', 'postgresql'] })
    .default('postgres://postgres@127.0.0.1:5432/evently'),
  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379'),
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  HOST: Joi.string().default('0.0.0.0'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  JWT_SECRET: Joi.string()
    .min(32)
    .when('NODE_ENV', {
      is: 'production',
      then: Joi.required(),
      otherwise: Joi.optional().default(DEV_JWT_SECRET),
    }),
  ACCESS_TOKEN_TTL: Joi.number().integer().min(10).default(900),
  REFRESH_TOKEN_TTL: Joi.number()
    .integer()
    .min(60)
    .default(30 * 24 * 3600),
  ADMIN_EMAIL: Joi.string().email({ tlds: false }).optional(),
  ADMIN_PASSWORD: Joi.string().min(8).when('ADMIN_EMAIL', { is: Joi.exist(), then: Joi.required() }),
  WEBHOOK_ALLOW_PRIVATE: Joi.string().allow('').default(''),
  REDIS_PREFIX: Joi.string()
    .pattern(/^[A-Za-z0-9_{}-]+$/)
    .default('evently'),
  MAX_SEATS_PER_BOOKING: Joi.number().integer().min(1).max(1000).default(10),
  ALLOCATION_BATCH_SIZE: Joi.number().integer().min(1).max(1000).default(100),
  MAX_QUEUE_DEPTH: Joi.number().integer().min(1).default(100000),
  LONG_POLL_MAX_SECONDS: Joi.number().integer().min(0).max(120).default(30),
  WORKER_MAX_QUEUES: Joi.number().integer().min(1).default(50),
  WORKER_IDLE_CLOSE_MS: Joi.number().integer().min(100).default(30000),
  RECONCILE_INTERVAL_MS: Joi.number().integer().min(100).default(5000),
  RECONCILE_GRACE_MS: Joi.number().integer().min(0).default(10000),
  STARTUP_TIMEOUT_MS: Joi.number().integer().min(500).max(60000).default(8000),
  DB_POOL_MAX: Joi.number().integer().min(1).max(200).default(10),
}).unknown(true);

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value, error } = schema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    throw new ConfigError(`Invalid configuration: ${error.details.map((d) => d.message).join('; ')}`);
  }
  return {
    env: value.NODE_ENV,
    databaseUrl: value.DATABASE_URL,
    redisUrl: value.REDIS_URL,
    port: value.PORT,
    host: value.HOST,
    logLevel: value.LOG_LEVEL,
    jwtSecret: value.JWT_SECRET,
    accessTokenTtlSeconds: value.ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: value.REFRESH_TOKEN_TTL,
    adminEmail: value.ADMIN_EMAIL,
    adminPassword: value.ADMIN_PASSWORD,
    webhookAllowPrivate: String(value.WEBHOOK_ALLOW_PRIVATE)
      .split(',')
      .map((h: string) => h.trim())
      .filter(Boolean),
    redisPrefix: value.REDIS_PREFIX,
    maxSeatsPerBooking: value.MAX_SEATS_PER_BOOKING,
    allocationBatchSize: value.ALLOCATION_BATCH_SIZE,
    maxQueueDepth: value.MAX_QUEUE_DEPTH,
    longPollMaxSeconds: value.LONG_POLL_MAX_SECONDS,
    workerMaxQueues: value.WORKER_MAX_QUEUES,
    workerIdleCloseMs: value.WORKER_IDLE_CLOSE_MS,
    reconcileIntervalMs: value.RECONCILE_INTERVAL_MS,
    reconcileGraceMs: value.RECONCILE_GRACE_MS,
    startupTimeoutMs: value.STARTUP_TIMEOUT_MS,
    dbPoolMax: value.DB_POOL_MAX,
  };
}
