import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import { OutboxMessage, WebhookDelivery, WebhookEndpoint } from '../../shared/db/models/index.js';
import type { Logger } from '../../shared/logger.js';
import { countWebhookDeliveries } from '../../shared/metrics.js';
import { activeSecrets } from '../../shared/webhooks/signing.js';
import type { WebhookJobData } from '../../shared/webhooks/types.js';
import { retryDelayMs } from './retry-delay.js';
import { type SendResult, sendWebhook } from './send.js';

export interface DeliveryDeps {
  sequelize: Sequelize;
  config: WebhookConfig;
  logger: Logger;
}

/** A failed attempt that BullMQ should retry after `delayMs` (read by the backoff strategy). */
export class DeliveryAttemptFailed extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

export function createDeliveryProcessor(deps: DeliveryDeps) {
  const { config, logger } = deps;

  return countWebhookDeliveries(async function processDeliveryJob(
    job: Job<WebhookJobData>,
    token?: string,
  ): Promise<string> {
    const delivery = await WebhookDelivery.findByPk(job.data.deliveryId, {
      include: [{ model: OutboxMessage, as: 'message' }],
    });
    if (!delivery || delivery.status !== 'pending') return 'skipped';
    const endpoint = await WebhookEndpoint.findByPk(delivery.endpointId, { paranoid: false });
    if (!endpoint || endpoint.deletedAt || endpoint.status !== 'enabled') {
      await delivery.update({ status: 'failed', lastError: 'endpoint disabled or deleted' });
      return 'endpoint-disabled';
    }

    // Circuit open: wait it out without spending an attempt; nothing is dropped.
    const now = Date.now();
    if (endpoint.circuitOpenUntil && endpoint.circuitOpenUntil.getTime() > now) {
      return postpone(job, token, delivery, endpoint.circuitOpenUntil.getTime());
    }
    // Ordering: an earlier message about the same booking/event to this endpoint goes first.
    const earlier = await earlierPendingUntil(deps.sequelize, delivery);
    if (earlier !== null) return postpone(job, token, delivery, Math.max(earlier, now) + 200);

    const message = delivery.message!;
    const result = await sendWebhook(
      endpoint.url,
      activeSecrets(endpoint.secrets, new Date()),
      { messageId: message.messageId, body: JSON.stringify(message.payload) },
      config,
    );
    return record(job, delivery, endpoint, result);
  });

  async function record(
    job: Job<WebhookJobData>,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    result: SendResult,
  ): Promise<string> {
    const attempts = delivery.attempts + 1;
    if (result.kind === 'delivered') {
      await delivery.update({
        status: 'delivered',
        attempts,
        lastStatus: result.status,
        lastError: null,
        deliveredAt: new Date(),
      });
      // Reset in SQL, not from the row loaded before the attempt: concurrent deliveries may
      // have counted failures since, and a success must clear them (it closes the circuit).
      await deps.sequelize.query(
        `UPDATE webhook_endpoints SET consecutive_failures = 0, circuit_open_until = NULL, updated_at = now()
          WHERE id = $id AND (consecutive_failures > 0 OR circuit_open_until IS NOT NULL)`,
        { bind: { id: endpoint.id } },
      );
      return 'delivered';
    }
    if (result.kind === 'gone') {
      // 410 Gone: the receiver says stop. Disable the endpoint; its owner can re-enable it.
      await endpoint.update({ status: 'disabled', disabledReason: 'receiver answered 410 Gone' });
      await delivery.update({ status: 'failed', attempts, lastStatus: 410, lastError: 'HTTP 410 Gone' });
      logger.warn({ endpointId: endpoint.id }, 'webhook endpoint disabled after 410');
      throw new UnrecoverableError('endpoint answered 410 Gone');
    }

    const failures = await bumpFailures(deps.sequelize, endpoint.id, config);
    const isLast = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const delayMs = retryDelayMs(config.retryScheduleMs, job.attemptsMade + 1, result.retryAfterMs);
    await delivery.update({
      status: isLast ? 'failed' : 'pending',
      attempts,
      lastStatus: result.status,
      lastError: result.error,
      nextAttemptAt: isLast ? null : new Date(Date.now() + delayMs),
    });
    logger.info(
      { deliveryId: delivery.id, endpointId: endpoint.id, attempts, failures, error: result.error },
      'webhook attempt failed',
    );
    if (isLast) throw new UnrecoverableError(`gave up after ${attempts} attempts: ${result.error}`);
    throw new DeliveryAttemptFailed(result.error, delayMs);
  }
}

async function postpone(
  job: Job<WebhookJobData>,
  token: string | undefined,
  delivery: WebhookDelivery,
  until: number,
): Promise<never> {
  await delivery.update({ nextAttemptAt: new Date(until) });
  await job.moveToDelayed(until, token);
  throw new DelayedError();
}

/** When the latest earlier pending delivery (same endpoint, same subject) is due, or null if none. */
async function earlierPendingUntil(sequelize: Sequelize, delivery: WebhookDelivery): Promise<number | null> {
  const [row] = await sequelize.query<{ due: Date | null; n: number }>(
    `SELECT max(next_attempt_at) AS due, count(*)::int AS n FROM webhook_deliveries
      WHERE endpoint_id = $endpointId AND ordering_key = $orderingKey AND status = 'pending' AND outbox_id < $outboxId`,
    {
      bind: {
        endpointId: delivery.endpointId,
        orderingKey: delivery.orderingKey,
        outboxId: delivery.outboxId,
      },
      type: QueryTypes.SELECT,
    },
  );
  if (!row || row.n === 0) return null;
  return row.due ? new Date(row.due).getTime() : Date.now();
}

/**
 * Counts a failure atomically (concurrent deliveries to one endpoint) and opens the circuit at
 * the threshold; after the cool-down the next attempt is the half-open probe.
 */
async function bumpFailures(
  sequelize: Sequelize,
  endpointId: string,
  config: WebhookConfig,
): Promise<number> {
  const [row] = await sequelize.query<{ consecutive_failures: number }>(
    `UPDATE webhook_endpoints
        SET consecutive_failures = consecutive_failures + 1,
            circuit_open_until = CASE WHEN consecutive_failures + 1 >= $threshold
                                      THEN now() + make_interval(secs => $cooldownSeconds)
                                      ELSE circuit_open_until END,
            updated_at = now()
      WHERE id = $endpointId
      RETURNING consecutive_failures`,
    {
      bind: {
        endpointId,
        threshold: config.circuitThreshold,
        cooldownSeconds: config.circuitCooldownMs / 1000,
      },
      type: QueryTypes.SELECT,
    },
  );
  return row?.consecutive_failures ?? 0;
}
