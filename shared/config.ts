import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import Joi from 'joi';
import { type SecretRules, secretProblem } from './secret-strength.js';
import { type TracingConfig, tracingConfig, tracingSchema } from './tracing/index.js';
import { parseAllowEntry } from './webhooks/address-guard.js';

/** Every setting of the service, validated once at start-up. Nothing else reads `process.env`. */
export interface Config {
  env: 'development' | 'production' | 'test';
  databaseUrl: string;
  /** The one Redis node (REDIS_URL); unused when `redisClusterNodes` is set. */
  redisUrl: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); empty: the one node of `redisUrl`. */
  redisClusterNodes: RedisNode[];
  port: number;
  host: string;
  logLevel: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /**
   * How long a user's revocations copied to Redis are trusted before the next token check reads
   * them from PostgreSQL again (REVOCATION_RELOAD_SECONDS; api/services/tokens.ts).
   */
  revocationReloadSeconds: number;
  adminEmail?: string;
  adminPassword?: string;
  redisPrefix: string;
  maxSeatsPerBooking: number;
  /** How long a hold keeps its seats when its event sets no time of its own (HOLD_TTL_SECONDS). */
  holdTtlSeconds: number;
  /** Waiting waitlist entries one user may have per event (WAITLIST_MAX_PER_USER). */
  waitlistMaxPerUser: number;
  /** Longest hold an event may ask for (MAX_HOLD_TTL_SECONDS). */
  maxHoldTtlSeconds: number;
  /** Active holds one buyer may have per event (MAX_HOLDS_PER_USER). */
  maxHoldsPerUser: number;
  /** `maxTicketsPerUser` of an event created without one (DEFAULT_MAX_TICKETS_PER_USER); null: no cap. */
  defaultMaxTicketsPerUser: number | null;
  /** Largest seat map of one event (MAX_SEATS_PER_EVENT). */
  maxSeatsPerEvent: number;
  allocationBatchSize: number;
  /**
   * Failed allocation steps a booking request may cause before it is set aside, rejected
   * `processing_failed` (MAX_PROCESSING_ATTEMPTS); passing database errors do not count.
   */
  maxProcessingAttempts: number;
  maxQueueDepth: number;
  longPollMaxSeconds: number;
  /** Events one worker process serves at once. */
  workerConcurrency: number;
  /** How long one event's turn lasts before it goes to the back of the line. */
  workerTurnMs: number;
  /**
   * How long a worker process's claim on an event lasts without renewal (EVENT_CLAIM_MS): a
   * process that stopped loses its events, and the job it was running, after at most this.
   */
  eventClaimMs: number;
  reconcileIntervalMs: number;
  reconcileGraceMs: number;
  startupTimeoutMs: number;
  dbPoolMax: number;
  /** API processes `npm start` forks beside its one worker process (API_PROCESSES). */
  apiProcesses: number;
  jobLockMs: number;
  /** Bearer token `/metrics` requires (METRICS_TOKEN); unset, the endpoint is open. */
  metricsToken?: string;
  /** The worker's ops-only metrics port (WORKER_METRICS_PORT); 0 turns the listener off. */
  workerMetricsPort: number;
  /**
   * Proxies in front of the API whose X-Forwarded-* headers are believed (TRUST_PROXY: `true` is
   * one, a number is that many); 0, the socket's peer is the client.
   */
  trustProxyHops: number;
  /** Origins allowed to call the API from a browser (CORS_ORIGINS); empty, no CORS headers at all. */
  corsOrigins: string[];
  /** Largest JSON body accepted, in kB (BODY_LIMIT_KB); larger is 413. */
  bodyLimitKb: number;
  rateLimits: RateLimitConfig;
  webhooks: WebhookConfig;
  email: EmailConfig;
  retention: RetentionConfig;
  /** OpenTelemetry tracing (OTEL_*, shared/tracing/settings.ts); off by default. */
  tracing: TracingConfig;
}

/** A Redis Cluster node to learn the cluster's layout from; the client finds the rest itself. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Redis-backed budgets against brute force and floods; exceeding one is 429 with Retry-After. */
export interface RateLimitConfig {
  enabled: boolean;
  /** Sign-in and registration attempts per client IP per minute (RATE_LIMIT_LOGIN_PER_IP). */
  authPerIpPerMinute: number;
  /** Failed password checks per account before it is locked for the window. */
  loginFailuresPerAccount: number;
  loginFailureWindowSeconds: number;
  /** Booking and cancellation requests per user per minute. */
  bookingsPerMinute: number;
  /** The same for partners and admins, who book on behalf of many people. */
  partnerBookingsPerMinute: number;
}

export interface WebhookConfig {
  /** Whether this worker process relays the outbox and delivers webhooks. */
  enabled: boolean;
  /**
   * `host:port` destinations allowed despite the SSRF guard (WEBHOOK_ALLOW_PRIVATE), normalised
   * as the guard's destinationOf() spells them (`127.0.0.1:4000`, `[::1]:4000`).
   */
  allowPrivateDestinations: string[];
  /** Plain http endpoints are refused in production. */
  requireHttps: boolean;
  /** Delay before each retry, in ms; its length is the number of retries. */
  retryScheduleMs: number[];
  timeoutMs: number;
  concurrency: number;
  circuitThreshold: number;
  circuitCooldownMs: number;
  secretOverlapSeconds: number;
  relayIntervalMs: number;
  /** New deliveries to one endpoint whose first attempts one job makes (the relay's batches). */
  batchSize: number;
}

/** Attendee email notifications (docs/architecture.md, Email notifications). */
export interface EmailConfig {
  /**
   * `smtp`: sent over `smtpUrl`; `log`: written to the log instead (MAIL_TRANSPORT=log, outside
   * production); `off`: no SMTP_URL, no notification is created or sent.
   */
  transport: 'smtp' | 'log' | 'off';
  /** SMTP_URL (`smtp://user:pass@host:587`, `smtps://…:465`); holds credentials: never log it. */
  smtpUrl: string | null;
  /** The From header (MAIL_FROM): `addr@domain` or `Name <addr@domain>`. */
  from: string;
  /** The right-hand side of every Message-ID: MAIL_FROM's domain. */
  messageIdDomain: string;
  /** Emails in flight per worker process, and SMTP connections in its pool (MAIL_CONCURRENCY). */
  concurrency: number;
  /** Delay before each retry of a temporary failure, in ms; its length is the number of retries. */
  retryScheduleMs: number[];
  /** Connection, greeting and socket timeout of one SMTP exchange. */
  timeoutMs: number;
  /** How long before an offer hold's expiry its reminder goes out (MAIL_HOLD_REMINDER_SECONDS); 0: none. */
  holdReminderSeconds: number;
  /** How often the reminder and stranded-notification sweeps run. */
  sweepIntervalMs: number;
}

/**
 * How long finished rows are kept before the worker prunes them (docs/architecture.md,
 * Retention). An age of 0 keeps those rows for good.
 */
export interface RetentionConfig {
  /** Decided booking requests that start no purchase (RETENTION_BOOKING_REQUESTS_DAYS); also the idempotency window. */
  bookingRequestsDays: number;
  /** Finished webhook deliveries and relayed outbox messages (RETENTION_WEBHOOK_DAYS). */
  webhookDays: number;
  /** Sent, failed and skipped email notifications (RETENTION_EMAIL_DAYS). */
  emailDays: number;
  /** Token revocations, counted from the expiry of what they revoke (RETENTION_TOKEN_REVOCATIONS_DAYS). */
  tokenRevocationsDays: number;
  /** Rows one pruning statement deletes at most (RETENTION_BATCH_SIZE). */
  batchSize: number;
  /** Pause between two batches, so pruning never takes a connection or a core for long. */
  pauseMs: number;
  /** How often a pruning round starts (RETENTION_INTERVAL_MS). */
  intervalMs: number;
}

/** `addr@domain` or `Name <addr@domain>`; the domain is group 2 or 4. */
const MAIL_FROM_FORMAT = /^(?:[^<>]*\S\s*<[^<>\s@]+@([^<>\s@]+)>|[^<>\s@]+@([^<>\s@]+))$/;

/**
 * A secret of at least `min` characters (`productionMin` in production), never one that could
 * be guessed (shared/secret-strength.ts): outside tests not a published value, and in production
 * not a weak one either. One line naming the variable when it fails.
 */
const secret = (name: string, min: number, productionMin: number, rules: Omit<SecretRules, 'name'>) =>
  Joi.string().custom((value: string, helpers) => {
    const env = helpers.state.ancestors[0]?.NODE_ENV;
    const production = env === 'production';
    const least = production ? productionMin : min;
    if (value.length < least) {
      return helpers.message({
        custom: `${name} must be at least ${least} characters${production ? ' in production' : ''}`,
      });
    }
    if (env === 'test') return value;
    // Outside production only the published values are refused; a developer's own is theirs.
    const problem = secretProblem(
      value,
      production ? { name, ...rules } : { name, minBits: 0, refuseCommonWords: false },
    );
    return problem ? helpers.message({ custom: problem }) : value;
  });

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  DATABASE_URL: Joi.string()
    .uri({ scheme: ['postgres', 'postgresql'] })
    .default('postgres://postgres@127.0.0.1:5432/evently'),
  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379'),
  // host:port seed nodes, comma-separated; set, the service runs on that cluster and REDIS_URL
  // is not used.
  REDIS_CLUSTER_NODES: Joi.string()
    .allow('')
    .custom((value: string, helpers) => {
      const bad = splitList(value).find((entry) => parseRedisNode(entry) === null);
      return bad === undefined
        ? value
        : helpers.message({
            custom: `REDIS_CLUSTER_NODES: "${bad}" is not host:port (e.g. 10.0.0.5:6379,10.0.0.6:6379)`,
          });
    })
    .default(''),
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  // Outside production the API listens on loopback unless told otherwise: a development
  // process is nobody else's to reach.
  HOST: Joi.string().when('NODE_ENV', {
    is: 'production',
    then: Joi.optional().default('0.0.0.0'),
    otherwise: Joi.optional().default('127.0.0.1'),
  }),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  // Unset outside production: a random key per start (sessions end at a restart), never a
  // published one a stranger could sign admin tokens with (the tests set their own).
  JWT_SECRET: secret('JWT_SECRET', 32, 32, { minBits: 100, refuseCommonWords: false })
    .empty('')
    .when('NODE_ENV', {
      is: 'production',
      then: Joi.required().messages({ 'any.required': 'JWT_SECRET is required in production' }),
      otherwise: Joi.optional().default(() => randomBytes(32).toString('base64url')),
    }),
  ACCESS_TOKEN_TTL: Joi.number().integer().min(10).default(900),
  REFRESH_TOKEN_TTL: Joi.number()
    .integer()
    .min(60)
    .default(30 * 24 * 3600),
  REVOCATION_RELOAD_SECONDS: Joi.number().integer().min(1).max(86400).default(300),
  // Empty counts as unset: compose passes `${ADMIN_EMAIL:-}` through.
  ADMIN_EMAIL: Joi.string().email({ tlds: false }).empty('').optional(),
  ADMIN_PASSWORD: secret('ADMIN_PASSWORD', 8, 12, { minBits: 50, refuseCommonWords: true })
    .empty('')
    .when('ADMIN_EMAIL', {
      is: Joi.exist(),
      then: Joi.required(),
    }),
  // host:port entries, comma-separated: a bare host would open every port of it (Redis, PostgreSQL...).
  WEBHOOK_ALLOW_PRIVATE: Joi.string()
    .allow('')
    .custom((value: string, helpers) => {
      const bad = splitList(value).find((entry) => parseAllowEntry(entry) === null);
      return bad === undefined
        ? value
        : helpers.message({
            custom: `WEBHOOK_ALLOW_PRIVATE: "${bad}" is not host:port (e.g. 127.0.0.1:4000, [::1]:4000, localhost:4000)`,
          });
    })
    .default(''),
  // No braces: the service puts the hash tag into each key itself (one per event, one per user),
  // and Redis Cluster hashes the first `{...}` of a key, so a tag in the prefix would put every
  // key on one slot.
  REDIS_PREFIX: Joi.string()
    .pattern(/^[A-Za-z0-9_-]+$/)
    .messages({
      'string.pattern.base':
        'REDIS_PREFIX may hold letters, digits, _ and - only (no braces: the service chooses the hash tags of its keys)',
    })
    .default('evently'),
  MAX_SEATS_PER_BOOKING: Joi.number().integer().min(1).max(1000).default(10),
  MAX_HOLD_TTL_SECONDS: Joi.number().integer().min(5).max(86400).default(1800),
  HOLD_TTL_SECONDS: Joi.number().integer().min(5).max(Joi.ref('MAX_HOLD_TTL_SECONDS')).default(600),
  MAX_HOLDS_PER_USER: Joi.number().integer().min(1).max(100).default(2),
  DEFAULT_MAX_TICKETS_PER_USER: Joi.number().integer().min(1).max(1_000_000).empty('').optional(),
  WAITLIST_MAX_PER_USER: Joi.number().integer().min(1).max(100).default(2),
  MAX_SEATS_PER_EVENT: Joi.number().integer().min(1).max(1_000_000).default(100_000),
  ALLOCATION_BATCH_SIZE: Joi.number().integer().min(1).max(1000).default(500),
  MAX_PROCESSING_ATTEMPTS: Joi.number().integer().min(1).max(20).default(3),
  MAX_QUEUE_DEPTH: Joi.number().integer().min(1).default(100000),
  LONG_POLL_MAX_SECONDS: Joi.number().integer().min(0).max(120).default(30),
  WORKER_CONCURRENCY: Joi.number().integer().min(1).max(200).default(32),
  WORKER_TURN_MS: Joi.number().integer().min(10).max(60000).default(200),
  EVENT_CLAIM_MS: Joi.number().integer().min(400).max(60000).default(1000),
  RECONCILE_INTERVAL_MS: Joi.number().integer().min(100).default(5000),
  RECONCILE_GRACE_MS: Joi.number().integer().min(0).default(10000),
  STARTUP_TIMEOUT_MS: Joi.number().integer().min(500).max(60000).default(8000),
  DB_POOL_MAX: Joi.number().integer().min(1).max(200).default(10),
  // One per core this process may run on: one API process keeps one core busy at most (its
  // JavaScript is single-threaded), and under load the API is CPU-bound.
  API_PROCESSES: Joi.number()
    .integer()
    .min(1)
    .max(1024)
    .default(() => availableParallelism()),
  JOB_LOCK_MS: Joi.number().integer().min(1000).max(600000).default(10000),
  METRICS_TOKEN: Joi.string()
    .min(16)
    .max(512)
    .pattern(/^[\x21-\x7e]+$/)
    .optional(),
  // Tests start many workers on one host; they ask for a listener when they test it.
  WORKER_METRICS_PORT: Joi.number()
    .integer()
    .min(0)
    .max(65535)
    .when('NODE_ENV', {
      is: 'test',
      then: Joi.optional().default(0),
      otherwise: Joi.optional().default(9464),
    }),
  // Standard Webhooks' suggested schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
  WEBHOOKS_ENABLED: Joi.boolean().default(true),
  TRUST_PROXY: Joi.alternatives(Joi.boolean(), Joi.number().integer().min(0).max(10)).default(false),
  // Exact origins (scheme://host[:port]), comma-separated; `*` allows any origin.
  CORS_ORIGINS: Joi.string()
    .allow('')
    .custom((value: string, helpers) => {
      const bad = splitList(value).find((o) => o !== '*' && (!URL.canParse(o) || new URL(o).origin !== o));
      return bad === undefined
        ? value
        : helpers.message({ custom: `CORS_ORIGINS: "${bad}" is not an origin` });
    })
    .default(''),
  BODY_LIMIT_KB: Joi.number().integer().min(1).max(10240).default(64),
  RATE_LIMITS_ENABLED: Joi.boolean().default(true),
  RATE_LIMIT_LOGIN_PER_IP: Joi.number().integer().min(1).default(10),
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: Joi.number().integer().min(1).default(5),
  RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS: Joi.number().integer().min(1).default(900),
  RATE_LIMIT_BOOKINGS_PER_MINUTE: Joi.number().integer().min(1).default(30),
  RATE_LIMIT_PARTNER_BOOKINGS_PER_MINUTE: Joi.number().integer().min(1).default(600),
  WEBHOOK_RETRY_SCHEDULE: Joi.string()
    .pattern(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/)
    .default('5,300,1800,7200,18000,36000,50400,72000,86400'),
  WEBHOOK_TIMEOUT_MS: Joi.number().integer().min(100).max(60000).default(15000),
  WEBHOOK_CONCURRENCY: Joi.number().integer().min(1).max(200).default(10),
  WEBHOOK_CIRCUIT_THRESHOLD: Joi.number().integer().min(1).default(5),
  WEBHOOK_CIRCUIT_COOLDOWN_MS: Joi.number().integer().min(100).default(60000),
  WEBHOOK_SECRET_OVERLAP_SECONDS: Joi.number()
    .integer()
    .min(0)
    .default(24 * 3600),
  WEBHOOK_RELAY_INTERVAL_MS: Joi.number().integer().min(10).default(250),
  WEBHOOK_BATCH_SIZE: Joi.number().integer().min(1).max(500).default(50),
  // No SMTP_URL: notifications are off (start-up says so), unless MAIL_TRANSPORT=log.
  SMTP_URL: Joi.string()
    .uri({ scheme: ['smtp', 'smtps'] })
    .empty('')
    .optional()
    .messages({ 'string.uriCustomScheme': 'SMTP_URL must be an smtp:// or smtps:// URL' }),
  // A Joi `.valid()` list would skip the custom rule for listed values, so both checks are here.
  MAIL_TRANSPORT: Joi.string()
    .default('smtp')
    .custom((value: string, helpers) => {
      if (value !== 'smtp' && value !== 'log')
        return helpers.message({ custom: 'MAIL_TRANSPORT must be smtp or log' });
      return value === 'log' && helpers.state.ancestors[0]?.NODE_ENV === 'production'
        ? helpers.message({ custom: 'MAIL_TRANSPORT=log is for development, not production' })
        : value;
    }),
  MAIL_FROM: Joi.string()
    .max(320)
    .pattern(MAIL_FROM_FORMAT)
    .messages({ 'string.pattern.base': 'MAIL_FROM must be addr@domain or Name <addr@domain>' })
    .empty('')
    .when('SMTP_URL', {
      is: Joi.exist(),
      then: Joi.required().messages({ 'any.required': 'MAIL_FROM is required with SMTP_URL' }),
      otherwise: Joi.optional().default('Evently <no-reply@localhost>'),
    }),
  MAIL_CONCURRENCY: Joi.number().integer().min(1).max(100).default(5),
  // Short steps first (5 s ... 30 s), so an SMTP server down for a minute delays an email by
  // half a minute at most once it is back; then 1 min ... 12 h: about 28 hours in all.
  MAIL_RETRY_SCHEDULE: Joi.string()
    .pattern(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/)
    .default('5,10,20,30,30,60,120,300,600,1800,3600,7200,14400,28800,43200'),
  MAIL_TIMEOUT_MS: Joi.number().integer().min(100).max(600000).default(30000),
  MAIL_HOLD_REMINDER_SECONDS: Joi.number().integer().min(0).max(86400).default(180),
  MAIL_SWEEP_INTERVAL_MS: Joi.number().integer().min(10).max(600000).default(5000),
  // Whole days, at least one (0: keep for good): the booking-request age is also how long an
  // idempotency key is remembered, and a day covers any client's retries.
  RETENTION_BOOKING_REQUESTS_DAYS: retentionDays().default(90),
  RETENTION_WEBHOOK_DAYS: retentionDays().default(30),
  RETENTION_EMAIL_DAYS: retentionDays().default(30),
  // A day past the expiry: the revoked token is refused by its own `exp` by then, on any clock.
  RETENTION_TOKEN_REVOCATIONS_DAYS: retentionDays().default(1),
  RETENTION_BATCH_SIZE: Joi.number().integer().min(1).max(10000).default(1000),
  RETENTION_PAUSE_MS: Joi.number().integer().min(0).max(60000).default(100),
  RETENTION_INTERVAL_MS: Joi.number().integer().min(100).max(86_400_000).default(300_000),
  ...tracingSchema,
}).unknown(true);

/** A retention age in whole days: 0 (keep for good) or 1 to 3650. */
function retentionDays() {
  return Joi.number().integer().min(0).max(3650);
}

/** `host:port` (a bracketed IPv6 host allowed) as a node, or null. */
function parseRedisNode(entry: string): RedisNode | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
  if (!match) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** A comma-separated setting as its trimmed, non-empty items. */
function splitList(value: string): string[] {
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

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
    redisClusterNodes: splitList(value.REDIS_CLUSTER_NODES).map((entry) => parseRedisNode(entry)!),
    port: value.PORT,
    host: value.HOST,
    logLevel: value.LOG_LEVEL,
    jwtSecret: value.JWT_SECRET,
    accessTokenTtlSeconds: value.ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: value.REFRESH_TOKEN_TTL,
    revocationReloadSeconds: value.REVOCATION_RELOAD_SECONDS,
    adminEmail: value.ADMIN_EMAIL,
    adminPassword: value.ADMIN_PASSWORD,
    redisPrefix: value.REDIS_PREFIX,
    maxSeatsPerBooking: value.MAX_SEATS_PER_BOOKING,
    holdTtlSeconds: value.HOLD_TTL_SECONDS,
    waitlistMaxPerUser: value.WAITLIST_MAX_PER_USER,
    maxHoldTtlSeconds: value.MAX_HOLD_TTL_SECONDS,
    maxHoldsPerUser: value.MAX_HOLDS_PER_USER,
    defaultMaxTicketsPerUser: value.DEFAULT_MAX_TICKETS_PER_USER ?? null,
    maxSeatsPerEvent: value.MAX_SEATS_PER_EVENT,
    allocationBatchSize: value.ALLOCATION_BATCH_SIZE,
    maxProcessingAttempts: value.MAX_PROCESSING_ATTEMPTS,
    maxQueueDepth: value.MAX_QUEUE_DEPTH,
    longPollMaxSeconds: value.LONG_POLL_MAX_SECONDS,
    workerConcurrency: value.WORKER_CONCURRENCY,
    workerTurnMs: value.WORKER_TURN_MS,
    eventClaimMs: value.EVENT_CLAIM_MS,
    reconcileIntervalMs: value.RECONCILE_INTERVAL_MS,
    reconcileGraceMs: value.RECONCILE_GRACE_MS,
    startupTimeoutMs: value.STARTUP_TIMEOUT_MS,
    dbPoolMax: value.DB_POOL_MAX,
    apiProcesses: value.API_PROCESSES,
    jobLockMs: value.JOB_LOCK_MS,
    metricsToken: value.METRICS_TOKEN,
    workerMetricsPort: value.WORKER_METRICS_PORT,
    trustProxyHops: Number(value.TRUST_PROXY),
    corsOrigins: splitList(value.CORS_ORIGINS),
    bodyLimitKb: value.BODY_LIMIT_KB,
    rateLimits: {
      enabled: value.RATE_LIMITS_ENABLED,
      authPerIpPerMinute: value.RATE_LIMIT_LOGIN_PER_IP,
      loginFailuresPerAccount: value.RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT,
      loginFailureWindowSeconds: value.RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS,
      bookingsPerMinute: value.RATE_LIMIT_BOOKINGS_PER_MINUTE,
      partnerBookingsPerMinute: value.RATE_LIMIT_PARTNER_BOOKINGS_PER_MINUTE,
    },
    webhooks: {
      enabled: value.WEBHOOKS_ENABLED,
      allowPrivateDestinations: splitList(value.WEBHOOK_ALLOW_PRIVATE).map(
        (entry) => parseAllowEntry(entry)!,
      ),
      requireHttps: value.NODE_ENV === 'production',
      retryScheduleMs: secondsList(value.WEBHOOK_RETRY_SCHEDULE),
      timeoutMs: value.WEBHOOK_TIMEOUT_MS,
      concurrency: value.WEBHOOK_CONCURRENCY,
      circuitThreshold: value.WEBHOOK_CIRCUIT_THRESHOLD,
      circuitCooldownMs: value.WEBHOOK_CIRCUIT_COOLDOWN_MS,
      secretOverlapSeconds: value.WEBHOOK_SECRET_OVERLAP_SECONDS,
      relayIntervalMs: value.WEBHOOK_RELAY_INTERVAL_MS,
      batchSize: value.WEBHOOK_BATCH_SIZE,
    },
    email: {
      transport: value.MAIL_TRANSPORT === 'log' ? 'log' : value.SMTP_URL ? 'smtp' : 'off',
      smtpUrl: value.SMTP_URL ?? null,
      from: value.MAIL_FROM,
      messageIdDomain: domainOf(value.MAIL_FROM),
      concurrency: value.MAIL_CONCURRENCY,
      retryScheduleMs: secondsList(value.MAIL_RETRY_SCHEDULE),
      timeoutMs: value.MAIL_TIMEOUT_MS,
      holdReminderSeconds: value.MAIL_HOLD_REMINDER_SECONDS,
      sweepIntervalMs: value.MAIL_SWEEP_INTERVAL_MS,
    },
    retention: {
      bookingRequestsDays: value.RETENTION_BOOKING_REQUESTS_DAYS,
      webhookDays: value.RETENTION_WEBHOOK_DAYS,
      emailDays: value.RETENTION_EMAIL_DAYS,
      tokenRevocationsDays: value.RETENTION_TOKEN_REVOCATIONS_DAYS,
      batchSize: value.RETENTION_BATCH_SIZE,
      pauseMs: value.RETENTION_PAUSE_MS,
      intervalMs: value.RETENTION_INTERVAL_MS,
    },
    tracing: tracingConfig(value),
  };
}

/** MAIL_FROM's domain (validated above), lower-cased. */
function domainOf(from: string): string {
  const match = MAIL_FROM_FORMAT.exec(from)!;
  return (match[1] ?? match[2]!).toLowerCase();
}

/** `5,30,120` (seconds) as milliseconds. */
function secondsList(value: string): number[] {
  return String(value)
    .split(',')
    .map((s) => Math.round(Number(s) * 1000));
}
