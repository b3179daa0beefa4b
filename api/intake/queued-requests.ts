import { QueryTypes, type Sequelize } from 'sequelize';

/** How stale a reading may be: backpressure needs the order of magnitude, not the exact count. */
const MAX_AGE_MS = 250;
/**
 * How stale a reading below half the limit may be. With a thousand events on sale a count every
 * 250 ms per event is a query per booking request; far from the limit it decides nothing.
 */
const FAR_MAX_AGE_MS = 5000;

/**
 * Each event's queued requests (booking requests still `queued`: PostgreSQL rows, not BullMQ
 * jobs, since one doorbell job may stand for a whole group), counted over the partial index of
 * queued rows and never further than `limit`, at most every MAX_AGE_MS per API process (every
 * FAR_MAX_AGE_MS while the reading is below half the limit) and shared by the requests in between
 * (one read in flight per event). The cost is that the limit may be overshot by what one process
 * accepts in MAX_AGE_MS, or, from below half of it, in FAR_MAX_AGE_MS (half the default limit in
 * 5 s is 10,000 requests a second into one event from one process).
 */
export class QueuedRequestsCache {
  private readonly readings = new Map<string, { at: number; count: Promise<number>; far: boolean }>();

  constructor(
    private readonly sequelize: Sequelize,
    private readonly limit: number,
    private readonly maxEntries = 10_000,
  ) {}

  count(eventId: string): Promise<number> {
    const now = Date.now();
    const cached = this.readings.get(eventId);
    if (cached && now - cached.at < (cached.far ? FAR_MAX_AGE_MS : MAX_AGE_MS)) return cached.count;
    const count = this.read(eventId);
    const reading = { at: now, count, far: false };
    count.then(
      (n) => {
        reading.far = n < this.limit / 2;
      },
      // A failed read is not cached: the next request asks again.
      () => this.readings.delete(eventId),
    );
    this.readings.delete(eventId);
    this.readings.set(eventId, reading);
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
