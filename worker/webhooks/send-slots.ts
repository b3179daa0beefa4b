/**
 * The deliveries in flight in this worker process (WEBHOOK_CONCURRENCY), whether they belong to
 * a batch or to a job of their own: a batch of 50 takes its turns with everyone else, first come
 * first served.
 */
export class SendSlots {
  private free: number;
  private queue: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}
