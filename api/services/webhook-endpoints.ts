import type { Queue } from 'bullmq';
import { QueryTypes } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import { WebhookDelivery, WebhookEndpoint } from '../../shared/db/models/index.js';
import { AppError, Conflict, ValidationFailed } from '../../shared/errors.js';
import { assertAllowedDestination } from '../../shared/webhooks/address-guard.js';
import { entitledSql, NOT_ENTITLED } from '../../shared/webhooks/entitlement.js';
import { enqueueDelivery, hasLiveJob } from '../../shared/webhooks/queue.js';
import { generateSecret } from '../../shared/webhooks/signing.js';
import type { WebhookJobData } from '../../shared/webhooks/types.js';
import type { Principal } from '../context.js';
import { ownedBy } from '../ownership.js';

const invalidUrl = (message: string) =>
  new ValidationFailed(`Invalid webhook URL: ${message}`, [{ in: 'body', path: 'url', message }]);

/** The one refusal of a host that is not public, whatever its lookup answered (or failed with). */
export const HOST_NOT_PUBLIC = "the URL's host must resolve to public addresses";

/**
 * An endpoint URL must be http(s) (https only in production), carry no credentials, and
 * resolve only to global unicast addresses unless its host:port is allow-listed (the SSRF guard).
 * The URL is checked as WHATWG URL normalises it (`http://2130706433/` is `http://127.0.0.1/`),
 * which is also the form stored and dialled. The error never names the resolved address, and
 * is the same for a host that resolves to a private address and one that does not resolve.
 */
export async function checkEndpointUrl(raw: string, config: WebhookConfig): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidUrl('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidUrl('must be http or https');
  if (config.requireHttps && url.protocol !== 'https:') throw invalidUrl('must be https');
  if (url.username || url.password) throw invalidUrl('must not contain credentials');
  try {
    await assertAllowedDestination(url, config.allowPrivateDestinations);
  } catch {
    // One answer whether the host resolves to a private address or not at all: two would make
    // registration an oracle for which internal names exist.
    throw invalidUrl(HOST_NOT_PUBLIC);
  }
  return url.toString();
}

/** An endpoint the caller may manage: its owner's, or any for an admin; others are "not found". */
export async function visibleEndpoint(principal: Principal, id: string): Promise<WebhookEndpoint> {
  return ownedBy(principal, await WebhookEndpoint.findByPk(id), (e) => e.userId, 'Webhook endpoint');
}

/**
 * A new current secret; the previous one keeps signing alongside for the overlap so receivers
 * can switch without dropping a message. Older secrets are dropped.
 */
export async function rotateSecret(endpoint: WebhookEndpoint, overlapSeconds: number) {
  const secret = generateSecret();
  const previousExpiresAt = new Date(Date.now() + overlapSeconds * 1000).toISOString();
  const current = endpoint.secrets.find((s) => s.expiresAt === null);
  await endpoint.update({
    secrets: [
      { secret, expiresAt: null },
      ...(current ? [{ secret: current.secret, expiresAt: previousExpiresAt }] : []),
    ],
  });
  return { secret, previousSecretExpiresAt: current ? previousExpiresAt : null };
}

/** A delivery no longer entitled: never sent again, whoever asks. */
export class NotEntitled extends Conflict {
  constructor() {
    super(
      'not_entitled',
      'The endpoint’s owner is no longer entitled to this message, so it is not sent again',
    );
  }
}

/**
 * Of these deliveries, those whose endpoint's owner may receive the message now (entitledSql,
 * the rule the relay and every attempt apply too) are set pending again and returned; the
 * others, unless delivered already, are failed with `not entitled`, for good.
 */
async function reviveEntitled(ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const sequelize = WebhookDelivery.sequelize!;
  const rows = await sequelize.query<{ id: string; revived: boolean }>(
    `WITH judged AS (
       SELECT d.id, ${entitledSql('e', 'o')} AS entitled
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         JOIN webhook_outbox o ON o.id = d.outbox_id
        WHERE d.id = ANY ($ids::uuid[])
          FOR UPDATE OF d)
     UPDATE webhook_deliveries d
        SET status = CASE WHEN j.entitled THEN 'pending' ELSE 'failed' END,
            next_attempt_at = CASE WHEN j.entitled THEN now() END,
            last_error = CASE WHEN j.entitled THEN NULL ELSE $notEntitled END,
            updated_at = now()
       FROM judged j
      WHERE d.id = j.id AND (j.entitled OR d.status <> 'delivered')
     RETURNING d.id, j.entitled AS revived`,
    { bind: { ids, notEntitled: NOT_ENTITLED }, type: QueryTypes.SELECT },
  );
  return new Set(rows.filter((r) => r.revived).map((r) => r.id));
}

/** Refuses a delivery whose job (its own, or the batch it was relayed in) is running now. */
async function assertNotInProgress(
  queue: Queue<WebhookJobData>,
  delivery: { id: string; batchJobId: string | null },
): Promise<void> {
  if (await hasLiveJob(queue, delivery, ['active']))
    throw new Conflict('delivery_in_progress', 'This delivery is being attempted now');
}

/**
 * Gives a revived delivery a fresh set of attempts in a job of its own, unless a job that will
 * attempt it is waiting already (its batch, or its own job): one job per delivery, never two.
 */
async function requeue(
  queue: Queue<WebhookJobData>,
  config: WebhookConfig,
  delivery: { id: string; batchJobId: string | null },
): Promise<void> {
  if (!(await hasLiveJob(queue, delivery)))
    await enqueueDelivery(queue, config, delivery.id, { replaceFinished: true });
}

/**
 * Puts a finished delivery back in the queue with a fresh set of attempts, if its endpoint's
 * owner is still entitled to the message; otherwise `NotEntitled` (and the delivery is failed
 * for good). The instance is reloaded with what was stored.
 */
export async function retryDelivery(
  queue: Queue<WebhookJobData>,
  config: WebhookConfig,
  delivery: WebhookDelivery,
): Promise<void> {
  await assertNotInProgress(queue, delivery);
  const revived = await reviveEntitled([delivery.id]);
  await delivery.reload();
  if (!revived.has(delivery.id)) throw new NotEntitled();
  await requeue(queue, config, delivery);
}

/**
 * Retries every failed delivery of an endpoint whose message its owner is still entitled to;
 * the others are skipped (and stay failed, `not entitled`). Returns how many of each.
 */
export async function replayFailed(
  queue: Queue<WebhookJobData>,
  config: WebhookConfig,
  endpoint: WebhookEndpoint,
): Promise<{ replayed: number; skipped: number }> {
  if (endpoint.status !== 'enabled') {
    throw new AppError(409, 'endpoint_disabled', 'Enable the endpoint before replaying its deliveries');
  }
  const failed = await WebhookDelivery.findAll({
    attributes: ['id', 'batchJobId'],
    where: { endpointId: endpoint.id, status: 'failed' },
    order: [['outboxId', 'ASC']],
    limit: 10000,
  });
  for (const delivery of failed) await assertNotInProgress(queue, delivery);
  const revived = await reviveEntitled(failed.map((d) => d.id));
  for (const delivery of failed) {
    if (revived.has(delivery.id)) await requeue(queue, config, delivery);
  }
  return { replayed: revived.size, skipped: failed.length - revived.size };
}
