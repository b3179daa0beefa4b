import { activeEventsKey, eventQueueKeys } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';

/**
 * Takes the longest-waiting events whose turn has come (score <= now) and claims them until
 * `until` by moving their score there, atomically, so two processes never take the same event.
 * Also returns the first score left in line: when the next event comes due (a retry, a paused
 * queue's look, or a claim running out because its process is gone). One key: safe on a Redis
 * Cluster.
 */
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {ids, first[2] or false}`;

export interface Claimed {
  eventIds: string[];
  /** When the first event left in line comes due (ms since epoch), or null with none left. */
  nextDueAt: number | null;
}

/**
 * What an event queue still holds, read atomically from its own keys (one hash slot, since all
 * keys of a queue share its name): paused (1/0), jobs ready to run (wait + prioritized), jobs
 * active, and the due time of its first delayed job (ms, or -1). BullMQ keeps a paused queue's
 * jobs in `wait` with a `paused` field in `meta`, and scores delayed jobs `timestamp * 0x1000`.
 * It also restores the queue's global concurrency of 1 (`meta` field `concurrency`, set when the
 * event is created and by the first turn in each process) should Redis have lost it.
 */
const QUEUE_STATE = `
redis.call('HSETNX', KEYS[5], 'concurrency', 1)
local paused = redis.call('HEXISTS', KEYS[5], 'paused')
local ready = redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
local active = redis.call('LLEN', KEYS[3])
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
local due = -1
if first[2] then due = math.floor(tonumber(first[2]) / 4096) end
return {paused, ready, active, due}`;

export interface QueueState {
  paused: boolean;
  ready: number;
  active: number;
  /** When the first delayed job (a retry with backoff) is due, ms since epoch. */
  firstDelayedAt: number | null;
}

/** How soon a paused queue is looked at again: resuming it rings nothing. */
const PAUSED_RECHECK_MS = 5000;

/**
 * The fleet-wide line of events with work, `<prefix>:active-events-by-wait`: a sorted set of
 * event ids scored by when each may next be taken. Whoever rings an event adds it (`ZADD NX`
 * now, `ringEvent()`); a dispatcher claims it by moving its score into the future, and after its
 * turn either re-scores it (work left: now, the back of the line; a retry: when it is due) or
 * removes it.
 */
export class ActiveEvents {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.key = activeEventsKey(prefix);
  }

  async claim(max: number, leaseMs: number): Promise<Claimed> {
    const now = Date.now();
    const [eventIds, first] = (await this.redis.eval(CLAIM, 1, this.key, now, now + leaseMs, max)) as [
      string[],
      string | null,
    ];
    return { eventIds, nextDueAt: first === null ? null : Number(first) };
  }

  /** Extends the claims of events still being served (XX: one released meanwhile stays out). */
  async renew(eventIds: readonly string[], leaseMs: number): Promise<void> {
    if (eventIds.length === 0) return;
    const until = Date.now() + leaseMs;
    await this.redis.zadd(this.key, 'XX', ...eventIds.flatMap((id) => [until, id]));
  }

  async queueState(eventId: string): Promise<QueueState> {
    const keys = eventQueueKeys(this.prefix, eventId);
    const [paused, ready, active, due] = (await this.redis.eval(
      QUEUE_STATE,
      5,
      keys.wait!,
      keys.prioritized!,
      keys.active!,
      keys.delayed!,
      keys.meta!,
    )) as [number, number, number, number];
    return { paused: paused === 1, ready, active, firstDelayedAt: due >= 0 ? due : null };
  }

  /**
   * Ends a turn. The set and the queue live in different hash slots on a cluster, so no script
   * can cover both; the order makes it safe instead. With work left the event is re-scored.
   * Without, it is removed first and the queue read again: `ringEvent()` adds its job before its
   * `ZADD NX`, so a job added concurrently is either seen by that second read or re-adds the
   * event itself after the removal.
   */
  async release(eventId: string, state: QueueState, stalledRecheckMs: number): Promise<void> {
    const at = nextTurnAt(state, Date.now(), stalledRecheckMs);
    if (at !== null) {
      await this.redis.zadd(this.key, at, eventId);
      return;
    }
    await this.redis.zrem(this.key, eventId);
    const again = nextTurnAt(await this.queueState(eventId), Date.now(), stalledRecheckMs);
    if (again !== null) await this.redis.zadd(this.key, 'NX', again, eventId);
  }
}

/**
 * When an event with this queue state should next be taken, or null when it has no work. A job
 * still active after a turn is not the turn's own (its jobs are finished before it ends): it
 * belongs to a process whose claim ran out, which may be gone, so look again after the stall
 * check's interval.
 */
export function nextTurnAt(state: QueueState, now: number, stalledRecheckMs: number): number | null {
  const { paused, ready, active, firstDelayedAt } = state;
  if (ready === 0 && active === 0 && firstDelayedAt === null) return null;
  if (paused) return now + PAUSED_RECHECK_MS;
  // Global concurrency 1: while another job is active nothing else can be taken, ready or not.
  if (active > 0) return now + stalledRecheckMs;
  if (ready > 0) return now;
  return Math.max(now, firstDelayedAt!);
}
