import type { Queue } from 'bullmq';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { entitledSql } from '../../shared/webhooks/entitlement.js';
import {
  type DeliveryBatch,
  enqueueBatches,
  enqueueDelivery,
  hasLiveJob,
} from '../../shared/webhooks/queue.js';
import type { WebhookJobData } from '../../shared/webhooks/types.js';

export interface RelayOptions {
  sequelize: Sequelize;
  queue: Queue<WebhookJobData>;
  config: WebhookConfig;
  logger: Logger;
  /** A pending delivery this long past due has lost its job (RECONCILE_GRACE_MS). */
  strandedGraceMs: number;
  /** Outbox rows claimed per transaction. */
  batchSize?: number;
  /** More made of each relayed batch in the same transaction: attendee emails (worker/email/). */
  extension?: RelayExtension;
}

/**
 * Rows made from a relayed batch inside the relay's transaction (so they exist exactly when the
 * batch is relayed), and their jobs added after its commit.
 */
export interface RelayExtension {
  create(transaction: Transaction, outboxIds: readonly string[]): Promise<string[]>;
  enqueue(ids: readonly string[]): Promise<void>;
}

/**
 * Turns committed outbox rows into delivery rows (one per subscribed endpoint) and delivery
 * jobs. Rows are claimed with SKIP LOCKED, so several worker processes relay in parallel
 * without sending a message twice; the delivery rows and `relayed_at` commit together. The new
 * deliveries of each endpoint go in batch jobs of up to WEBHOOK_BATCH_SIZE, in outbox order
 * (process-batch-job.ts), named in the rows' `batch_job_id`. A crash
 * after that commit but before the jobs are added leaves pending deliveries without jobs,
 * which `requeueStranded` finds.
 */
export class OutboxRelay {
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: RelayOptions) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { config, logger } = this.options;
    let lastSweep = 0;
    while (!this.stopped) {
      let relayed = 0;
      try {
        relayed = await this.relayOnce();
        if (Date.now() - lastSweep > config.relayIntervalMs * 20) {
          lastSweep = Date.now();
          await this.requeueStranded();
        }
      } catch (err) {
        logger.error({ err }, 'webhook relay failed; retrying');
      }
      // Drain without pause while there is a backlog; otherwise poll.
      if (relayed === 0 && !this.stopped) await new Promise((r) => setTimeout(r, config.relayIntervalMs));
    }
  }

  /** Relays one batch of outbox rows; returns how many rows it took. */
  async relayOnce(): Promise<number> {
    const { sequelize, queue, config } = this.options;
    const batchSize = this.options.batchSize ?? 500;
    const { extension } = this.options;
    const { rows, deliveries, extended } = await sequelize.transaction(async (transaction) => {
      const claimed = await sequelize.query<{ id: string }>(
        `SELECT id FROM webhook_outbox WHERE relayed_at IS NULL ORDER BY id LIMIT $batchSize FOR UPDATE SKIP LOCKED`,
        { bind: { batchSize }, transaction, type: QueryTypes.SELECT },
      );
      if (claimed.length === 0) return { rows: 0, deliveries: [] as NewDelivery[], extended: [] };
      const ids = claimed.map((r) => r.id);
      // Who receives what: an enabled endpoint gets the types it subscribed to, if its owner is
      // entitled to the message now (entitledSql: an active partner within the message's
      // audience, or an active admin). Each endpoint's new deliveries are cut into batch jobs
      // of WEBHOOK_BATCH_SIZE in outbox order; the first claimed row's id makes the job ids
      // unique (claims are disjoint).
      const created = await sequelize.query<NewDelivery>(
        `INSERT INTO webhook_deliveries (endpoint_id, outbox_id, ordering_key, next_attempt_at, batch_job_id)
         SELECT e.id, o.id,
                COALESCE(o.ordering_key, o.payload #>> '{data,booking,id}', o.payload #>> '{data,bookingRequest,id}',
                         'event:' || o.event_id::text),
                now(),
                'batch-' || $first || '-' || e.id || '-' ||
                  (row_number() OVER (PARTITION BY e.id ORDER BY o.id) - 1) / $perJob
           FROM webhook_outbox o
           JOIN webhook_endpoints e
             ON e.deleted_at IS NULL AND e.status = 'enabled' AND o.type = ANY (e.event_types)
          WHERE o.id = ANY ($ids::bigint[])
            AND ${entitledSql('e', 'o')}
          ORDER BY o.id
         ON CONFLICT (endpoint_id, outbox_id) DO NOTHING
         RETURNING id, outbox_id AS "outboxId", batch_job_id AS "batchJobId"`,
        {
          bind: { ids, first: ids[0], perJob: config.batchSize },
          transaction,
          type: QueryTypes.SELECT,
        },
      );
      await sequelize.query('UPDATE webhook_outbox SET relayed_at = now() WHERE id = ANY ($ids::bigint[])', {
        bind: { ids },
        transaction,
      });
      const extended = (await extension?.create(transaction, ids)) ?? [];
      return { rows: claimed.length, deliveries: created, extended };
    });
    await enqueueBatches(queue, batchesOf(deliveries));
    await extension?.enqueue(extended);
    return rows;
  }

  /**
   * Pending deliveries whose next attempt is long overdue have lost their job (a crash between
   * commit and enqueue, or Redis lost it): add it again. Adding an existing job is a no-op.
   */
  async requeueStranded(): Promise<number> {
    const { sequelize, queue, config, logger, strandedGraceMs } = this.options;
    const stranded = await sequelize.query<{ id: string; batchJobId: string | null }>(
      `SELECT id, batch_job_id AS "batchJobId" FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => $graceSeconds)
        ORDER BY next_attempt_at LIMIT 500`,
      { bind: { graceSeconds: strandedGraceMs / 1000 }, type: QueryTypes.SELECT },
    );
    let requeued = 0;
    for (const delivery of stranded) {
      // Waiting in its batch (a backlog) or in its own job is not stranded.
      if (!(await hasLiveJob(queue, delivery))) {
        await enqueueDelivery(queue, config, delivery.id, { replaceFinished: true });
        requeued += 1;
      }
    }
    if (requeued > 0) logger.warn({ requeued }, 'requeued stranded webhook deliveries');
    return requeued;
  }
}

interface NewDelivery {
  id: string;
  outboxId: string;
  batchJobId: string;
}

/** The relay's new deliveries grouped by batch job, each in outbox order. */
function batchesOf(deliveries: readonly NewDelivery[]): DeliveryBatch[] {
  const batches = new Map<string, NewDelivery[]>();
  for (const delivery of deliveries) {
    const batch = batches.get(delivery.batchJobId);
    if (batch) batch.push(delivery);
    else batches.set(delivery.batchJobId, [delivery]);
  }
  return [...batches].map(([jobId, members]) => ({
    jobId,
    deliveryIds: members.sort((a, b) => Number(a.outboxId) - Number(b.outboxId)).map((d) => d.id),
  }));
}
