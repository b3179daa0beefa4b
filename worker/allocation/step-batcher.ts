import { type Context, context, type Link, trace } from '@opentelemetry/api';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../../shared/logger.js';
import { countSetAside } from '../../shared/metrics.js';
import { ATTR, inSpan } from '../../shared/tracing/index.js';
import type { AllocationRules } from './allocation-rules.js';
import { type AllocationStepResult, runAllocationSteps } from './allocation-step.js';
import { countFailure, rejectBare } from './poison-requests.js';
import { failureMessage, isPassingFailure } from './step-failures.js';

/** Most events one transaction steps together. */
const MAX_EVENTS = 64;
/** Transactions in flight at once per process: a slow one (a big seat map) does not stall the rest. */
const MAX_IN_FLIGHT = 2;

interface Waiting {
  eventId: string;
  /** The asking job's context: its span is the step's parent, or linked from it. */
  context: Context;
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
 *
 * An event whose own step fails with an error that is not a passing one (step-failures.ts) is
 * narrowed: stepped alone, one request at a time, until the requests its failed step would have
 * taken are decided. The requests before the culprit are decided one by one; the step that fails
 * with one request names it, and the failure is counted against it (poison-requests.ts), unless
 * a step deciding no request fails too (then the event's own state, its due holds or waitlist,
 * is what fails, and no request is blamed). At MAX_PROCESSING_ATTEMPTS the request is set aside
 * and the event goes back to full steps.
 */
export class StepBatcher {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  /** Narrowed events: how many more requests to decide one at a time before full steps again. */
  private readonly narrowed = new Map<string, number>();

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
    // Alone: a step that may fail again must not fail the other events' transaction.
    if (this.narrowed.has(eventId)) return this.narrowStep(eventId);
    const result = new Promise<AllocationStepResult>((resolve, reject) =>
      this.waiting.push({ eventId, context: context.active(), resolve, reject }),
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
        const results = await this.run(
          batch.map((w) => w.eventId),
          this.limit,
          batch.map((w) => w.context),
        );
        for (const w of batch) w.resolve(results.get(w.eventId)!);
      } catch (err) {
        if (batch.length === 1) {
          const [w] = batch as [Waiting];
          await context.with(w.context, () => this.afterFailure(w.eventId, err)).then(w.resolve, w.reject);
          continue;
        }
        this.logger.warn(
          { err, events: batch.length },
          'a shared allocation step failed; stepping its events one by one',
        );
        for (const w of batch) {
          await context.with(w.context, () =>
            this.run([w.eventId]).then(
              (results) => w.resolve(results.get(w.eventId)!),
              (err: unknown) => this.afterFailure(w.eventId, err).then(w.resolve, w.reject),
            ),
          );
        }
      }
    }
    this.inFlight -= 1;
  }

  /**
   * An event's own step failed. A passing failure is thrown as before (BullMQ retries the job
   * with backoff); any other narrows the event to find the request it fails on.
   */
  private afterFailure(eventId: string, err: unknown): Promise<AllocationStepResult> {
    if (isPassingFailure(err)) return Promise.reject(err);
    this.narrowed.set(eventId, this.limit);
    this.logger.warn(
      { eventId, cause: failureMessage(err) },
      'allocation step failed; stepping the event one request at a time to find the cause',
    );
    return this.narrowStep(eventId);
  }

  /** A step of one request; see the class comment. */
  private async narrowStep(eventId: string): Promise<AllocationStepResult> {
    let result: AllocationStepResult;
    try {
      result = (await this.run([eventId], 1)).get(eventId)!;
    } catch (err) {
      if (isPassingFailure(err)) throw err;
      return this.blameHead(eventId, err);
    }
    const left = (this.narrowed.get(eventId) ?? 0) - result.decided.length;
    if (result.decided.length === 0 || left <= 0) this.narrowed.delete(eventId);
    else this.narrowed.set(eventId, left);
    return result;
  }

  /**
   * A step of one request failed with `err`. If a step deciding no request succeeds, that request
   * is the cause: the failure is counted against it, and at the limit it is set aside. Holds or
   * promotions that check step made have their timers left to the reconciler's sweep.
   */
  private async blameHead(eventId: string, err: unknown): Promise<AllocationStepResult> {
    try {
      await this.run([eventId], 0);
    } catch (stateErr) {
      if (!isPassingFailure(stateErr)) {
        this.logger.error(
          { eventId, cause: failureMessage(stateErr) },
          'allocation step fails without any request (due holds or the waitlist): no request is set aside',
        );
      }
      throw err;
    }
    const failure = await countFailure(this.sequelize, eventId, err);
    if (!failure) throw err;
    const max = this.rules.maxProcessingAttempts;
    const fields = { eventId, bookingRequestId: failure.bookingRequestId, attempts: failure.attempts, max };
    if (failure.attempts < max) {
      this.logger.warn(
        { ...fields, cause: failureMessage(err) },
        'allocation step failed on this booking request',
      );
      throw err;
    }
    let result: AllocationStepResult;
    try {
      // The ledger rejects it unseen (its attempts reached the limit): outcome, message and email as usual.
      result = (await this.run([eventId], 1)).get(eventId)!;
    } catch (rejectErr) {
      if (isPassingFailure(rejectErr)) throw rejectErr;
      if (!(await rejectBare(this.sequelize, failure.bookingRequestId))) throw rejectErr;
      this.logger.error(
        { ...fields, cause: failureMessage(rejectErr) },
        'setting the booking request aside failed too: rejected without its booking.rejected message',
      );
      result = {
        decided: [],
        changedRequestIds: [failure.bookingRequestId],
        newHolds: [],
        settledHoldIds: [],
      };
    }
    this.narrowed.delete(eventId);
    countSetAside();
    this.logger.error(
      { ...fields, cause: failureMessage(err) },
      'booking request set aside: rejected processing_failed after failing every allocation step',
    );
    return result;
  }

  /**
   * One transaction, in an `allocation.step` span: a child of the first asking job's span, linked
   * from the others' (`askers`, the active context by default).
   */
  private async run(
    eventIds: string[],
    limit = this.limit,
    askers: Context[] = [context.active()],
  ): Promise<Map<string, AllocationStepResult>> {
    const links = askers.slice(1).flatMap((asker): Link[] => {
      const job = trace.getSpanContext(asker);
      return job ? [{ context: job }] : [];
    });
    const attributes = {
      [ATTR.events]: eventIds.length,
      ...(eventIds.length === 1 ? { [ATTR.eventId]: eventIds[0] } : {}),
    };
    const results = await inSpan(
      'allocation.step',
      { links, attributes },
      async (span) => {
        const stepped = await runAllocationSteps(this.sequelize, eventIds, limit, this.rules);
        span.setAttribute(
          ATTR.decided,
          [...stepped.values()].reduce((n, r) => n + r.decided.length, 0),
        );
        return stepped;
      },
      askers[0],
    );
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
