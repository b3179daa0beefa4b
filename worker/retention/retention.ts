import { randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import type { Sequelize } from 'sequelize';
import type { RetentionConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { countPrunedRows, type PrunedTable } from '../../shared/metrics.js';
import type { RedisClient } from '../../shared/redis.js';
import { PRUNE_TARGETS, type PruneCursor, pruneBatch } from './prune-batch.js';

export interface RetentionOptions {
  sequelize: Sequelize;
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  config: RetentionConfig;
}

/** What one round did: rows deleted per table, and whether it ran at all (the lease was free). */
export interface RoundReport {
  ran: boolean;
  pruned: Record<PrunedTable, number>;
  batches: number;
}

/**
 * How long a pruner's lease lasts without renewal. Renewed after every batch, so it only bounds
 * how long a crashed pruner keeps the others waiting.
 */
const LEASE_MS = 60_000;

/** Extends the lease only while it is still ours (a stalled pruner may have lost it). */
const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * Retention: deletes finished rows older than their configured age (prune-batch.ts says which),
 * in small batches of one short statement each, with a pause between batches, so pruning ten
 * million rows never holds a lock intake or the allocator waits for. One pruner runs at a time
 * fleet-wide (a Redis lease, renewed per batch); were two to overlap, SKIP LOCKED keeps their
 * batches apart. A round runs every `intervalMs`, the next one only once the last has ended.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RetentionOptions) {}

  start(): void {
    this.schedule();
  }

  /** Ends the round in progress after its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((err) => this.options.logger.error({ err }, 'retention round failed'))
        .finally(() => this.schedule());
    }, this.options.config.intervalMs);
  }

  /** One round over every table, if no other pruner holds the lease. */
  async runOnce(): Promise<RoundReport> {
    const { redis, prefix, logger, config } = this.options;
    const report: RoundReport = {
      ran: false,
      pruned: {
        booking_requests: 0,
        webhook_deliveries: 0,
        email_notifications: 0,
        webhook_outbox: 0,
        token_revocations: 0,
      },
      batches: 0,
    };
    const key = `${prefix}:retention-lease`;
    const token = randomUUID();
    if ((await redis.set(key, token, 'PX', LEASE_MS, 'NX')) !== 'OK') return report;
    report.ran = true;
    const started = Date.now();
    try {
      for (const target of PRUNE_TARGETS) {
        const days = target.days(config);
        if (days === 0) continue;
        let after: PruneCursor | null = null;
        for (;;) {
          if (this.stopping) break;
          const batch = await pruneBatch(this.options.sequelize, target, days, config.batchSize, after);
          report.batches += 1;
          report.pruned[target.table] += batch.pruned;
          countPrunedRows(target.table, batch.pruned);
          if (batch.scanned < config.batchSize || !batch.next) break;
          after = batch.next;
          if ((await redis.eval(RENEW_SCRIPT, 1, key, token, LEASE_MS)) !== 1) {
            logger.warn({ table: target.table }, 'retention lease lost; the round stops');
            return report;
          }
          await pause(config.pauseMs);
        }
      }
    } finally {
      await redis
        .eval(RELEASE_SCRIPT, 1, key, token)
        .catch((err) => logger.warn({ err }, 'retention lease not released; it expires by itself'));
      logger.info(
        { pruned: report.pruned, batches: report.batches, durationMs: Date.now() - started },
        'retention round',
      );
    }
    return report;
  }
}
