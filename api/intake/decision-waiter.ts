import type { Sequelize } from 'sequelize';
import { BookingRequest } from '../../shared/db/models/index.js';
import type { Logger } from '../../shared/logger.js';
import { requestDecidedChannel } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';
import { REQUEST_INCLUDES, type RequestResults } from '../presenters.js';
import { requestResultsOfMany } from './view.js';

/** A booking request as a long-poll read it: with what it produced once decided, else null. */
export interface Read {
  request: BookingRequest;
  results: RequestResults | null;
}

/** A decided booking request with what it produced: all a long-poll needs to answer. */
export interface Decided {
  request: BookingRequest;
  results: RequestResults;
}

type Deliver = (decided: Decided) => void;

interface FirstRead {
  resolve: (read: Read | null) => void;
  reject: (err: unknown) => void;
}

/** Most booking requests one read asks for; more wait for the next read. */
const MAX_READ = 1000;

/** One long-poll's interest in one booking request, from before its first read to its answer. */
export interface Watch {
  /** The request as it is now (null: no such request), read together with other long-polls'. */
  current(): Promise<Read | null>;
  /** The request once decided, or null if `timeoutMs` passes first. */
  decided(timeoutMs: number): Promise<Decided | null>;
  /** Stops watching; call it whatever happened (a `finally`). */
  stop(): void;
}

/**
 * Long-polling support. One Redis subscription per API process on the "request decided"
 * channel, fanned out in memory to the long-polls waiting in this process, and one read of
 * PostgreSQL in flight at a time for all of them: what long-polls need while a read runs (their
 * first look at a request, the requests a message says are decided) is read together by the
 * next one, with what the decided ones produced, in one query per table. So a busy process
 * makes larger reads rather than more of them, as the intake's group commit does with inserts;
 * a flash sale's long-polls cost a few queries per read, not a few each.
 * Pub/sub is best effort, so every `recheckMs` every watched request is read again: a lost
 * message costs latency, never correctness.
 */
export class DecisionWaiter {
  private readonly waiting = new Map<string, Set<Deliver>>();
  private readonly firstReads = new Map<string, FirstRead[]>();
  private readonly toRead = new Set<string>();
  private reading = false;
  private recheck: NodeJS.Timeout | undefined;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly prefix: string,
    private readonly sequelize: Sequelize,
    private readonly logger: Logger,
    private readonly recheckMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== requestDecidedChannel(this.prefix)) return;
      this.read((JSON.parse(message) as string[]).filter((id) => this.waiting.has(id)));
    });
    await this.subscriber.subscribe(requestDecidedChannel(this.prefix));
    this.recheck = setInterval(() => this.read([...this.waiting.keys()]), this.recheckMs);
  }

  close(): void {
    clearInterval(this.recheck);
  }

  /**
   * Starts watching a booking request. Its first read comes after this, so a decision
   * published at any time from now on reaches the watch.
   */
  watch(bookingRequestId: string): Watch {
    let deliver: Deliver = () => {};
    const delivered = new Promise<Decided>((resolve) => {
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
      current: () =>
        new Promise<Read | null>((resolve, reject) => {
          const readers = this.firstReads.get(bookingRequestId) ?? [];
          this.firstReads.set(bookingRequestId, readers);
          readers.push({ resolve, reject });
          this.read([bookingRequestId]);
        }),
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

  /**
   * A booking request's outcome once decided, or null if `timeoutMs` passes first: one read (it
   * may be decided already), then the wait. For callers that already know the request is theirs.
   */
  async outcome(bookingRequestId: string, timeoutMs: number): Promise<Decided | null> {
    const watch = this.watch(bookingRequestId);
    try {
      const read = await watch.current();
      if (read?.results) return { request: read.request, results: read.results };
      return await watch.decided(timeoutMs);
    } finally {
      watch.stop();
    }
  }

  /** Asks for `ids` in the next read; starts one (after this event-loop turn) unless one runs. */
  private read(ids: readonly string[]): void {
    for (const id of ids) this.toRead.add(id);
    if (this.reading || this.toRead.size === 0) return;
    this.reading = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.toRead.size > 0) {
      const ids = [...this.toRead].slice(0, MAX_READ);
      // First reads asked for from now on need a read that starts after them: the next one.
      const readers = new Map<string, FirstRead[]>();
      for (const id of ids) {
        this.toRead.delete(id);
        readers.set(id, this.firstReads.get(id) ?? []);
        this.firstReads.delete(id);
      }
      try {
        const reads = await this.readMany(ids);
        for (const id of ids) {
          const read = reads.get(id) ?? null;
          for (const reader of readers.get(id)!) reader.resolve(read);
          const set = this.waiting.get(id);
          if (!read?.results || !set) continue;
          this.waiting.delete(id);
          for (const deliver of set) deliver({ request: read.request, results: read.results });
        }
      } catch (err) {
        // Watchers hear at the next recheck; a first read has no later chance, so it fails.
        this.logger.warn({ err }, 'reading long-polled booking requests failed');
        for (const reader of [...readers.values()].flat()) reader.reject(err);
      }
    }
    this.reading = false;
  }

  /** The requests of `ids` that exist, with what the decided ones produced, in one query per table. */
  private async readMany(ids: string[]): Promise<Map<string, Read>> {
    const requests = await BookingRequest.findAll({ where: { id: ids }, include: REQUEST_INCLUDES });
    const decided = requests.filter((r) => r.status !== 'queued');
    const results = await requestResultsOfMany(this.sequelize, decided);
    const reads = new Map<string, Read>(requests.map((request) => [request.id, { request, results: null }]));
    decided.forEach((request, i) => {
      reads.get(request.id)!.results = results[i]!;
    });
    return reads;
  }

  /** How many requests this process is long-polling for (exposed for tests and metrics). */
  get size(): number {
    return this.waiting.size;
  }
}
