import type { Redis } from 'ioredis';
import { Op } from 'sequelize';
import { BookingRequest } from '../../shared/db/models/index.js';
import type { Logger } from '../../shared/logger.js';
import { requestDecidedChannel } from '../../shared/queues.js';

type Deliver = (decided: BookingRequest) => void;

/** One long-poll's interest in one booking request, from before its first read to its answer. */
export interface Watch {
  /** The request's row once decided, or null if `timeoutMs` passes first. */
  decided(timeoutMs: number): Promise<BookingRequest | null>;
  /** Stops watching; call it whatever happened (a `finally`). */
  stop(): void;
}

/**
 * Long-polling support: one Redis subscription per API process on the "request decided"
 * channel, fanned out in memory to the long-polls waiting in this process. A message's decided
 * requests are re-read in one query for all their long-polls, and each long-poll gets its row
 * from it, so a flash sale's long-polls cost one query per allocation step, not one each.
 * Pub/sub is best effort, so every `recheckMs` one query re-reads every watched request: a lost
 * message costs latency, never correctness.
 */
export class DecisionWaiter {
  private readonly waiting = new Map<string, Set<Deliver>>();
  private recheck: NodeJS.Timeout | undefined;

  constructor(
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly recheckMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== requestDecidedChannel(this.prefix)) return;
      const watched = (JSON.parse(message) as string[]).filter((id) => this.waiting.has(id));
      this.readDecided(watched);
    });
    await this.subscriber.subscribe(requestDecidedChannel(this.prefix));
    this.recheck = setInterval(() => this.readDecided([...this.waiting.keys()]), this.recheckMs);
  }

  close(): void {
    clearInterval(this.recheck);
  }

  /**
   * Starts watching a booking request. Call it before reading the request: a decision published
   * while the caller reads it then still reaches this watch.
   */
  watch(bookingRequestId: string): Watch {
    let deliver: Deliver = () => {};
    const delivered = new Promise<BookingRequest>((resolve) => {
      deliver = resolve;
    });
    const set = this.waiting.get(bookingRequestId) ?? new Set<Deliver>();
    this.waiting.set(bookingRequestId, set);
    set.add(deliver);
    const stop = () => {
      set.delete(deliver);
      if (set.size === 0 && this.waiting.get(bookingRequestId) === set) this.waiting.delete(bookingRequestId);
    };
    return {
      stop,
      async decided(timeoutMs: number) {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), Math.max(0, timeoutMs));
        });
        try {
          return await Promise.race([delivered, timedOut]);
        } finally {
          clearTimeout(timer);
          stop();
        }
      },
    };
  }

  /** Reads which of `ids` are decided, in one query, and hands each row to its long-polls. */
  private readDecided(ids: string[]): void {
    if (ids.length === 0) return;
    BookingRequest.findAll({ where: { id: { [Op.in]: ids }, status: { [Op.ne]: 'queued' } } })
      .then((rows) => {
        for (const row of rows) {
          const set = this.waiting.get(row.id);
          if (!set) continue;
          this.waiting.delete(row.id);
          for (const deliver of set) deliver(row);
        }
      })
      // The next recheck reads them again: a failed read delays these answers, it loses none.
      .catch((err: unknown) => this.logger.warn({ err }, 'reading decided booking requests failed'));
  }

  /** How many requests this process is long-polling for (exposed for tests and metrics). */
  get size(): number {
    return this.waiting.size;
  }
}
