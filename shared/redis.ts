import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';

/**
 * A connection to the service's Redis, one node or a cluster. Both speak the commands the service
 * uses; on a cluster every multi-key command and script must name keys of one slot (hash tags:
 * shared/queues.ts, api/services/tokens.ts).
 */
export type RedisClient = Redis | Cluster;

/** Where Redis is: the cluster of REDIS_CLUSTER_NODES when set, else REDIS_URL's one node. */
export type RedisTarget = Pick<Config, 'redisUrl' | 'redisClusterNodes'>;

/**
 * The one factory of Redis connections. For workers and subscribers: `maxRetriesPerRequest:
 * null` (BullMQ requires it for the connections its Workers block on), so a Redis blip delays
 * background work instead of failing it. A bare URL is one node (tools and tests that talk to
 * a node of their own); the service passes its config, so REDIS_CLUSTER_NODES applies.
 */
export function createRedis(url: string, options?: RedisOptions): Redis;
export function createRedis(target: RedisTarget, options?: RedisOptions): RedisClient;
export function createRedis(target: string | RedisTarget, options: RedisOptions = {}): RedisClient {
  return connect(target, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * For request paths: a command fails after a couple of reconnection attempts (well under a
 * second) instead of queueing forever, so the API answers 503 while Redis is down, not hangs.
 */
export function createRequestRedis(target: RedisTarget): RedisClient {
  // Auto-pipelining sends the commands of concurrent requests in one write: under load that
  // saves a syscall (and a context switch) per command. On a cluster it batches per node.
  return connect(target, {
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    connectTimeout: 2000,
    enableAutoPipelining: true,
  });
}

function connect(target: string | RedisTarget, options: RedisOptions): RedisClient {
  if (typeof target === 'string') return new Redis(target, options);
  if (target.redisClusterNodes.length === 0) return new Redis(target.redisUrl, options);
  // ioredis takes these at the cluster's top level (the per-node ones would be ignored or, for
  // the retry strategy, refused); the rest apply to each node's connection.
  const { enableAutoPipelining, enableReadyCheck, lazyConnect, retryStrategy, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions,
    enableAutoPipelining,
    enableReadyCheck,
    lazyConnect,
  };
  if (retryStrategy) clusterOptions.clusterRetryStrategy = (times) => retryStrategy(times);
  return new Cluster(target.redisClusterNodes, clusterOptions);
}
