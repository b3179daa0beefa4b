import { randomUUID } from 'node:crypto';
import type { Processor } from 'bullmq';
import type { Logger } from '../../shared/logger.js';
import { type AllocationJobData, eventActivatedChannel } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';
import { ActiveEvents, type QueueState } from './active-events.js';
import { EventRunner } from './event-runner.js';
import { Signal } from './signal.js';

export interface DispatcherOptions {
  redis: RedisClient;
  /** A connection in subscriber mode can do nothing else, so it is its own. */
  subscriber: RedisClient;
  prefix: string;
  processor: Processor<AllocationJobData>;
  logger: Logger;
  /** Events this process serves at once (`WORKER_CONCURRENCY`). */
  concurrency: number;
  /** How long one event's turn lasts before the event goes to the back of the line. */
  turnMs: number;
  /**
   * How long a claim on an event lasts without renewal (`EVENT_CLAIM_MS`). Claims are renewed
   * every quarter of it while the event is served, so only a process that stopped (or whose event
   * loop stalled for three quarters of it) loses them; then the event is free again, and whoever
   * claims it next takes over its job.
   */
  claimMs: number;
  /** A job's lock without renewal (`JOB_LOCK_MS`). */
  lockMs: number;
  /** Safety net for a missed `event-activated`. */
  pollMs: number;
}
/** Event runners kept for reuse; one costs a few objects and no connection. */
const MAX_RUNNERS = 2048;
/** The shortest sleep between claims, so clocks a little apart cannot make the loop spin. */
const MIN_SLEEP_MS = 5;

/**
 * Serves every event queue of the fleet with a constant number of Redis connections per process.
 *
 * Events with work wait in one fleet-wide line (`ActiveEvents`). The dispatcher claims the
 * longest-waiting ones for its free slots, gives each a turn of at most `turnMs` (its
 * `EventRunner` takes ready jobs without blocking and runs them), then puts the event at the back
 * of the line if it has work left, or takes it out. It sleeps when nothing is claimable, woken by
 * `event-activated`, a slot coming free, or the poll.
 *
 * Per-event serialization does not rest on the claims: each event queue has BullMQ global
 * concurrency 1, so however claims race, one job of an event runs at a time, and the event row
 * lock in the allocation step is the backstop behind that.
 */
export class Dispatcher {
  private readonly active: ActiveEvents;
  private readonly runners = new Map<string, EventRunner>();
  private readonly serving = new Map<string, Promise<void>>();
  /** Every turn not yet cleaned up, also one whose event a newer turn has taken over. */
  private readonly turns = new Set<Promise<void>>();
  /**
   * Events whose claims this process renews: those being served, until their release starts.
   * Not `serving`: a renewal after the release would push an event back in line 3 s ahead of
   * when its turn is due, with nobody serving it.
   */
  private readonly claimed = new Set<string>();
  private readonly signal = new Signal();
  private readonly stalledRecheckMs: number;
  private loop: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: DispatcherOptions) {
    this.active = new ActiveEvents(options.redis, options.prefix);
    this.stalledRecheckMs = Math.floor(options.claimMs / 4);
  }

  async start(): Promise<void> {
    const { subscriber, prefix } = this.options;
    subscriber.on('message', (channel: string) => {
      if (channel === eventActivatedChannel(prefix)) this.signal.notify();
    });
    await subscriber.subscribe(eventActivatedChannel(prefix));
    this.renewTimer = setInterval(() => void this.renewClaims(), Math.floor(this.options.claimMs / 4));
    this.loop = this.run();
  }

  /** Events this process is serving a turn of right now. */
  servingEventIds(): string[] {
    return [...this.serving.keys()];
  }

  private async run(): Promise<void> {
    const { concurrency, claimMs, pollMs, logger } = this.options;
    while (!this.closed) {
      let sleepMs = pollMs;
      const free = concurrency - this.serving.size;
      if (free > 0) {
        try {
          const { eventIds, nextDueAt } = await this.active.claim(free, claimMs);
          for (const eventId of eventIds) this.serve(eventId);
          // A free slot left means nothing else is due yet: sleep until the first event in line
          // comes due, so a retry, or a claim running out because its process died, is taken then,
          // not at the next poll.
          if (eventIds.length < free && nextDueAt !== null) {
            sleepMs = Math.min(pollMs, Math.max(MIN_SLEEP_MS, nextDueAt - Date.now()));
          }
        } catch (err) {
          logger.error({ err }, 'could not claim events; will retry');
        }
      }
      // Wakes early when an event becomes active or a slot comes free.
      await this.signal.wait(sleepMs);
    }
  }

  private serve(eventId: string): void {
    this.claimed.add(eventId);
    const turn: Promise<void> = this.turn(eventId)
      .catch((err) => {
        // The claim runs out by itself and the event is served again (Redis down, say).
        this.options.logger.error({ err, eventId }, 'event turn failed; the event will be retried');
      })
      .finally(() => {
        // Released events can be claimed again at once, by this process too: a newer turn of the
        // same event may have started before this one's clean-up runs, and keeps its entries.
        if (this.serving.get(eventId) === turn) {
          this.claimed.delete(eventId);
          this.serving.delete(eventId);
        }
        this.turns.delete(turn);
        this.signal.notify();
      });
    this.serving.set(eventId, turn);
    this.turns.add(turn);
  }

  private async turn(eventId: string): Promise<void> {
    const runner = await this.runner(eventId);
    const deadline = Date.now() + this.options.turnMs;
    const token = randomUUID();
    const more = () => !this.closed && Date.now() < deadline;
    const ran = await runner.runTurn(token, more);
    let state: QueueState = await this.active.queueState(eventId);
    if (ran === 0 && state.active > 0) {
      // A job active that is not ours: its process's claim ran out, so it may be gone.
      const moved = await runner.recoverStalled();
      if (moved.length > 0) {
        this.options.logger.warn({ eventId, jobIds: moved }, 'stalled allocation jobs moved back to wait');
        // The event has waited a whole lease already: run the job now, in this turn (at least
        // one job, even past the deadline), not after going round the line again.
        await runner.runTurn(token, more);
        state = await this.active.queueState(eventId);
      }
    }
    this.claimed.delete(eventId);
    await this.active.release(eventId, state, this.stalledRecheckMs);
  }

  private async runner(eventId: string): Promise<EventRunner> {
    const existing = this.runners.get(eventId);
    if (existing) {
      // Re-insert: the map stays in least-recently-used order.
      this.runners.delete(eventId);
      this.runners.set(eventId, existing);
      return existing;
    }
    const { redis, prefix, processor, lockMs, logger } = this.options;
    const runner = new EventRunner(eventId, { connection: redis, prefix, processor, lockMs });
    runner.on('failed', (job, err) =>
      logger.error({ err, eventId, jobId: job?.id, attempts: job?.attemptsMade }, 'allocation job failed'),
    );
    runner.on('error', (err) => logger.error({ err, eventId }, 'event runner error'));
    try {
      // Set when the event was created; again here in case Redis lost it since.
      await runner.backend.setQueueMeta({ concurrency: 1 });
    } catch (err) {
      await runner.close();
      throw err;
    }
    this.runners.set(eventId, runner);
    this.evictRunners();
    return runner;
  }

  private evictRunners(): void {
    for (const [eventId, runner] of this.runners) {
      if (this.runners.size <= MAX_RUNNERS) return;
      if (this.serving.has(eventId)) continue;
      this.runners.delete(eventId);
      void runner
        .close()
        .catch((err) => this.options.logger.warn({ err, eventId }, 'closing a runner failed'));
    }
  }

  private async renewClaims(): Promise<void> {
    try {
      await this.active.renew([...this.claimed], this.options.claimMs);
    } catch (err) {
      this.options.logger.warn({ err }, 'could not renew event claims');
    }
  }

  /** Stops claiming, lets the turns in hand finish their current job, and hands the events back. */
  async close(): Promise<void> {
    this.closed = true;
    this.signal.notify();
    clearInterval(this.renewTimer);
    await this.loop;
    await Promise.all(this.turns);
    await Promise.all([...this.runners.values()].map((runner) => runner.close()));
    this.runners.clear();
  }
}
