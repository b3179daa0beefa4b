import type { Config } from '../../shared/config.js';

/** The rules of an allocation step that come from configuration, read once at start-up. */
export interface AllocationRules {
  /** Hold time when the event sets none (HOLD_TTL_SECONDS). */
  holdTtlSeconds: number;
  /** Waiting entries one user may have per event (WAITLIST_MAX_PER_USER). */
  waitlistLimit: number;
  /** Active holds one buyer may have per event (MAX_HOLDS_PER_USER). */
  maxHoldsPerUser: number;
}

export const allocationRules = (
  config: Pick<Config, 'holdTtlSeconds' | 'waitlistMaxPerUser' | 'maxHoldsPerUser'>,
): AllocationRules => ({
  holdTtlSeconds: config.holdTtlSeconds,
  waitlistLimit: config.waitlistMaxPerUser,
  maxHoldsPerUser: config.maxHoldsPerUser,
});
