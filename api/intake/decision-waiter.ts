import { requestDecidedChannel } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';

type Wake = () => void;

/**
 * Long-polling support: one Redis subscription per API process on the "request decided"
 * channel, fanned out to the requests waiting in this process. Pub/sub is best effort, so
 * waiters also re-check the database every `recheckMs`: a lost message costs latency, never
 * correctness.
 */
export class DecisionWaiter {
  private readonly waiting = new Map<string, Set<Wake>>();

  constructor(
    private readonly subscriber: RedisClient,
    private readonly prefix: string,
    private readonly recheckMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== requestDecidedChannel(this.prefix)) return;
      for (const id of JSON.parse(message) as string[]) {
        for (const wake of this.waiting.get(id) ?? []) wake();
      }
    });
    await this.subscriber.subscribe(requestDecidedChannel(this.prefix));
  }

  /**
   * Resolves when `isDecided()` turns true or `timeoutMs` passes, whichever is first. The
   * wake-up is registered before each check, so a decision published in between is not missed.
   */
  async waitFor(
    bookingRequestId: string,
    timeoutMs: number,
    isDecided: () => Promise<boolean>,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nap = this.napUntilWoken(bookingRequestId, Math.min(this.recheckMs, deadline - Date.now()));
      if ((await isDecided()) || Date.now() >= deadline) {
        nap.wake();
        return;
      }
      await nap.done;
    }
  }

  private napUntilWoken(bookingRequestId: string, ms: number): { done: Promise<void>; wake: Wake } {
    const set = this.waiting.get(bookingRequestId) ?? new Set<Wake>();
    this.waiting.set(bookingRequestId, set);
    let wake: Wake = () => {};
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake(), Math.max(0, ms));
      wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.waiting.delete(bookingRequestId);
        resolve();
      };
    });
    set.add(wake);
    return { done, wake };
  }

  /** How many requests this process is long-polling for (exposed for tests and metrics). */
  get size(): number {
    return this.waiting.size;
  }
}
