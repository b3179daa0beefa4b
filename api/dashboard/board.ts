import { createRequire } from 'node:module';
import path from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import { Queue } from 'bullmq';
import type { Middleware } from 'koa';
import { QueryTypes } from 'sequelize';
import { activeEventsKey, eventQueueName } from '../../shared/queues.js';
import type { ApiDeps } from '../context.js';

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

interface Shown {
  queue: Queue;
  adapter: BullMQAdapter;
}

/**
 * bull-board over the webhook queue and every event queue with pending work. Event queues come
 * and go: the list is re-read from the active-events set (shared/queues.ts) before each dashboard
 * request, so a new event appears without a restart and an event leaves once its queue went idle
 * (the worker removes it from the set then). The list lives in Redis, so several API instances
 * show the same board; the Queue handles use the API's Redis connection and need no closing.
 */
export class QueueBoard {
  /** bull-board's sub-app (its page, assets and JSON API), mounted at DASHBOARD_PATH. */
  readonly app: Middleware;
  private readonly board: ReturnType<typeof createBullBoard>;
  private readonly webhooks: BullMQAdapter;
  private readonly events = new Map<string, Shown>();
  private refreshing: Promise<void> | undefined;

  constructor(private readonly deps: ApiDeps) {
    const server = new KoaAdapter();
    server.setBasePath(DASHBOARD_PATH);
    this.webhooks = new BullMQAdapter(deps.webhookQueue, { description: 'Webhook deliveries to partners' });
    this.board = createBullBoard({
      queues: [this.webhooks],
      serverAdapter: server,
      options: {
        uiBasePath: BOARD_UI_PATH,
        uiConfig: {
          boardTitle: 'Evently queues',
          miscLinks: [{ text: 'Log out', url: '/admin/logout' }],
        },
      },
    });
    this.app = server.registerPlugin() as Middleware;
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
    const added = active.filter((id) => !this.events.has(id));
    const names = await this.eventNames(added);
    for (const eventId of added) {
      const queue = new Queue(eventQueueName(eventId), { connection: redis, prefix: config.redisPrefix });
      queue.on('error', (err) => logger.warn({ err, eventId }, 'dashboard queue error'));
      const name = names.get(eventId);
      const adapter = new BullMQAdapter(queue, { description: name ? `Event: ${name}` : `Event ${eventId}` });
      this.events.set(eventId, { queue, adapter });
    }
    const keep = new Set(active);
    const gone = [...this.events].filter(([eventId]) => !keep.has(eventId));
    for (const [eventId] of gone) this.events.delete(eventId);
    this.board.replaceQueues([this.webhooks, ...[...this.events.values()].map((s) => s.adapter)]);
    // Handles on the API's shared connection: closing one only detaches it, no socket closes.
    await Promise.all(gone.map(([, shown]) => shown.queue.close()));
  }

  private async eventNames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.deps.sequelize.query<{ id: string; name: string }>(
      'SELECT id, name FROM events WHERE id = ANY($ids::uuid[])',
      { bind: { ids }, type: QueryTypes.SELECT },
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}

/** Up to MAX_DASHBOARD_EVENTS event ids from the active-events set, in a stable order. */
async function activeEventIds({ redis, config }: ApiDeps): Promise<string[]> {
  const ids = await redis.zrange(activeEventsKey(config.redisPrefix), 0, String(MAX_DASHBOARD_EVENTS - 1));
  return ids.filter((id) => UUID.test(id)).sort();
}
