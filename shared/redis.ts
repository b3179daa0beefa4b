import { Redis, type RedisOptions } from 'ioredis';

/**
 * For workers and subscribers: `maxRetriesPerRequest: null` (BullMQ requires it for the
 * connections its Workers block on), so a Redis blip delays background work instead of failing it.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * For request paths: a command fails after a couple of reconnection attempts (well under a
 * second) instead of queueing forever, so the API answers 503 while Redis is down, not hangs.
 */
export function createRequestRedis(url: string): Redis {
  // Auto-pipelining sends the commands of concurrent requests in one write: under load that
  // saves a syscall (and a context switch) per command.
  return new Redis(url, {
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    connectTimeout: 2000,
    enableAutoPipelining: true,
  });
}
