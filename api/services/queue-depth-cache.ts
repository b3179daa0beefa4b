import { QueryTypes, type Sequelize } from 'sequelize';

/** How stale a depth reading may be: backpressure needs the order of magnitude, not the exact count. */
const MAX_AGE_MS = 250;

/**
 * Each event's queued requests, counted in PostgreSQL (over the partial index of queued rows,
 * never further than `limit`) at most every MAX_AGE_MS per API process and shared by the
 * requests in between (one read in flight per event). Counted in rows, not jobs: a doorbell job
 * may stand for a whole batch. The cost is that the limit may be overshot by what one process
 * accepts in MAX_AGE_MS.
 */
export class QueueDepthCache {
  private readonly readings = new Map<string, { at: number; depth: Promise<number> }>();

  constructor(
    private readonly sequelize: Sequelize,
    private readonly limit: number,
    private readonly maxEntries = 10_000,
  ) {}

  depth(eventId: string): Promise<number> {
    const now = Date.now();
    const cached = this.readings.get(eventId);
    if (cached && now - cached.at < MAX_AGE_MS) return cached.depth;
    const depth = this.count(eventId);
    // A failed read is not cached: the next request asks again.
    depth.catch(() => this.readings.delete(eventId));
    this.readings.delete(eventId);
    this.readings.set(eventId, { at: now, depth });
    if (this.readings.size > this.maxEntries) this.readings.delete(this.readings.keys().next().value!);
    return depth;
  }

  private async count(eventId: string): Promise<number> {
    const [row] = await this.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM booking_requests WHERE event_id = $eventId AND status = 'queued' LIMIT $limit) q`,
      { bind: { eventId, limit: this.limit }, type: QueryTypes.SELECT },
    );
    return row?.n ?? 0;
  }
}
