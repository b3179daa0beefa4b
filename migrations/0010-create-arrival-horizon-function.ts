import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * The allocator's arrival horizon in one round trip instead of a four-statement transaction
 * (see shared/db/intake-lock.ts). The function runs as one autocommit statement: it waits for the
 * event's intake barrier exclusively, which every intake still committing holds shared, then
 * reads the highest queued seq. VOLATILE: in READ COMMITTED the SELECT inside takes a snapshot
 * of its own, after the lock is granted, so it sees every request that drew a seq before. The
 * lock is released when the statement's transaction ends, at once.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE FUNCTION booking_arrival_horizon(event uuid) RETURNS bigint
      LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtextextended('booking-intake:' || event::text, 0));
      RETURN (SELECT max(seq) FROM booking_requests WHERE event_id = event AND status = 'queued');
    END
    $$;
  `);
}
