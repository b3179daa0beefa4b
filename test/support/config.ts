import { randomUUID } from 'node:crypto';
import { type Config, loadConfig } from '../../shared/config.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './database.js';

/** The tests' signing key: only NODE_ENV=test accepts it (it is published, right here). */
export const TEST_JWT_SECRET = 'evently-development-secret-do-not-use-in-production';

/**
 * Environment for a test's processes. Each test file gets its own Redis prefix, so its queues,
 * active-event set and pub/sub channels are its own and files can run in parallel.
 */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `evently-test-${randomUUID().slice(0, 8)}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // One key for every process of a test, so tests can mint tokens the API accepts.
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    // Tests must not wait on the production-sized timers.
    RECONCILE_INTERVAL_MS: '60000',
    RECONCILE_GRACE_MS: '60000',
    // A killed worker's jobs come back after ~2 lock periods.
    JOB_LOCK_MS: '2000',
    // The outbox is one table for all tests: only the webhook tests relay it, or another file's
    // worker (with its own Redis prefix and settings) would take their messages.
    WEBHOOKS_ENABLED: 'false',
    // The suite signs in and books thousands of times from one address and a few accounts; the
    // limiters stay on (so every test goes through them) with budgets it never reaches.
    // test/rate-limits.test.ts sets tight ones of its own.
    RATE_LIMIT_LOGIN_PER_IP: '1000000',
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '1000',
    RATE_LIMIT_BOOKINGS_PER_MINUTE: '1000000',
    RATE_LIMIT_PARTNER_BOOKINGS_PER_MINUTE: '1000000',
    ...overrides,
  };
}

export function testConfig(env: Record<string, string>): Config {
  return loadConfig(env);
}
