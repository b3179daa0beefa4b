import { getAll } from './load.js';
import type { BenchDatabase } from './setup.js';
import { percentile } from './stats.js';

export interface Outcomes {
  confirmed: number;
  rejected: number;
  lost: number;
  oversold: number;
  fifoViolations: number;
  counterDrift: number;
  decidedPerSec: number;
  /** Accepted requests / time from the first decision to the last: the allocator's own pace. */
  drainPerSec: number;
  decideP50Ms: number;
  decideP99Ms: number;
}

/**
 * Reads every accepted booking request back through the API, as its client would, then checks
 * the invariants in the database: nothing lost, nothing oversold, counters equal their rows,
 * and the confirmed requests are exactly the first `capacity` to arrive at each event.
 */
export async function checkOutcomes(
  baseUrl: string,
  db: BenchDatabase,
  users: { id: string; token: string }[],
  eventIds: string[],
  accepted: string[],
): Promise<Outcomes> {
  const tokens = new Map(users.map((u) => [u.id, u.token]));
  const { rows: owners } = await db.pool.query<{ id: string; user_id: string }>(
    'SELECT id, user_id FROM booking_requests WHERE id = ANY($1::uuid[])',
    [accepted],
  );
  const owner = new Map(owners.map((r) => [r.id, r.user_id]));
  const seen = await getAll(
    baseUrl,
    100,
    accepted.map((id) => ({
      path: `/booking-requests/${id}`,
      headers: { authorization: `Bearer ${tokens.get(owner.get(id) ?? '') ?? ''}` },
    })),
  );
  const statuses = seen.map((r) => (r.status === 200 ? (r.body as { status: string }).status : 'unreadable'));
  const count = (s: string) => statuses.filter((x) => x === s).length;

  const { rows: perEvent } = await db.pool.query<{ oversold: number; drift: number }>(
    `SELECT GREATEST(0, COALESCE(SUM(b.quantity) FILTER (WHERE b.status = 'confirmed'), 0) - e.capacity)::int AS oversold,
            (e.booked <> COALESCE(SUM(b.quantity) FILTER (WHERE b.status = 'confirmed'), 0))::int AS drift
       FROM events e LEFT JOIN bookings b ON b.event_id = e.id
      WHERE e.id = ANY($1::uuid[]) GROUP BY e.id`,
    [eventIds],
  );
  // First come, first served: rank book requests by arrival per event; a confirmed one must
  // rank within the event's capacity (every request asks for one seat).
  const { rows: fifo } = await db.pool.query<{ violations: number }>(
    `SELECT count(*)::int AS violations FROM (
       SELECT r.status, e.capacity, row_number() OVER (PARTITION BY r.event_id ORDER BY r.seq) AS arrival
         FROM booking_requests r JOIN events e ON e.id = r.event_id
        WHERE r.event_id = ANY($1::uuid[]) AND r.kind = 'book') ranked
      WHERE (status = 'confirmed' AND arrival > capacity) OR (status = 'rejected' AND arrival <= capacity)`,
    [eventIds],
  );
  const { rows: timing } = await db.pool.query<{ ms: number }>(
    `SELECT EXTRACT(EPOCH FROM (decided_at - queued_at)) * 1000 AS ms FROM booking_requests
      WHERE id = ANY($1::uuid[]) AND decided_at IS NOT NULL ORDER BY 1`,
    [accepted],
  );
  const { rows: span } = await db.pool.query<{ seconds: number; draining: number }>(
    `SELECT EXTRACT(EPOCH FROM (max(decided_at) - min(queued_at)))::float AS seconds,
            EXTRACT(EPOCH FROM (max(decided_at) - min(decided_at)))::float AS draining FROM booking_requests
      WHERE id = ANY($1::uuid[])`,
    [accepted],
  );
  const latencies = timing.map((t) => Number(t.ms));
  return {
    confirmed: count('confirmed'),
    rejected: count('rejected'),
    lost: statuses.length - count('confirmed') - count('rejected'),
    oversold: perEvent.reduce((sum, e) => sum + e.oversold, 0),
    counterDrift: perEvent.reduce((sum, e) => sum + e.drift, 0),
    fifoViolations: fifo[0]?.violations ?? 0,
    decidedPerSec: accepted.length / Math.max(0.001, Number(span[0]?.seconds ?? 0)),
    drainPerSec: accepted.length / Math.max(0.001, Number(span[0]?.draining ?? 0)),
    decideP50Ms: percentile(latencies, 50),
    decideP99Ms: percentile(latencies, 99),
  };
}
