import type { Config } from '../../shared/config.js';

/** The rules of an allocation step that come from configuration, read once at start-up. */
export interface AllocationRules {
  /** Hold time when the event sets none (HOLD_TTL_SECONDS). */
  holdTtlSeconds: number;
  /** Longest hold, whatever an event set before the operator lowered it (MAX_HOLD_TTL_SECONDS). */
  maxHoldTtlSeconds: number;
  /** Waiting entries one user may have per event (WAITLIST_MAX_PER_USER). */
  waitlistLimit: number;
  /** Active holds one buyer may have per event (MAX_HOLDS_PER_USER). */
  maxHoldsPerUser: number;
  /** Failed steps a request may cause before it is set aside (MAX_PROCESSING_ATTEMPTS). */
  maxProcessingAttempts: number;
}

export const allocationRules = (
  config: Pick<
    Config,
    | 'holdTtlSeconds'
    | 'maxHoldTtlSeconds'
    | 'waitlistMaxPerUser'
    | 'maxHoldsPerUser'
    | 'maxProcessingAttempts'
  >,
): AllocationRules => ({
  holdTtlSeconds: config.holdTtlSeconds,
  maxHoldTtlSeconds: config.maxHoldTtlSeconds,
  waitlistLimit: config.waitlistMaxPerUser,
  maxHoldsPerUser: config.maxHoldsPerUser,
  maxProcessingAttempts: config.maxProcessingAttempts,
});
