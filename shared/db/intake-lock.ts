/**
 * The per-event intake barrier.
 *
 * Intake takes this lock in SHARED mode around inserting a booking request; the allocator
 * takes it EXCLUSIVELY for an instant before reading its work list. Once the allocator holds
 * it, every request that has drawn a `seq` has committed, so "all queued rows with
 * seq <= max(seq)" is a gap-free prefix of arrival order and nothing can be decided ahead of an
 * earlier request that was still committing. Intake never waits on the allocation itself.
 */
// migrations/0010 (booking_arrival_horizon) computes the same key: change both or neither.
export const intakeLockKeySql = (eventIdSql: string) =>
  `hashtextextended('booking-intake:' || ${eventIdSql}::text, 0)`;
