import { Redis, type RedisOptions } from 'ioredis';

/**
 * `maxRetriesPerRequest: null` is what BullMQ requires for connections its Workers block on;
 * we use it everywhere so a Redis blip delays commands instead of failing them.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}
