import type { RedisClient } from '../../shared/redis.js';

/** Seconds an analytics answer may be reused: fresh enough for a dashboard, and shared by API processes. */
export const ANALYTICS_TTL_SECONDS = 5;

export interface Cached<T> {
  value: T;
  hit: boolean;
}

/**
 * The Redis key of one report for one normalized query (validated, defaults applied, keys
 * sorted), so two spellings of the same question share an entry.
 */
export function analyticsCacheKey(prefix: string, report: string, query: Record<string, unknown>): string {
  const normalized = Object.fromEntries(
    Object.entries(query)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return `${prefix}:analytics:${report}:${JSON.stringify(normalized)}`;
}

/**
 * Answers from Redis when a fresh copy is there, else computes and stores it for
 * `ANALYTICS_TTL_SECONDS`. `refresh` skips the read (a client's `Cache-Control: no-cache`)
 * but still stores the new answer.
 */
export async function cachedReport<T>(
  redis: RedisClient,
  key: string,
  refresh: boolean,
  compute: () => Promise<T>,
): Promise<Cached<T>> {
  if (!refresh) {
    const stored = await redis.get(key);
    if (stored !== null) return { value: JSON.parse(stored) as T, hit: true };
  }
  const value = await compute();
  await redis.set(key, JSON.stringify(value), 'EX', ANALYTICS_TTL_SECONDS);
  return { value, hit: false };
}
