import type { Sequelize } from 'sequelize';
import type { Logger } from '../../shared/logger.js';
import type { AllocationRules } from './allocation-rules.js';
import { type AllocationStepResult, runAllocationSteps } from './allocation-step.js';

/** Most events one transaction steps together. */
const MAX_EVENTS = 64;
/** Transactions in flight at once per process: a slow one (a big seat map) does not stall the rest. */
const MAX_IN_FLIGHT = 2;

interface Waiting {
  eventId: string;
  resolve: (result: AllocationStepResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for allocation steps. Each event is still stepped by one job at a time, but the
 * steps that the process's slots ask for while earlier ones run are taken together: one arrival
 * horizon statement, one transaction, one query per kind of row and one commit for all of them
 * (`runAllocationSteps`). With a thousand quiet events on sale, a step usually decides one
 * request, and its round trips and commit, not its rows, are what it costs. A lone step goes
 * out at once, so an idle service adds no delay. If a shared transaction fails, each of its
 * events is stepped on its own, so one event's failure is only its own.
 */
export class StepBatcher {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly limit: number,
    private readonly rules: AllocationRules,
    private readonly logger: Logger,
  ) {}

  step(eventId: string): Promise<AllocationStepResult> {
    const result = new Promise<AllocationStepResult>((resolve, reject) =>
      this.waiting.push({ eventId, resolve, reject }),
    );
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight += 1;
      setImmediate(() => void this.drain());
    }
    return result;
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.takeBatch();
      try {
        const results = await runAllocationSteps(
          this.sequelize,
          batch.map((w) => w.eventId),
          this.limit,
          this.rules,
        );
        for (const w of batch) w.resolve(results.get(w.eventId)!);
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        this.logger.warn(
          { err, events: batch.length },
          'a shared allocation step failed; stepping its events one by one',
        );
        for (const w of batch) {
          await runAllocationSteps(this.sequelize, [w.eventId], this.limit, this.rules).then(
            (results) => w.resolve(results.get(w.eventId)!),
            w.reject,
          );
        }
      }
    }
    this.inFlight -= 1;
  }

  /** The oldest waiting steps, one per event (a second ask for an event waits for the next batch). */
  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const events = new Set<string>();
    for (let i = 0; i < this.waiting.length && batch.length < MAX_EVENTS; ) {
      const w = this.waiting[i]!;
      if (events.has(w.eventId)) {
        i += 1;
        continue;
      }
      events.add(w.eventId);
      batch.push(w);
      this.waiting.splice(i, 1);
    }
    return batch;
  }
}
