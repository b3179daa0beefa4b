/**
 * The allocation wing of the worker, one booking request's path from its doorbell job to its
 * outcome. Everything outside imports this face, never the files behind it:
 *
 * - `createAllocationProcessor()`: the processor of event-queue jobs; it runs allocation steps
 *   until the job's booking request is decided (allocation-processor.ts).
 * - `runAllocationSteps()`: one allocation step of each of several events, one transaction: load
 *   and lock their state (load-event-state.ts), run each event's ledger, write the changes
 *   (apply-changes.ts); `runAllocationStep()` for one event. The processor's steps go through a
 *   `StepBatcher` (step-batcher.ts), which takes the steps asked for together into one
 *   transaction, and narrows an event whose step fails to find and set aside a poison request
 *   (poison-requests.ts; which failures count: step-failures.ts).
 * - `runLedger()`: the pure rules inside a step (ledger.ts, buyer-limits.ts, seat choice in
 *   seat-inventory.ts), state and requests in, changes out.
 * - `allocationRules(config)`: the rules that come from configuration.
 */
export {
  type AllocationDeps,
  type AllocationJobResult,
  createAllocationProcessor,
} from './allocation-processor.js';
export { type AllocationRules, allocationRules } from './allocation-rules.js';
export {
  type AllocationStepResult,
  type DecidedRequest,
  runAllocationStep,
  runAllocationSteps,
} from './allocation-step.js';
export { type LedgerInput, runLedger } from './ledger.js';
export type {
  BookingState,
  Changes,
  EventState,
  HoldState,
  NewBooking,
  NewHold,
  PendingRequest,
  RequestUpdate,
  WaitlistEntryState,
} from './ledger-types.js';
export { type Seat, SeatInventory } from './seat-inventory.js';
