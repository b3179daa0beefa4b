import { QueryTypes, type Sequelize } from 'sequelize';
import { REJECTION_REASONS } from '../../shared/domain.js';
import { failureMessage } from './step-failures.js';

/**
 * A poison request: a booking request on which the allocation step fails every time. Events
 * decide in strict arrival order, so until it is decided nothing after it is; it must not be
 * retried for ever. Each failed step it is found to cause is counted on its row
 * (`processing_attempts`, with the error's message in `processing_error`), so the count survives
 * a worker's crash; a request that reaches MAX_PROCESSING_ATTEMPTS is set aside: the next step
 * rejects it `processing_failed` without looking at it (`setAside` of the ledger), in a
 * transaction of its own, through the normal path (outcome, `booking.rejected`, email). How a
 * failing step finds its culprit is the StepBatcher's part (step-batcher.ts).
 */

export interface FailureCount {
  bookingRequestId: string;
  /** Failed steps counted against it so far, this one included. */
  attempts: number;
}

/**
 * Counts a failed step against the head of the event's line: the oldest queued request, the one
 * a step of one request failed on (nothing else decides this event meanwhile: its queue runs one
 * job at a time). Null when nothing is queued.
 */
export async function countFailure(
  sequelize: Sequelize,
  eventId: string,
  err: unknown,
): Promise<FailureCount | null> {
  const [row] = await sequelize.query<FailureCount>(
    `UPDATE booking_requests SET processing_attempts = processing_attempts + 1, processing_error = $error
      WHERE id = (SELECT id FROM booking_requests WHERE event_id = $eventId AND status = 'queued'
                   ORDER BY seq LIMIT 1)
        AND status = 'queued'
      RETURNING id AS "bookingRequestId", processing_attempts AS attempts`,
    { bind: { eventId, error: failureMessage(err) }, type: QueryTypes.SELECT },
  );
  return row ?? null;
}

/**
 * The last resort, when even the step that sets the request aside fails (its rejection or its
 * message is what cannot be written): the request alone is marked rejected, without its
 * `booking.rejected` message, so the event still moves on. True if it was still queued.
 */
export async function rejectBare(sequelize: Sequelize, bookingRequestId: string): Promise<boolean> {
  const rows = await sequelize.query(
    `UPDATE booking_requests SET status = 'rejected', reason = $reason, decided_at = now()
      WHERE id = $id AND status = 'queued' RETURNING id`,
    { bind: { id: bookingRequestId, reason: REJECTION_REASONS.processingFailed }, type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}
