import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
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

class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  override readonly name = 'TimeoutError';
}

interface Response {
  status: number;
  retryAfter: string | undefined;
}

/**
 * One POST. A connection the receiver closed while it sat idle in the pool fails on its first
 * write (ECONNRESET before any answer): that one is retried once on a new connection, as Node's
 * documentation advises, since the receiver cannot have seen it.
 */
function post(
  target: URL,
  headers: Record<string, string>,
  body: string,
  agent: http.Agent,
  lookup: LookupFunction,
  timeoutMs: number,
  retryStale = true,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? https.request : http.request;
    const req = send(target, {
      method: 'POST',
      agent,
      lookup,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new RequestTimeout('request timed out'));
    }, timeoutMs);
    // Once the answer has begun, destroying the request errs the response with "aborted".
    const fail = (err: Error) => reject(timedOut ? new RequestTimeout('request timed out') : err);
    req.on('response', (res) => {
      // The body is not read, only drained, so the connection goes back to the pool.
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        fail(err);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (retryStale && req.reusedSocket && err.code === 'ECONNRESET') {
        post(target, headers, body, agent, lookup, timeoutMs, false).then(resolve, reject);
      } else {
        fail(err);
      }
    });
    req.end(body);
  });
}

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
  try {
    const response = await post(
      target,
      {
        'content-type': 'application/json',
        'user-agent': 'Evently-Webhooks/1.0',
        'webhook-id': message.messageId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, message.messageId, timestamp, message.body),
      },
      message.body,
      target.protocol === 'https:' ? pools.https : pools.http,
      guardedLookup(!allowListed, resolve),
      config.timeoutMs,
    );
    const { status } = response;
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status === 410) return { kind: 'gone', status };
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.retryAfter) : null;
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
