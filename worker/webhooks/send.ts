import http from 'node:http';
import https from 'node:https';
import { context, propagation } from '@opentelemetry/api';
import got from 'got';
import type { WebhookConfig } from '../../shared/config.js';
import {
  BlockedDestination,
  guardedLookup,
  ipLiteral,
  isAllowListed,
  isPublicAddress,
  type Resolver,
} from '../../shared/webhooks/address-guard.js';
import { signatureHeader } from '../../shared/webhooks/signing.js';

export type SendResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: 410 }
  | {
      kind: 'failed';
      status: number | null;
      /** Recorded on the delivery and shown to the partner: a coarse category only. */
      error: string;
      retryAfterMs: number | null;
      /** The underlying error, for the worker's log only (may name internal addresses). */
      detail?: string;
    };

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

const DNS_FAILURES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL']);

/**
 * What a partner may learn from a failed attempt: a coarse category, never an address, port or
 * system error text. A refused destination reads the same whatever listens there, because it
 * is refused before any connection is made; and the same as a name that does not resolve, so
 * a partner pointing its name at an internal one (a CNAME) cannot learn whether that exists.
 */
export function failureCategory(err: unknown): string {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const name = err instanceof Error ? err.name : '';
  if (err instanceof BlockedDestination || code === new BlockedDestination().code || DNS_FAILURES.has(code)) {
    return 'destination not allowed';
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO$|HOSTNAME_MISMATCH)/.test(code)) {
    return 'TLS error';
  }
  return 'connection failed';
}

/**
 * Kept-alive connections, one pool per destination (host:port) as http.Agent keys them, reused
 * across deliveries: a TCP (and TLS) handshake per message cost more than the message. The SSRF
 * guard still judges every address dialled: it runs in the lookup of each new connection, and a
 * pooled connection is one that passed it (a later DNS change reaches only new connections).
 * Connections dialled without the guard (an allow-listed destination) live in pools of their
 * own, so a guarded request can never ride on one; so do those of a substitute resolver (tests).
 * Idle connections are closed after 4 s, before a Node receiver's default 5 s keep-alive does.
 */
interface Pools {
  guarded: { http: http.Agent; https: https.Agent };
  unguarded: { http: http.Agent; https: https.Agent };
}
const IDLE_MS = 4000;
const poolsByResolver = new Map<Resolver | undefined, Pools>();
function poolsFor(resolve: Resolver | undefined): Pools {
  let pools = poolsByResolver.get(resolve);
  if (!pools) {
    const agents = () => {
      const options = { keepAlive: true, timeout: IDLE_MS, scheduling: 'lifo' as const };
      return { http: new http.Agent(options), https: new https.Agent(options) };
    };
    pools = { guarded: agents(), unguarded: agents() };
    poolsByResolver.set(resolve, pools);
  }
  return pools;
}

/** Closes every pooled connection (worker shutdown). */
export function closeConnections(): void {
  for (const pools of poolsByResolver.values()) {
    for (const agent of [
      pools.guarded.http,
      pools.guarded.https,
      pools.unguarded.http,
      pools.unguarded.https,
    ])
      agent.destroy();
  }
  poolsByResolver.clear();
}

/**
 * The one got instance deliveries use: no redirects (a 3xx is a failure), every status answered
 * (not thrown), and one immediate retry when a connection resets before an answer: a pooled
 * connection the receiver closed while it sat idle fails on its first write, and Node's
 * documentation advises sending again on a new one. A receiver that did see the message
 * recognises the repeat by its `webhook-id`, as it does every retry.
 */
const client = got.extend({
  followRedirect: false,
  throwHttpErrors: false,
  retry: {
    limit: 1,
    methods: ['POST'],
    statusCodes: [],
    errorCodes: ['ECONNRESET'],
    calculateDelay: ({ attemptCount, error }) => (attemptCount === 1 && error.code === 'ECONNRESET' ? 1 : 0),
  },
});

/**
 * One delivery attempt, signed per Standard Webhooks v1. Only 2xx counts as delivered;
 * redirects are not followed (a 3xx is a failure). Unless its host:port is allow-listed, the
 * destination goes through the SSRF guard before any connection: an IP literal here, a host
 * name on every address its lookup returns (the address actually dialled). `resolve` is the DNS
 * resolver (tests substitute one).
 */
export async function sendWebhook(
  url: string,
  secrets: readonly string[],
  message: Message,
  config: Pick<WebhookConfig, 'timeoutMs' | 'allowPrivateDestinations'>,
  resolve?: Resolver,
): Promise<SendResult> {
  const target = new URL(url);
  const allowListed = isAllowListed(target, config.allowPrivateDestinations);
  const literal = ipLiteral(target);
  if (!allowListed && literal !== null && !isPublicAddress(literal)) {
    return failed(new BlockedDestination());
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const pools = poolsFor(resolve)[allowListed ? 'unguarded' : 'guarded'];
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Evently-Webhooks/1.0',
    'webhook-id': message.messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, message.messageId, timestamp, message.body),
  };
  // W3C `traceparent` of the attempt's span (process-delivery-job.ts), so a partner that traces
  // can continue the booking's trace; none with tracing off. Not signed: it says nothing about the
  // message.
  propagation.inject(context.active(), headers);
  try {
    const response = await client.post(target, {
      body: message.body,
      headers,
      agent: pools,
      dnsLookup: guardedLookup(!allowListed, resolve) as never,
      timeout: { request: config.timeoutMs },
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
    return failed(err);
  }
}

function failed(err: unknown): SendResult {
  const detail =
    err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
  return {
    kind: 'failed',
    status: null,
    error: failureCategory(err),
    retryAfterMs: null,
    detail: detail.slice(0, 500),
  };
}
