import pg from 'pg';
import { createRedis, type RedisTarget } from './redis.js';

/** A backing service that could not be reached at start-up, with a hint on how to start it. */
export class ServiceUnreachable extends Error {
  /** `where`: a URL (its password is hidden) or, for a cluster, its seed nodes. */
  constructor(service: string, where: string, hint: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot reach ${service} at ${/^[a-z][a-z0-9+.-]*:\/\//i.test(where) ? redactUrl(where) : where} (${why}). ${hint}`,
    );
  }
}

/** Hide passwords before a URL goes into a log line or an error message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable url>';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** PostgreSQL's "database does not exist": the server answered, only the database is missing. */
const MISSING_DATABASE = '3D000';

export async function checkPostgres(
  url: string,
  timeoutMs: number,
  allowMissingDatabase = false,
): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await withTimeout(
      client.connect().then(() => client.query('SELECT 1')),
      timeoutMs,
      'connection',
    );
  } catch (err) {
    if ((err as { code?: string }).code === MISSING_DATABASE) {
      if (allowMissingDatabase) return;
      throw new ServiceUnreachable(
        'PostgreSQL',
        url,
        'The server answered but the database does not exist: run `npm run migrate` (it creates it).',
        err,
      );
    }
    throw new ServiceUnreachable(
      'PostgreSQL',
      url,
      'Start it (e.g. `docker compose up -d postgres`) or set DATABASE_URL.',
      err,
    );
  } finally {
    await client.end().catch(() => undefined); // the connection may never have opened
  }
}

export async function checkRedis(target: RedisTarget, timeoutMs: number): Promise<void> {
  const cluster = target.redisClusterNodes.length > 0;
  // No retries: this probe must fail fast, unlike the service's own clients.
  const redis = createRedis(target, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // the rejection of connect() below carries the error
  try {
    await withTimeout(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
      'connection',
    );
  } catch (err) {
    if (cluster) {
      const nodes = target.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',');
      throw new ServiceUnreachable('Redis Cluster', nodes, 'Start it, or correct REDIS_CLUSTER_NODES.', err);
    }
    throw new ServiceUnreachable(
      'Redis',
      target.redisUrl,
      'Start it (e.g. `docker compose up -d redis`) or set REDIS_URL.',
      err,
    );
  } finally {
    redis.disconnect();
  }
}

/** Fails within `timeoutMs` with one readable line instead of hanging on an absent service. */
export async function checkServices(
  config: RedisTarget & { databaseUrl: string; startupTimeoutMs: number },
  { allowMissingDatabase = false } = {},
): Promise<void> {
  await Promise.all([
    checkPostgres(config.databaseUrl, config.startupTimeoutMs, allowMissingDatabase),
    checkRedis(config, config.startupTimeoutMs),
  ]);
}
