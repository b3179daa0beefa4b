import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { Queue } from 'bullmq';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Sequelize } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { countWebhookDeliveries } from '../../shared/metrics.js';
import { ATTR, inSpan, storedContext } from '../../shared/tracing/index.js';
import { NOT_ENTITLED } from '../../shared/webhooks/entitlement.js';
import { activeSecrets } from '../../shared/webhooks/signing.js';
import type { DeliveryJobData, WebhookJobData } from '../../shared/webhooks/types.js';
import { AttemptFailed, retryDelayMs } from '../scheduled-worker.js';
import { DeliveredRecorder } from './delivered-recorder.js';
import {
  type AttemptContext,
  claimProbe,
  countFailure,
  disableEndpoint,
  loadAttempt,
  postponeDelivery,
  recordAttempt,
} from './delivery-store.js';
import { processBatch } from './process-batch-job.js';
import { type SendResult, sendWebhook } from './send.js';
import { SendSlots } from './send-slots.js';

export interface DeliveryDeps {
  sequelize: Sequelize;
  /** Where a batch hands on the deliveries that need more than a first attempt now. */
  queue: Queue<WebhookJobData>;
  config: WebhookConfig;
  logger: Logger;
}

/** What an attempt's result did to the delivery, once recorded. */
export type Settled =
  | { kind: 'delivered' }
  | { kind: 'gone' }
  | { kind: 'retry'; delayMs: number; error: string }
  | { kind: 'failed'; error: string };

/** The work shared by a delivery's own job and a batch: sending, recording, the send slots. */
export interface Delivering {
  deps: DeliveryDeps;
  slots: SendSlots;
  recorder: DeliveredRecorder;
  /**
   * Signs and sends the delivery's message in one of the process's send slots, as attempt number
   * `attemptNumber` (as `settle()` counts them).
   */
  send(attempt: AttemptContext, attemptNumber: number): Promise<SendResult>;
  /**
   * Records the result of attempt number `attemptNumber` (1-based, over the delivery's current
   * set of attempts): delivered (and the endpoint's failures cleared), 410 (endpoint disabled,
   * delivery failed), or a failure counted against the endpoint's circuit and either retried
   * after the schedule's delay (or Retry-After) or, after the last attempt, failed.
   */
  settle(attempt: AttemptContext, result: SendResult, attemptNumber: number): Promise<Settled>;
}

export function createDelivering(deps: DeliveryDeps): Delivering {
  const { sequelize, config, logger } = deps;
  const slots = new SendSlots(config.concurrency);
  const recorder = new DeliveredRecorder(sequelize);
  return {
    deps,
    slots,
    recorder,
    send: (attempt, attemptNumber) =>
      slots.run(() =>
        traceAttempt(attempt, attemptNumber, () =>
          sendWebhook(
            attempt.url,
            activeSecrets(attempt.secrets, new Date()),
            { messageId: attempt.messageId, body: JSON.stringify(attempt.payload) },
            config,
          ),
        ),
      ),
    async settle(attempt, result, attemptNumber) {
      const attempts = attempt.attempts + 1;
      if (result.kind === 'delivered') {
        await recorder.record({
          deliveryId: attempt.deliveryId,
          endpointId: attempt.endpointId,
          attempts,
          lastStatus: result.status,
          deliveredAt: new Date(),
        });
        return { kind: 'delivered' };
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
        return { kind: 'gone' };
      }
      const failures = await countFailure(sequelize, attempt.endpointId, config);
      const isLast = attemptNumber >= config.retryScheduleMs.length + 1;
      const delayMs = retryDelayMs(config.retryScheduleMs, attemptNumber, result.retryAfterMs);
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
      return isLast
        ? { kind: 'failed', error: result.error }
        : { kind: 'retry', delayMs, error: result.error };
    },
  };
}

/**
 * One attempt as a CLIENT span `webhook.deliver`, parented to the outbox message's stored context
 * (the decision it reports: the booking's trace), so every attempt of every delivery, batched or
 * not, is its own span in that trace; its context is the `traceparent` the partner receives
 * (send.ts). Only the exchange is timed, not the wait for a send slot. Anything but a 2xx marks
 * it failed, with the recorded category (never the system error) as `error.type`.
 */
function traceAttempt(
  attempt: AttemptContext,
  attemptNumber: number,
  send: () => Promise<SendResult>,
): Promise<SendResult> {
  const url = new URL(attempt.url);
  return inSpan(
    'webhook.deliver',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        // A partner's query string may hold a token of theirs.
        [ATTR_URL_FULL]: `${url.origin}${url.pathname}${url.search ? '?REDACTED' : ''}`,
        [ATTR_SERVER_ADDRESS]: url.hostname,
        [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        [ATTR.deliveryId]: attempt.deliveryId,
        [ATTR.endpointId]: attempt.endpointId,
        [ATTR.messageId]: attempt.messageId,
        [ATTR.messageType]: attempt.messageType,
        [ATTR.attempt]: attemptNumber,
      },
    },
    async (span) => {
      const result = await send();
      if (result.status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status);
      if (result.kind !== 'delivered') {
        span.setAttribute(ATTR_ERROR_TYPE, result.kind === 'gone' ? '410' : result.error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return result;
    },
    storedContext(attempt.traceContext),
  );
}

/** The processor of the webhook queue: a batch job, or one delivery's own job. */
export function createDeliveryProcessor(deps: DeliveryDeps) {
  const delivering = createDelivering(deps);
  const deliverOne = countWebhookDeliveries(createSingleDeliveryProcessor(delivering));
  return async (job: Job<WebhookJobData>, token?: string): Promise<string> =>
    'deliveryIds' in job.data
      ? processBatch(delivering, job.data.deliveryIds)
      : deliverOne(job as Job<DeliveryJobData>, token);
}

/**
 * One delivery's own job: every rule in full (entitlement, endpoint state, circuit breaker and
 * its half-open probe, order per subject), then one attempt; BullMQ retries it on the schedule.
 */
function createSingleDeliveryProcessor(delivering: Delivering) {
  const { sequelize, config, logger } = delivering.deps;

  return async function processDeliveryJob(job: Job<DeliveryJobData>, token?: string): Promise<string> {
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

    // Attempt numbers continue from those a batch made before handing the delivery on.
    const attemptNumber = (job.data.attemptsBefore ?? 0) + job.attemptsMade + 1;
    const result = await delivering.send(attempt, attemptNumber);
    const settled = await delivering.settle(attempt, result, attemptNumber);
    switch (settled.kind) {
      case 'delivered':
        return 'delivered';
      case 'gone':
        throw new UnrecoverableError('endpoint answered 410 Gone');
      case 'failed':
        throw new UnrecoverableError(`gave up after ${attempt.attempts + 1} attempts: ${settled.error}`);
      case 'retry':
        throw new AttemptFailed(settled.error, settled.delayMs);
    }
  };

  async function postpone(
    job: Job<DeliveryJobData>,
    token: string | undefined,
    deliveryId: string,
    until: number,
  ): Promise<never> {
    await postponeDelivery(sequelize, deliveryId, new Date(until));
    await job.moveToDelayed(until, token);
    throw new DelayedError();
  }
}
