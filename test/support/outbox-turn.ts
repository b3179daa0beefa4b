import pg from 'pg';
import { TEST_DATABASE_URL } from './database.js';

/** Arbitrary, fixed: "a test file's worker is relaying the outbox". */
const OUTBOX_TURN_LOCK = 727275;

/**
 * The outbox is one table for every test file, and a relay takes whatever is unrelayed: a file
 * whose worker relays it (webhooks, emails) would take another such file's messages into its own
 * Redis prefix, with its own settings. Those files take turns instead: each holds this session
 * advisory lock from before its worker starts until after it stops (a crashed test process's
 * connection closes, and the lock with it). With the turn taken, what is still unrelayed was
 * left by files that do not relay, for which nobody waits: it is set relayed, so the file's
 * worker starts on its own messages instead of behind thousands of others' (each of which would
 * otherwise become an email to a test receiver). Returns the release.
 */
export async function takeOutboxTurn(): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1)', [OUTBOX_TURN_LOCK]);
  await client.query('UPDATE webhook_outbox SET relayed_at = now() WHERE relayed_at IS NULL');
  return async () => {
    await client.end();
  };
}
