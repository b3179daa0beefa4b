import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../shared/logger.js';

export interface EventTitle {
  name: string;
  startsAt: Date;
}

/** How long a looked-up name is trusted: a rename shows within this on the hold-timer queue. */
const TTL_MS = 30_000;
/** Names kept at most; the dashboard shows 200 event queues and one page of hold timers. */
const MAX_ENTRIES = 5_000;

/**
 * Event names for the queue dashboard, read from PostgreSQL and kept a little while, so that
 * bull-board's formatters (which are synchronous) can say which event a job is about without the
 * jobs carrying the name: the doorbell is written on the intake's hot path, and a name there
 * would cost a read per request and go stale at a rename. `load()` reads the given ids in one
 * query; `get()` answers from memory and, on a miss, asks for a load in the background (the
 * board's next poll, a few seconds later, shows the name).
 */
export class EventNames {
  private readonly titles = new Map<string, { title: EventTitle | null; at: number }>();
  private readonly missing = new Set<string>();
  private pending: Promise<void> | undefined;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly logger: Logger,
  ) {}

  /** Reads these events' names now (a rename shows at once for the ids given). */
  async load(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.sequelize.query<{ id: string; name: string; startsAt: Date }>(
      'SELECT id, name, starts_at AS "startsAt" FROM events WHERE id = ANY($ids::uuid[])',
      { bind: { ids }, type: QueryTypes.SELECT },
    );
    const found = new Map(rows.map((r) => [r.id, { name: r.name, startsAt: r.startsAt }]));
    const now = Date.now();
    for (const id of ids) {
      this.titles.delete(id); // re-inserted last: the map stays in least-recently-read order
      this.titles.set(id, { title: found.get(id) ?? null, at: now });
    }
    while (this.titles.size > MAX_ENTRIES) this.titles.delete(this.titles.keys().next().value!);
  }

  /** The event's title if known and fresh; null for an event that does not exist. */
  get(id: string): EventTitle | null | undefined {
    const entry = this.titles.get(id);
    if (entry && Date.now() - entry.at < TTL_MS) return entry.title;
    this.missing.add(id);
    this.pending ??= Promise.resolve().then(() => this.loadMissing());
    return entry?.title;
  }

  private async loadMissing(): Promise<void> {
    const ids = [...this.missing];
    this.missing.clear();
    try {
      await this.load(ids);
    } catch (err) {
      this.logger.warn({ err, events: ids.length }, 'dashboard: event names not read');
    } finally {
      this.pending = undefined;
    }
  }
}

/** `Jazz Night (2030-05-01)`: a name, told apart from a namesake by its day. */
export const eventLabel = (title: EventTitle) =>
  `${title.name} (${title.startsAt.toISOString().slice(0, 10)})`;
