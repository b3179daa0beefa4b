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
    /**
     * Told, once per committed transaction, every request whose status it changed: one
     * `request-decided` message for all the events it stepped. Best effort: the decisions are
     * committed whatever it does, so its failure is logged, not passed to the steps.
     */
    private readonly announce: (changedRequestIds: string[]) => Promise<unknown>,
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
        const results = await this.run(batch.map((w) => w.eventId));
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
          await this.run([w.eventId]).then((results) => w.resolve(results.get(w.eventId)!), w.reject);
        }
      }
    }
    this.inFlight -= 1;
  }

  private async run(eventIds: string[]): Promise<Map<string, AllocationStepResult>> {
    const results = await runAllocationSteps(this.sequelize, eventIds, this.limit, this.rules);
    const changed = [...results.values()].flatMap((r) => r.changedRequestIds);
    if (changed.length > 0) {
      await this.announce(changed).catch((err: unknown) =>
        this.logger.warn(
          { err, requests: changed.length },
          'decisions not announced; long-polls find them by their re-read',
        ),
      );
    }
    return results;
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
