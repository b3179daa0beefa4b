import { QueryTypes, type Sequelize } from 'sequelize';

/** How stale a reading may be: backpressure needs the order of magnitude, not the exact count. */
const MAX_AGE_MS = 250;

/**
 * Each event's queued requests (booking requests still `queued`: PostgreSQL rows, not BullMQ
 * jobs, since one doorbell job may stand for a whole group), counted over the partial index of
 * queued rows and never further than `limit`, at most every MAX_AGE_MS per API process and shared
 * by the requests in between (one read in flight per event). The cost is that the limit may be
 * overshot by what one process accepts in MAX_AGE_MS.
 */
export class QueuedRequestsCache {
  private readonly readings = new Map<string, { at: number; count: Promise<number> }>();

  constructor(
    private readonly sequelize: Sequelize,
    private readonly limit: number,
    private readonly maxEntries = 10_000,
  ) {}

  count(eventId: string): Promise<number> {
    const now = Date.now();
    const cached = this.readings.get(eventId);
    if (cached && now - cached.at < MAX_AGE_MS) return cached.count;
    const count = this.read(eventId);
    // A failed read is not cached: the next request asks again.
    count.catch(() => this.readings.delete(eventId));
    this.readings.delete(eventId);
    this.readings.set(eventId, { at: now, count });
    if (this.readings.size > this.maxEntries) this.readings.delete(this.readings.keys().next().value!);
    return count;
  }

  private async read(eventId: string): Promise<number> {
    const [row] = await this.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM booking_requests WHERE event_id = $eventId AND status = 'queued' LIMIT $limit) q`,
      { bind: { eventId, limit: this.limit }, type: QueryTypes.SELECT },
    );
    return row?.n ?? 0;
  }
}
