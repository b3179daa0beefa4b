/**
 * Intake: the API path that records booking requests and rings their event (docs/architecture.md,
 * "A booking, end to end"). This file is its one public face; nothing outside api/intake/ imports
 * the modules behind it. A submission runs one way down:
 *
 *   http.ts           route helpers: Idempotency-Key, the seat-request handler, sending the answer
 *   seat-selection.ts the body of a booking or hold, and its seats checked against the map (422)
 *   reference.ts      the partner's reference on a booking or hold (externalReference, metadata)
 *   submit.ts         `Intake.submit()`: backpressure, group commit, replays, refusals, the answer
 *   queued-requests.ts backpressure's reading of an event's queued requests
 *   group-commit.ts   one statement per group of requests arriving together (any events), one ring
 *                     per event of the group; exported for tests that drive it directly
 *   insert-statement.ts the statement: barrier, the booking rule, account check, insert, positions
 *   ring.ts           rings the event (shared/enqueue.ts), leaving failures to the reconciler
 *   refusal.ts        404 or 409 for an event that cannot take the booking
 *   view.ts, position.ts what a request produced and its place in the queue
 *   decision-waiter.ts long-polls woken when a request is decided
 */
export { DecisionWaiter } from './decision-waiter.js';
export { GroupCommit } from './group-commit.js';
export {
  preferredWaitSeconds,
  readIdempotencyKey,
  reply,
  seatRequestBody,
  seatRequestHandler,
} from './http.js';
export { Intake, type IntakeDeps, type Submission } from './submit.js';
export { type IntakeAnswer, requestResults } from './view.js';
