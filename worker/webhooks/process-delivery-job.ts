import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Sequelize } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { countWebhookDeliveries } from '../../shared/metrics.js';
import { NOT_ENTITLED } from '../../shared/webhooks/entitlement.js';
import { activeSecrets } from '../../shared/webhooks/signing.js';
import type { WebhookJobData } from '../../shared/webhooks/types.js';
import {
  type AttemptContext,
  claimProbe,
  countFailure,
  disableEndpoint,
  loadAttempt,
  postponeDelivery,
  recordAttempt,
  recordDelivered,
} from './delivery-store.js';
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
  const { sequelize, config, logger } = deps;

  return countWebhookDeliveries(async function processDeliveryJob(
    job: Job<WebhookJobData>,
    token?: string,
  ): Promise<string> {
    const attempt = await loadAttempt(sequelize, job.data.deliveryId);
    if (attempt?.status !== 'pending') return 'skipped';
    // The owner was disabled, demoted, or never entitled to this message: it is not sent, now or
    // later. Failed for good (the job completes, nothing re-queues a failed delivery, and a
    // manual retry or replay checks the same rule).
    if (!attempt.entitled) {
      await recordAttempt(sequelize, attempt.deliveryId, {
        status: 'failed',
        attempts: attempt.attempts,
        lastStatus: null,
        lastError: NOT_ENTITLED,
        nextAttemptAt: null,
      });
      logger.info({ deliveryId: attempt.deliveryId, endpointId: attempt.endpointId }, 'webhook not entitled');
      return 'not-entitled';
    }
    if (!attempt.endpointUsable) {
      await recordAttempt(sequelize, attempt.deliveryId, {
        status: 'failed',
        attempts: attempt.attempts,
        lastStatus: null,
        lastError: 'endpoint disabled or deleted',
        nextAttemptAt: null,
      });
      return 'endpoint-disabled';
    }

    // Circuit open: wait it out without spending an attempt; nothing is dropped.
    const now = Date.now();
    const circuit = attempt.circuitOpenUntil ? new Date(attempt.circuitOpenUntil).getTime() : 0;
    if (circuit > now) return postpone(job, token, attempt.deliveryId, circuit);
    if (circuit > 0) {
      // Half-open: the cool-down is over but the circuit is not closed yet. One delivery wins
      // the probe; the others wait for its verdict instead of all hitting the endpoint at once.
      const reopenedUntil = await claimProbe(sequelize, attempt.endpointId, config);
      if (reopenedUntil) return postpone(job, token, attempt.deliveryId, reopenedUntil.getTime());
    }
    // Ordering: an earlier message about the same booking/event to this endpoint goes first.
    if (attempt.earlierPending) {
      const due = attempt.earlierDue ? new Date(attempt.earlierDue).getTime() : now;
      return postpone(job, token, attempt.deliveryId, Math.max(due, now) + 200);
    }

    const result = await sendWebhook(
      attempt.url,
      activeSecrets(attempt.secrets, new Date()),
      { messageId: attempt.messageId, body: JSON.stringify(attempt.payload) },
      config,
    );
    return record(job, attempt, result);
  });

  async function record(
    job: Job<WebhookJobData>,
    attempt: AttemptContext,
    result: SendResult,
  ): Promise<string> {
    const attempts = attempt.attempts + 1;
    if (result.kind === 'delivered') {
      await recordDelivered(sequelize, attempt.deliveryId, attempt.endpointId, attempts, result.status);
      return 'delivered';
    }
    if (result.kind === 'gone') {
      // 410 Gone: the receiver says stop. Disable the endpoint; its owner can re-enable it.
      await disableEndpoint(sequelize, attempt.endpointId, 'receiver answered 410 Gone');
      await recordAttempt(sequelize, attempt.deliveryId, {
        status: 'failed',
        attempts,
        lastStatus: 410,
        lastError: 'HTTP 410 Gone',
        nextAttemptAt: null,
      });
      logger.warn({ endpointId: attempt.endpointId }, 'webhook endpoint disabled after 410');
      throw new UnrecoverableError('endpoint answered 410 Gone');
    }

    const failures = await countFailure(sequelize, attempt.endpointId, config);
    const isLast = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const delayMs = retryDelayMs(config.retryScheduleMs, job.attemptsMade + 1, result.retryAfterMs);
    await recordAttempt(sequelize, attempt.deliveryId, {
      status: isLast ? 'failed' : 'pending',
      attempts,
      lastStatus: result.status,
      lastError: result.error,
      nextAttemptAt: isLast ? null : new Date(Date.now() + delayMs),
    });
    logger.info(
      {
        deliveryId: attempt.deliveryId,
        endpointId: attempt.endpointId,
        attempts,
        failures,
        error: result.error,
        detail: result.detail,
      },
      'webhook attempt failed',
    );
    if (isLast) throw new UnrecoverableError(`gave up after ${attempts} attempts: ${result.error}`);
    throw new DeliveryAttemptFailed(result.error, delayMs);
  }

  async function postpone(
    job: Job<WebhookJobData>,
    token: string | undefined,
    deliveryId: string,
    until: number,
  ): Promise<never> {
    await postponeDelivery(sequelize, deliveryId, new Date(until));
    await job.moveToDelayed(until, token);
    throw new DelayedError();
  }
}
