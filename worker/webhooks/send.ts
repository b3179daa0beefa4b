import net from 'node:net';
import got from 'got';
import type { WebhookConfig } from '../../shared/config.js';
import { guardedLookup, isPrivateAddress } from '../../shared/webhooks/address-guard.js';
import { signatureHeader } from '../../shared/webhooks/signing.js';

export type SendResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: 410 }
  | { kind: 'failed'; status: number | null; error: string; retryAfterMs: number | null };

export interface Message {
  messageId: string;
  body: string;
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; null if absent or unparsable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * One delivery attempt, signed per Standard Webhooks v1. Only 2xx counts as delivered;
 * redirects are not followed (a 3xx is a failure), and the address dialled is re-checked
 * against the SSRF guard at connect time.
 */
export async function sendWebhook(
  url: string,
  secrets: readonly string[],
  message: Message,
  config: Pick<WebhookConfig, 'timeoutMs' | 'allowPrivateHosts'>,
): Promise<SendResult> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && isPrivateAddress(host) && !config.allowPrivateHosts.includes(host)) {
    return { kind: 'failed', status: null, error: `${host} is a private address`, retryAfterMs: null };
  }
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await got.post(url, {
      body: message.body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Evently-Webhooks/1.0',
        'webhook-id': message.messageId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, message.messageId, timestamp, message.body),
      },
      timeout: { request: config.timeoutMs },
      followRedirect: false,
      throwHttpErrors: false,
      retry: { limit: 0 },
      dnsLookup: guardedLookup(config.allowPrivateHosts) as never,
    });
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status === 410) return { kind: 'gone', status };
    const retryAfterMs =
      status === 429 || status === 503
        ? parseRetryAfter(response.headers['retry-after'] as string | undefined)
        : null;
    return { kind: 'failed', status, error: `HTTP ${status}`, retryAfterMs };
  } catch (err) {
    const error =
      err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    return { kind: 'failed', status: null, error: error.slice(0, 500), retryAfterMs: null };
  }
}
