/**
 * Delay before retry number `attempt` (1-based): the configured schedule with ±10 % jitter, so
 * endpoints that failed together do not retry in lockstep; never sooner than the receiver's
 * `Retry-After`.
 */
export function retryDelayMs(
  scheduleMs: readonly number[],
  attempt: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const base = scheduleMs[Math.min(attempt, scheduleMs.length) - 1] ?? 0;
  const jittered = Math.round(base * (0.9 + 0.2 * random()));
  return Math.max(jittered, retryAfterMs ?? 0);
}
