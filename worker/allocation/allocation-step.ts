import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { AllocationRules } from './allocation-rules.js';
import { applyChanges } from './apply-changes.js';
import { runLedger } from './ledger.js';
import type { RequestUpdate } from './ledger-types.js';
import { loadEventState } from './load-event-state.js';

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
 * Waits until every request of the event that has drawn a `seq` has committed, then returns
 * the highest queued `seq` (see shared/db/intake-lock.ts): one statement, whose function takes
 * the barrier exclusively and releases it when the statement ends (migration 0010).
 */
async function arrivalHorizon(sequelize: Sequelize, eventId: string): Promise<string | null> {
  const [row] = await sequelize.query<{ horizon: string | null }>(
    'SELECT booking_arrival_horizon($eventId) AS horizon',
    { bind: { eventId }, type: QueryTypes.SELECT },
  );
  return row?.horizon ?? null;
}

/**
 * One allocation step of an event, in one transaction: expire holds past their time, offer freed
 * seats to the waitlist, decide the next `limit` queued requests oldest first. Bookings, holds,
 * seats, waitlist, request outcomes, counters and the webhook outbox commit together or not at
 * all. Safe to run concurrently with itself (the event row lock serializes it) and to repeat
 * (only `queued` requests and `active` holds are read).
 */
export async function runAllocationStep(
  sequelize: Sequelize,
  eventId: string,
  limit: number,
  rules: AllocationRules,
): Promise<AllocationStepResult> {
  const horizon = await arrivalHorizon(sequelize, eventId);
  return sequelize.transaction(async (transaction) => {
    const now = new Date();
    const state = await loadEventState(sequelize, transaction, eventId, horizon, limit, now, rules);
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
        now,
        newId: randomUUID,
      },
      state.requests,
    );
    await applyChanges(sequelize, transaction, eventId, state.event, changes);
    const waited = new Map(state.requests.map((r) => [r.id, r.waited]));
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
  });
}
