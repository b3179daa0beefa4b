import type { Queue } from 'bullmq';
import type { WebhookConfig } from '../../shared/config.js';
import { WebhookDelivery, WebhookEndpoint } from '../../shared/db/models/index.js';
import { AppError, Conflict, ValidationFailed } from '../../shared/errors.js';
import { assertAllowedDestination, BlockedDestination } from '../../shared/webhooks/address-guard.js';
import { enqueueDelivery } from '../../shared/webhooks/queue.js';
import { generateSecret } from '../../shared/webhooks/signing.js';
import type { WebhookJobData } from '../../shared/webhooks/types.js';
import type { Principal } from '../context.js';
import { ownedBy } from '../ownership.js';

const invalidUrl = (message: string) =>
  new ValidationFailed(`Invalid webhook URL: ${message}`, [{ in: 'body', path: 'url', message }]);

/**
 * An endpoint URL must be http(s) (https only in production), carry no credentials, and
 * resolve only to global unicast addresses unless its host:port is allow-listed (the SSRF guard).
 * The URL is checked as WHATWG URL normalises it (`http://2130706433/` is `http://127.0.0.1/`),
 * which is also the form stored and dialled. The error never names the resolved address.
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
  } catch (err) {
    if (err instanceof BlockedDestination) {
      throw invalidUrl(`${url.host} is not allowed: it must resolve only to public addresses`);
    }
    throw invalidUrl(`${url.hostname} does not resolve`);
  }
  return url.toString();
}

/** An endpoint the caller may manage: its owner's, or any for an admin; others are "not found". */
export async function visibleEndpoint(principal: Principal, id: string): Promise<WebhookEndpoint> {
  return ownedBy(principal, await WebhookEndpoint.findByPk(id), (e) => e.ownerId, 'Webhook endpoint');
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

/** Puts a finished delivery back in the queue with a fresh set of attempts. */
export async function retryDelivery(
  queue: Queue<WebhookJobData>,
  config: WebhookConfig,
  delivery: WebhookDelivery,
): Promise<void> {
  const job = await queue.getJob(delivery.id);
  if (job && (await job.isActive()))
    throw new Conflict('delivery_in_progress', 'This delivery is being attempted now');
  await delivery.update({ status: 'pending', nextAttemptAt: new Date(), lastError: null });
  await enqueueDelivery(queue, config, delivery.id, { replaceFinished: true });
}

/** Retries every failed delivery of an endpoint; returns how many. */
export async function replayFailed(
  queue: Queue<WebhookJobData>,
  config: WebhookConfig,
  endpoint: WebhookEndpoint,
): Promise<number> {
  if (endpoint.status !== 'enabled') {
    throw new AppError(409, 'endpoint_disabled', 'Enable the endpoint before replaying its deliveries');
  }
  const failed = await WebhookDelivery.findAll({
    where: { endpointId: endpoint.id, status: 'failed' },
    order: [['outboxId', 'ASC']],
    limit: 10000,
  });
  for (const delivery of failed) await retryDelivery(queue, config, delivery);
  return failed.length;
}
