import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { QueryTypes } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import { WebhookDelivery, type WebhookEndpoint } from '../../shared/db/models/index.js';
import { AppError, RateLimited } from '../../shared/errors.js';
import { traceparentOf } from '../../shared/tracing/index.js';
import { enqueueDelivery } from '../../shared/webhooks/queue.js';
import { testMessage } from '../../shared/webhooks/test-message.js';
import { TEST_WEBHOOK_TYPE, type WebhookJobData } from '../../shared/webhooks/types.js';

/** Test messages an endpoint may be sent per minute: enough to try a fix, not to flood it. */
export const TEST_MESSAGES_PER_MINUTE = 5;

/**
 * Sends the endpoint a signed `webhook.test` message through the normal delivery path: an
 * outbox row addressed to no subscription (written relayed, so the relay never fans it out) and
 * one delivery, to this endpoint only, with its own job. From there it is any delivery: checked
 * for entitlement (the message's user is the endpoint's owner, audience `owner`), the SSRF
 * guard, signing, retries, the circuit breaker; listed in the endpoint's deliveries.
 * A disabled endpoint is refused (409 `endpoint_disabled`); more than TEST_MESSAGES_PER_MINUTE
 * to one endpoint in a minute is 429, counted under a lock on the endpoint's row so concurrent
 * requests cannot both take the last one.
 */
export async function sendTestMessage(
  queue: Queue<WebhookJobData>,
  config: WebhookConfig,
  endpoint: WebhookEndpoint,
): Promise<WebhookDelivery> {
  if (endpoint.status !== 'enabled') {
    throw new AppError(409, 'endpoint_disabled', 'Enable the endpoint before sending it a test message');
  }
  const sequelize = WebhookDelivery.sequelize!;
  const messageId = `msg_${randomUUID()}`;
  const deliveryId = await sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT 1 FROM webhook_endpoints WHERE id = $endpointId FOR UPDATE', {
      bind: { endpointId: endpoint.id },
      transaction,
    });
    const [recent] = await sequelize.query<{ count: number; oldest: string | null }>(
      `SELECT count(*)::int AS count, min(d.created_at) AS oldest
         FROM webhook_deliveries d JOIN webhook_outbox o ON o.id = d.outbox_id
        WHERE d.endpoint_id = $endpointId AND d.created_at > now() - interval '1 minute' AND o.type = $type`,
      { bind: { endpointId: endpoint.id, type: TEST_WEBHOOK_TYPE }, transaction, type: QueryTypes.SELECT },
    );
    if (recent && recent.count >= TEST_MESSAGES_PER_MINUTE) {
      const oldest = new Date(recent.oldest!).getTime();
      const retryAfter = Math.max(1, Math.ceil((oldest + 60_000 - Date.now()) / 1000));
      throw new RateLimited(
        `At most ${TEST_MESSAGES_PER_MINUTE} test messages per endpoint per minute`,
        retryAfter,
      );
    }
    const [delivery] = await sequelize.query<{ id: string }>(
      `WITH message AS (
         INSERT INTO webhook_outbox (message_id, type, user_id, audience, payload, ordering_key, relayed_at,
                                     trace_context)
         VALUES ($messageId, $type, $userId, 'owner', $payload, $orderingKey, now(), $traceContext)
         RETURNING id, ordering_key)
       INSERT INTO webhook_deliveries (endpoint_id, outbox_id, ordering_key, next_attempt_at)
       SELECT $endpointId, id, ordering_key, now() FROM message
       RETURNING id`,
      {
        bind: {
          messageId,
          type: TEST_WEBHOOK_TYPE,
          userId: endpoint.userId,
          payload: JSON.stringify(testMessage(endpoint.id)),
          // Its own subject: a test message neither waits for nor holds up any other.
          orderingKey: `test:${messageId}`,
          endpointId: endpoint.id,
          // Its delivery joins the trace of the request that asked for it.
          traceContext: traceparentOf(),
        },
        transaction,
        type: QueryTypes.SELECT,
      },
    );
    return delivery!.id;
  });
  // After the commit; if this fails, the stranded sweep adds the job.
  await enqueueDelivery(queue, config, deliveryId);
  return (await WebhookDelivery.findByPk(deliveryId, { include: ['message'] }))!;
}
