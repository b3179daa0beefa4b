import { createRequire } from 'node:module';
import path from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { ControllerHandlerReturnType } from '@bull-board/api/typings/app';
import { KoaAdapter } from '@bull-board/koa';
import { Queue } from 'bullmq';
import type { Context, Middleware } from 'koa';
import { QueryTypes } from 'sequelize';
import { NotFound, ValidationFailed } from '../../shared/errors.js';
import {
  type AllocationJobData,
  activeEventsKey,
  eventQueueName,
  HOLD_EXPIRY_QUEUE,
  type HoldTimerData,
} from '../../shared/queues.js';
import type { ApiDeps } from '../context.js';
import { EventNames } from './event-names.js';
import { eventQueueView, holdTimerView } from './queue-views.js';

/** Where bull-board is mounted; its base path must be the same, or its page loads no assets. */
export const DASHBOARD_PATH = '/admin/queues';
/** Event queues shown at most: the board reads every shown queue on each of its polls. */
export const MAX_DASHBOARD_EVENTS = 200;

/** Where the bull-board UI package is: its page template and its `dist/static` assets. */
// Resolved here rather than by bull-board's own eval'd require, which ESM loaders may not offer.
export const BOARD_UI_PATH = path.dirname(
  createRequire(import.meta.url).resolve('@bull-board/ui/package.json'),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The job states bull-board and BullMQ know (a queue's statuses, `clean` and `retry` targets);
 * `latest` is bull-board's "every status" view of the queue list.
 */
const JOB_STATES: ReadonlySet<string> = new Set([
  'active',
  'waiting',
  'wait',
  'waiting-children',
  'prioritized',
  'completed',
  'failed',
  'delayed',
  'paused',
]);
const LIST_STATUSES: ReadonlySet<string> = new Set([...JOB_STATES, 'latest']);
/** bull-board's query parameters that are positive integers (the queue list's pages). */
const COUNT_PARAMS: ReadonlySet<string> = new Set(['page', 'jobsPerPage']);

/** `decodeURIComponent`, or null for a malformed escape (which would throw inside bull-board). */
function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

const badParam = (where: 'params' | 'query', path: string, message: string) =>
  new ValidationFailed(`Invalid ${where}: ${path} ${message}`, [{ in: where, path, message }]);

/**
 * Whether bull-board may see this request, judged before it does: every path segment and query
 * component must be a well-formed URI component (bull-board decodes some of them again, and a
 * malformed one made it throw); a queue named in the path, or by `queueName`, must be one the
 * board shows (an own key of its table, so `__proto__` or `constructor` name nothing); a job
 * state in the path (`retry/:state`, `clean/:state`) or in `status` must be one bull-board knows;
 * counts must be positive integers; no parameter may be repeated. Throws the service's 400 or
 * 404; `path` is relative to DASHBOARD_PATH.
 */
export function checkBoardRequest(
  path: string,
  querystring: string,
  query: Record<string, string | string[] | undefined>,
  hasQueue: (name: string) => boolean,
): void {
  const segments = path.split('/').slice(1);
  const names: string[] = [];
  for (const segment of segments) {
    const name = decoded(segment);
    if (name === null) throw badParam('params', 'path', 'is not a well-formed URI component');
    names.push(name);
  }
  for (const part of querystring.split('&')) {
    if (part && decoded(part.replaceAll('+', ' ')) === null) {
      throw badParam('query', part.split('=')[0] ?? '', 'is not a well-formed URI component');
    }
  }
  for (const [key, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw badParam('query', key, 'must be given once');
    // bull-board decodes `activeQueue` once more; a value that cannot be is refused for all.
    if (decoded(value) === null) throw badParam('query', key, 'is not a well-formed URI component');
    // An empty value is an absent one to bull-board.
    if (value === '') continue;
    if (COUNT_PARAMS.has(key) && !/^[1-9]\d{0,8}$/.test(value)) {
      throw badParam('query', key, 'must be a positive integer');
    }
    if (key === 'status' && !LIST_STATUSES.has(value)) {
      throw badParam('query', key, `must be one of ${[...LIST_STATUSES].join(', ')}`);
    }
    if (key === 'queueName' && !hasQueue(value)) throw new NotFound('Queue');
  }
  // /api/queues/:queueName/... (two segments after "queues": the bare /api/queues/pause and
  // /resume act on every queue).
  if (names[0] === 'api' && names[1] === 'queues' && names.length >= 4) {
    if (!hasQueue(names[2]!)) throw new NotFound('Queue');
    const [action, state] = names.slice(3);
    if (names.length === 5 && (action === 'retry' || action === 'clean') && !JOB_STATES.has(state!)) {
      throw badParam('params', 'queueStatus', `must be one of ${[...JOB_STATES].join(', ')}`);
    }
  }
}

/** A bull-board error body: a translation key (`ERRORS.QUEUE_NOT_FOUND`), perhaps a message. */
interface BoardErrorBody {
  error: { key?: unknown } | string;
  message?: unknown;
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  422: 'validation_failed',
};

/** `ERRORS.QUEUE_NOT_FOUND` -> `Queue not found`. */
const sentenceOf = (key: string) => {
  const words = key
    .replace(/^ERRORS\./, '')
    .replaceAll('_', ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/**
 * bull-board's own error answer (an error body it returned, or one its error handler made of
 * something it threw) in the service's shape, `{"error": {"code", "message", "details"}}`: a 4xx
 * keeps its status and bull-board's key (in `details`); anything else is the service's 500, whose
 * text (a library's message, perhaps naming internals) never reaches the client.
 */
export function boardErrorAnswer(status: number, body: unknown): { status: number; body: unknown } | null {
  if (status < 400 || typeof body !== 'object' || body === null || !('error' in body)) return null;
  const { error } = body as BoardErrorBody;
  if (typeof error === 'object' && error !== null && 'code' in error) return null; // ours already
  const key = typeof error === 'string' ? error : typeof error?.key === 'string' ? error.key : null;
  return serviceError(status, key);
}

function serviceError(status: number, key: string | null): { status: number; body: unknown } {
  if (status >= 500) {
    const message = 'Something went wrong on our side; quote the request id when reporting it.';
    return { status: 500, body: { error: { code: 'internal_error', message, details: null } } };
  }
  const code = CODE_BY_STATUS[status] ?? 'bad_request';
  const message = key ? sentenceOf(key) : 'The dashboard refused the request';
  return { status, body: { error: { code, message, details: key ? { key } : null } } };
}

/**
 * What bull-board's sub-app does with an error a handler threw: the service's error shape. A
 * client's error (a 4xx, or a URIError from a malformed escape) becomes a 4xx, and is marked so
 * the app's error listener logs it at debug without a stack; anything else is a 500.
 */
export function boardThrew(thrown: Error): ControllerHandlerReturnType {
  const err = thrown as Error & { status?: unknown; statusCode?: unknown };
  const declared = typeof err.status === 'number' ? err.status : err.statusCode;
  const clientError = typeof declared === 'number' && declared >= 400 && declared < 500;
  const status = err instanceof URIError ? 400 : clientError ? declared : 500;
  if (status < 500) err.status = status;
  return serviceError(status, null) as ControllerHandlerReturnType;
}

/**
 * bull-board's sub-app with the service's error shape on every error answer it gives, thrown or
 * returned.
 */
function withServiceErrors(app: Middleware): Middleware {
  return async (ctx: Context, next) => {
    await app(ctx, next);
    const mapped = boardErrorAnswer(ctx.status, ctx.body);
    if (mapped) {
      ctx.status = mapped.status;
      ctx.body = mapped.body;
    }
  };
}

/**
 * bull-board over the webhook queue, the hold timers and every event queue with pending work.
 * Event queues come and go: the list is re-read from the active-events set (shared/queues.ts)
 * before each dashboard request, so a new event appears without a restart and an event leaves
 * once its queue went idle (the worker removes it from the set then). Each refresh also re-reads
 * the shown events' names (one query by primary key) and queued-request counts (one on the
 * partial queued index), so a rename shows on the next poll. The list lives in Redis, so several
 * API instances show the same board; the Queue handles use the API's Redis connection and need
 * no closing.
 */
export class QueueBoard {
  /** bull-board's sub-app (its page, assets and JSON API), mounted at DASHBOARD_PATH. */
  readonly app: Middleware;
  private readonly board: ReturnType<typeof createBullBoard>;
  private readonly webhooks: BullMQAdapter;
  private readonly holdTimers: BullMQAdapter;
  private readonly names: EventNames;
  private readonly queues = new Map<string, Queue<AllocationJobData>>();
  /** The names of the queues shown, as bull-board keys them. */
  private shown: ReadonlySet<string> = new Set();
  private refreshing: Promise<void> | undefined;

  constructor(private readonly deps: ApiDeps) {
    const server = new KoaAdapter();
    server.setBasePath(DASHBOARD_PATH);
    this.names = new EventNames(deps.sequelize, deps.logger);
    this.webhooks = new BullMQAdapter(deps.webhookQueue, {
      displayName: 'Webhook deliveries',
      description: 'Deliveries of webhook messages to partners’ endpoints, with their retries',
    });
    const timers = new Queue<HoldTimerData>(HOLD_EXPIRY_QUEUE, {
      connection: deps.redis,
      prefix: deps.config.redisPrefix,
    });
    timers.on('error', (err) => deps.logger.warn({ err }, 'dashboard queue error'));
    this.holdTimers = holdTimerView(timers, this.names);
    this.board = createBullBoard({
      queues: [this.webhooks, this.holdTimers],
      serverAdapter: server,
      options: {
        uiBasePath: BOARD_UI_PATH,
        uiConfig: {
          boardTitle: 'Evently queues',
          miscLinks: [{ text: 'Log out', url: '/admin/logout' }],
        },
      },
    });
    server.setErrorHandler(boardThrew);
    this.app = withServiceErrors(server.registerPlugin() as Middleware);
  }

  /** Whether the board shows a queue of this name (`event-{<id>}`, `{webhooks}`, `{hold-expiries}`). */
  hasQueue(name: string): boolean {
    return this.shown.has(name);
  }

  /** Brings the board's queue list up to date; concurrent callers share one refresh. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const { redis, config, logger } = this.deps;
    const active = await activeEventIds(this.deps);
    const [queued] = await Promise.all([this.queuedRequests(active), this.names.load(active)]);
    for (const eventId of active) {
      if (this.queues.has(eventId)) continue;
      const queue = new Queue<AllocationJobData>(eventQueueName(eventId), {
        connection: redis,
        prefix: config.redisPrefix,
      });
      queue.on('error', (err) => logger.warn({ err, eventId }, 'dashboard queue error'));
      this.queues.set(eventId, queue);
    }
    const keep = new Set(active);
    const gone = [...this.queues].filter(([eventId]) => !keep.has(eventId));
    for (const [eventId] of gone) this.queues.delete(eventId);
    // Adapters are cheap, stateless views: made afresh, so names and counts are this refresh's.
    const events = active.map((eventId) =>
      eventQueueView(this.queues.get(eventId)!, eventId, this.names.get(eventId), queued.get(eventId) ?? 0),
    );
    const adapters = [this.webhooks, this.holdTimers, ...events];
    this.board.replaceQueues(adapters);
    this.shown = new Set(adapters.map((a) => a.getName()));
    // Handles on the API's shared connection: closing one only detaches it, no socket closes.
    await Promise.all(gone.map(([, queue]) => queue.close()));
  }

  /** Booking requests still queued, per shown event (booking_requests_queued_idx). */
  private async queuedRequests(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.deps.sequelize.query<{ eventId: string; n: number }>(
      `SELECT event_id AS "eventId", count(*)::int AS n FROM booking_requests
        WHERE status = 'queued' AND event_id = ANY($ids::uuid[]) GROUP BY event_id`,
      { bind: { ids }, type: QueryTypes.SELECT },
    );
    return new Map(rows.map((r) => [r.eventId, r.n]));
  }
}

/** Up to MAX_DASHBOARD_EVENTS event ids from the active-events set, in a stable order. */
async function activeEventIds({ redis, config }: ApiDeps): Promise<string[]> {
  const ids = await redis.zrange(activeEventsKey(config.redisPrefix), 0, String(MAX_DASHBOARD_EVENTS - 1));
  return ids.filter((id) => UUID.test(id)).sort();
}
