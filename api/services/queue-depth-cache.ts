import type { EventQueues } from '../../shared/queues.js';

/** How stale a depth reading may be: backpressure needs the order of magnitude, not the exact count. */
const MAX_AGE_MS = 250;

/**
 * Each event's waiting-job count, read from Redis at most every MAX_AGE_MS per API process and
 * shared by the requests in between (one read in flight per event). Under a flash sale this
 * takes one Redis round trip off almost every booking; the cost is that MAX_QUEUE_DEPTH may be
 * overshot by what one process accepts in MAX_AGE_MS.
 */
export class QueueDepthCache {
  private readonly readings = new Map<string, { at: number; depth: Promise<number> }>();

  constructor(
    private readonly queues: EventQueues,
    private readonly maxEntries = 10_000,
  ) {}

  depth(eventId: string): Promise<number> {
    const now = Date.now();
    const cached = this.readings.get(eventId);
    if (cached && now - cached.at < MAX_AGE_MS) return cached.depth;
    const depth = this.queues.get(eventId).getWaitingCount();
    // A failed read is not cached: the next request asks Redis again.
    depth.catch(() => this.readings.delete(eventId));
    this.readings.delete(eventId);
    this.readings.set(eventId, { at: now, depth });
    if (this.readings.size > this.maxEntries) this.readings.delete(this.readings.keys().next().value!);
    return depth;
  }
}
