import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { AllocationRules } from './allocation-rules.js';
import { applyChanges } from './apply-changes.js';
import { type DecisionSpans, startDecisionSpans } from './decision-spans.js';
import { runLedger } from './ledger.js';
import type { Changes, RequestUpdate } from './ledger-types.js';
import { loadEventStates, type QueuedRequest } from './load-event-state.js';

export interface DecidedRequest {
  requestId: string;
  outcome: RequestUpdate['status'];
  /** From queued to this decision, seconds (PostgreSQL's clock at both ends). */
  waitedSeconds: number;
}

export interface AllocationStepResult {
  /** Queued requests this step decided. */
  decided: DecidedRequest[];
  /** Every request whose status changed (decided, or promoted from the waitlist). */
  changedRequestIds: string[];
  /** Holds this step created: each needs its expiry scheduled. */
  newHolds: { id: string; expiresAt: Date }[];
  /** Holds this step confirmed or released before their time: their timers can go. */
  settledHoldIds: string[];
}

/**
 * Waits until every request of each event that has drawn a `seq` has committed, then returns
 * each event's highest queued `seq` (see shared/db/intake-lock.ts): one statement, whose
 * function takes each event's barrier exclusively (in id order, as given) and releases them all
 * when the statement ends (migration 0010).
 */
async function arrivalHorizons(
  sequelize: Sequelize,
  eventIds: readonly string[],
): Promise<Map<string, string | null>> {
  const rows = await sequelize.query<{ id: string; horizon: string | null }>(
    'SELECT e.id, booking_arrival_horizon(e.id) AS horizon FROM unnest($eventIds::uuid[]) AS e(id)',
    { bind: { eventIds }, type: QueryTypes.SELECT },
  );
  return new Map(rows.map((r) => [r.id, r.horizon]));
}

/**
 * One allocation step of each of several events, all in one transaction: for each, expire holds
 * past their time, offer freed seats to the waitlist, decide the next `limit` queued requests
 * oldest first. Bookings, holds, seats, waitlist, request outcomes, counters and the webhook
 * outbox commit together or not at all. Each event is its own ledger; taking several together
 * only shares the round trips and the commit (most steps of a quiet event decide one request).
 * Safe to run concurrently with itself (event rows are locked in id order) and to repeat (only
 * `queued` requests and `active` holds are read). Each decision gets a span in its booking's
 * trace (decision-spans.ts), ended when the transaction commits, failed if it does not.
 */
export async function runAllocationSteps(
  sequelize: Sequelize,
  eventIds: readonly string[],
  limit: number,
  rules: AllocationRules,
): Promise<Map<string, AllocationStepResult>> {
  const horizons = await arrivalHorizons(sequelize, [...new Set(eventIds)].sort());
  let decisions: DecisionSpans | undefined;
  try {
    const results = await decide(sequelize, horizons, limit, rules, (spans) => {
      decisions = spans;
    });
    decisions?.end();
    return results;
  } catch (err) {
    decisions?.fail(err);
    throw err;
  }
}

/** The transaction of `runAllocationSteps()`; `traced` hears of the decision spans before the writes. */
function decide(
  sequelize: Sequelize,
  horizons: Map<string, string | null>,
  limit: number,
  rules: AllocationRules,
  traced: (spans: DecisionSpans) => void,
): Promise<Map<string, AllocationStepResult>> {
  return sequelize.transaction(async (transaction) => {
    const now = new Date();
    const states = await loadEventStates(sequelize, transaction, horizons, limit, now, rules);
    const steps = [...horizons.keys()].map((eventId) => {
      const state = states.get(eventId);
      if (!state) throw new Error(`event ${eventId} has work queued but does not exist`);
      const changes = runLedger(
        {
          eventId,
          event: state.event,
          seats: state.seats,
          bookings: state.bookings,
          holds: state.holds,
          waitlist: state.waitlist,
          waitlistComplete: state.waitlistComplete,
          waitingPerUser: state.waitingPerUser,
          waitlistLimit: rules.waitlistLimit,
          buyers: state.buyers,
          maxHoldsPerUser: rules.maxHoldsPerUser,
          setAside: new Set(
            state.requests
              .filter((r) => r.processingAttempts >= rules.maxProcessingAttempts)
              .map((r) => r.id),
          ),
          now,
          newId: randomUUID,
        },
        state.requests,
      );
      return {
        eventId,
        before: state.event,
        changes,
        requests: state.requests,
        traceContexts: state.traceContexts,
      };
    });
    const decisions = startDecisionSpans(steps);
    traced(decisions);
    await applyChanges(sequelize, transaction, decisions.steps);
    return new Map(steps.map((step) => [step.eventId, stepResult(step.changes, step.requests)]));
  });
}

/** One event's allocation step in its own transaction. */
export async function runAllocationStep(
  sequelize: Sequelize,
  eventId: string,
  limit: number,
  rules: AllocationRules,
): Promise<AllocationStepResult> {
  return (await runAllocationSteps(sequelize, [eventId], limit, rules)).get(eventId)!;
}

function stepResult(changes: Changes, requests: readonly QueuedRequest[]): AllocationStepResult {
  const waited = new Map(requests.map((r) => [r.id, r.waited]));
  return {
    decided: changes.requests
      .filter((r) => r.decided)
      .map((r) => ({
        requestId: r.requestId,
        outcome: r.status,
        waitedSeconds: waited.get(r.requestId) ?? 0,
      })),
    changedRequestIds: changes.requests.map((r) => r.requestId),
    newHolds: changes.holds.map((h) => ({ id: h.id, expiresAt: h.expiresAt })),
    settledHoldIds: changes.endedHolds.filter((e) => e.status !== 'expired').map((e) => e.hold.id),
  };
}
