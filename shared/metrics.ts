import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { Counter, collectDefaultMetrics, Histogram, Registry, register } from 'prom-client';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * Prometheus metrics, in prom-client's default registry: one per process, so under `npm start`
 * (API and worker in one process) the API's `/metrics` shows the worker's series too, while a
 * worker on its own serves them on its ops-only port (WORKER_METRICS_PORT). Every label takes
 * values from a small fixed set (outcomes, results, route templates): never a request, user or
 * job id, so the number of series stays bounded however much traffic there is.
 */
export const metricsRegistry = register;

/**
 * Series read from the shared stores (PostgreSQL, Redis) when scraped: every process would read
 * the same values, so they live apart from `metricsRegistry`, are collected once per scrape by
 * the process that answers it, and are never merged across processes (shared/cluster-metrics.ts).
 * Under `npm start` one scrape is one reading, however many API processes there are.
 */
export const scrapeTimeRegistry = new Registry();

/** Node's process metrics (CPU, memory, event-loop lag, GC); once per process, whichever role asks first. */
export function collectProcessMetrics(): void {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register });
}

/**
 * `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time (digests first, so the
 * comparison does not even leak the token's length). No token configured: open.
 */
export function metricsAccessAllowed(token: string | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const presented = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!presented) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

const OUTCOMES = ['confirmed', 'rejected', 'cancelled'];
const DELIVERY_RESULTS = [
  'delivered',
  'retrying',
  'failed',
  'postponed',
  'skipped',
  'endpoint-disabled',
  'not-entitled',
];

interface WorkerMetrics {
  decided: Counter<'outcome'>;
  setAside: Counter;
  decisionLatency: Histogram;
  deliveries: Counter<'result'>;
}

let workerMetrics: WorkerMetrics | undefined;

/**
 * Created on first use, so a process that runs only the API does not report worker counters
 * stuck at zero. Known label values start at 0, so `rate()` and absence alerts work from the start.
 */
function worker(): WorkerMetrics {
  if (!workerMetrics) {
    const decided = new Counter({
      name: 'evently_bookings_decided_total',
      help: 'Booking requests decided, by outcome',
      labelNames: ['outcome'],
    });
    for (const outcome of OUTCOMES) decided.inc({ outcome }, 0);
    const deliveries = new Counter({
      name: 'evently_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by result (retrying: failed, BullMQ tries again later)',
      labelNames: ['result'],
    });
    for (const result of DELIVERY_RESULTS) deliveries.inc({ result }, 0);
    const decisionLatency = new Histogram({
      name: 'evently_decision_latency_seconds',
      help: 'From a booking request being queued to its decision (queued_at to decided_at)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    });
    const setAside = new Counter({
      name: 'evently_booking_requests_set_aside_total',
      help: 'Booking requests set aside: rejected processing_failed after MAX_PROCESSING_ATTEMPTS failed allocation steps',
    });
    workerMetrics = { decided, setAside, decisionLatency, deliveries };
  }
  return workerMetrics;
}

/** Counts one decided batch and observes each request's wait (queued to decided). */
export function recordDecisions(decided: readonly { outcome: string; waitedSeconds: number }[]): void {
  const metrics = worker();
  for (const { outcome, waitedSeconds } of decided) {
    metrics.decided.inc({ outcome });
    metrics.decisionLatency.observe(Math.max(0, waitedSeconds));
  }
}

/** Counts a poison request set aside (worker/allocation/poison-requests.ts). */
export function countSetAside(): void {
  worker().setAside.inc();
}

/** Counts one delivery of a batch job by how its attempt ended (the same results as below). */
export function countWebhookDelivery(result: string): void {
  worker().deliveries.inc({ result: DELIVERY_RESULTS.includes(result) ? result : 'other' });
}

/**
 * Wraps the webhook delivery processor to count each attempt by how it ended: its return value
 * (delivered, skipped, endpoint-disabled, not-entitled), or the error BullMQ acts on (postponed:
 * moved to delayed without spending an attempt; failed: unrecoverable, no more attempts;
 * anything else: retrying).
 */
export function countWebhookDeliveries<A extends unknown[]>(
  processor: (...args: A) => Promise<string>,
): (...args: A) => Promise<string> {
  return async (...args) => {
    const { deliveries } = worker();
    try {
      const result = await processor(...args);
      deliveries.inc({ result: DELIVERY_RESULTS.includes(result) ? result : 'other' });
      return result;
    } catch (err) {
      const result =
        err instanceof DelayedError ? 'postponed' : err instanceof UnrecoverableError ? 'failed' : 'retrying';
      deliveries.inc({ result });
      throw err;
    }
  };
}

/** How an email attempt ended (worker/email/process-email-job.ts). */
export const EMAIL_RESULTS = ['sent', 'retrying', 'failed', 'skipped'] as const;
export type EmailResult = (typeof EMAIL_RESULTS)[number];

let emails: Counter<'kind' | 'result'> | undefined;

/**
 * Counts one email attempt by its kind (a fixed list) and result: `failed` is a permanent SMTP
 * rejection (5xx) or the last retry spent, the figure to alert on.
 */
export function recordEmailAttempt(kind: string, result: EmailResult): void {
  emails ??= new Counter({
    name: 'evently_emails_total',
    help: 'Attendee email attempts, by kind and result (retrying: a temporary failure, tried again later)',
    labelNames: ['kind', 'result'],
  });
  emails.inc({ kind, result });
}

/** The tables retention prunes (worker/retention/). */
export const PRUNED_TABLES = [
  'booking_requests',
  'webhook_deliveries',
  'email_notifications',
  'webhook_outbox',
  'token_revocations',
] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

let prunedRows: Counter<'table'> | undefined;

/** Counts rows retention deleted; every table starts at 0, so `increase()` works from the start. */
export function countPrunedRows(table: PrunedTable, rows: number): void {
  if (!prunedRows) {
    prunedRows = new Counter({
      name: 'evently_retention_pruned_rows_total',
      help: 'Rows deleted by retention (finished rows older than their RETENTION_* age), by table',
      labelNames: ['table'],
    });
    for (const name of PRUNED_TABLES) prunedRows.inc({ table: name }, 0);
  }
  prunedRows.inc({ table }, rows);
}

export interface MetricsListener {
  /** The bound port, or null when the listener is off (or could not bind). */
  port: number | null;
  close(): Promise<void>;
}

/**
 * The worker role's metrics: registers its series and, unless WORKER_METRICS_PORT is 0, serves
 * them on that port. The listener answers `GET /metrics` and nothing else: the worker serves no
 * API. A port already taken (several workers on one host) is logged, not fatal: the worker's job
 * is allocation, and an operator gives each process its own port.
 */
export async function startWorkerMetrics(
  config: Pick<Config, 'workerMetricsPort' | 'host' | 'metricsToken'>,
  logger: Logger,
): Promise<MetricsListener> {
  worker();
  collectProcessMetrics();
  const off: MetricsListener = { port: null, close: async () => {} };
  if (config.workerMetricsPort === 0) return off;

  const server = http.createServer((req, res) => void answerScrape(req, res, config.metricsToken, logger));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.workerMetricsPort, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    logger.error(
      { err, port: config.workerMetricsPort },
      'worker metrics listener could not start; set WORKER_METRICS_PORT to a free port (0 turns it off)',
    );
    return off;
  }
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, 'worker metrics listening');
  return {
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function answerScrape(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  token: string | undefined,
  logger: Logger,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (path !== '/metrics') return reply(404, 'Not found: this port serves /metrics only\n');
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return reply(405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
  if (!metricsAccessAllowed(token, req.headers.authorization)) {
    return reply(401, 'Bearer METRICS_TOKEN required\n', { 'WWW-Authenticate': 'Bearer' });
  }
  try {
    const body = await register.metrics();
    reply(200, body, { 'Content-Type': register.contentType });
  } catch (err) {
    logger.error({ err }, 'metrics scrape failed');
    reply(500, 'Metrics collection failed\n');
  }
}
