import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { RetentionConfig } from '../../shared/config.js';
import type { PrunedTable } from '../../shared/metrics.js';

/**
 * What may be pruned from one table: finished rows (`finished`, the predicate of the table's
 * retention index, migration 0019) whose `age` column is older than the table's retention age,
 * unless `kept` says something still needs them. `kept` is the rule; the foreign keys are the
 * last guard (a batch that races a new reference fails whole and is tried again next round).
 */
export interface PruneTarget {
  table: PrunedTable;
  age: string;
  finished: string;
  kept: string | null;
  /** The id type, and the smallest id: a round's cursor starts before it. */
  idType: 'uuid' | 'bigint';
  firstId: string;
  days: (config: RetentionConfig) => number;
}

/**
 * In the order a round prunes them: deliveries and notifications first, since an outbox message
 * stays while any of them names it. The rules (docs/architecture.md, Retention):
 * - a booking request that starts a purchase (a `book` or `hold` request that won a booking, a
 *   hold or a waitlist entry) lives as long as its purchase: they read its reference and metadata
 *   from it (migration 0014). The rest (cancel, confirm and release requests; rejected and
 *   expired ones) go once decided longer ago than the age. The index leaves the first kind out,
 *   so they cost a round nothing; `kept` covers a waitlisted request rejected later.
 * - deliveries (delivered, failed) and notifications (sent, failed, skipped) go by the time they
 *   finished; pending ones stay however old.
 * - an outbox message goes once relayed longer ago than the age and nothing names it any more;
 *   an unrelayed one stays.
 * - a token revocation goes the age after what it revokes expired: a token past its `exp` is
 *   refused by its signature check, whatever Redis or PostgreSQL say. Every row finishes; its
 *   age is `expires_at` (migration 0021).
 */
export const PRUNE_TARGETS: readonly PruneTarget[] = [
  {
    table: 'webhook_deliveries',
    age: 'updated_at',
    finished: "t.status <> 'pending'",
    kept: null,
    idType: 'uuid',
    firstId: '00000000-0000-0000-0000-000000000000',
    days: (c) => c.webhookDays,
  },
  {
    table: 'email_notifications',
    age: 'updated_at',
    finished: "t.status <> 'pending'",
    kept: null,
    idType: 'uuid',
    firstId: '00000000-0000-0000-0000-000000000000',
    days: (c) => c.emailDays,
  },
  {
    table: 'webhook_outbox',
    age: 'relayed_at',
    finished: 't.relayed_at IS NOT NULL',
    kept: `EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = t.id)
        OR EXISTS (SELECT 1 FROM email_notifications n WHERE n.outbox_id = t.id)`,
    idType: 'bigint',
    firstId: '0',
    days: (c) => c.webhookDays,
  },
  {
    table: 'booking_requests',
    age: 'decided_at',
    finished: `t.decided_at IS NOT NULL
      AND (t.kind IN ('cancel', 'confirm_hold', 'release_hold') OR t.status IN ('rejected', 'expired'))`,
    kept: `EXISTS (SELECT 1 FROM bookings b WHERE b.request_id = t.id)
        OR EXISTS (SELECT 1 FROM holds h WHERE h.request_id = t.id)
        OR EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.request_id = t.id)`,
    idType: 'uuid',
    firstId: '00000000-0000-0000-0000-000000000000',
    days: (c) => c.bookingRequestsDays,
  },
  {
    table: 'token_revocations',
    age: 'expires_at',
    finished: 'true',
    kept: null,
    idType: 'uuid',
    firstId: '00000000-0000-0000-0000-000000000000',
    days: (c) => c.tokenRevocationsDays,
  },
];

/** Where a round has got to in a table: the last row a batch looked at, by (age, id). */
export interface PruneCursor {
  age: string;
  id: string;
}

export interface BatchResult {
  /** Rows the batch looked at: fewer than the limit, the table has nothing older left. */
  scanned: number;
  pruned: number;
  /** Where the next batch starts; null when the batch looked at nothing. */
  next: PruneCursor | null;
}

/**
 * One batch: one statement, so one short transaction. It walks the table's retention index from
 * the cursor (rows a batch keeps are not looked at again in the round), locks at most `limit`
 * rows, skipping any another transaction holds (so it never waits on intake, the allocator or a
 * second pruner), and deletes those nothing needs. It takes no lock on a table beyond what any
 * DELETE takes, which conflicts with no insert or update. Its own transaction unless given one
 * (the tests hold a batch open to show intake goes on meanwhile).
 */
export async function pruneBatch(
  sequelize: Sequelize,
  target: PruneTarget,
  days: number,
  limit: number,
  after: PruneCursor | null,
  transaction?: Transaction,
): Promise<BatchResult> {
  const { table, age, finished, kept, idType } = target;
  const [row] = await sequelize.query<{
    scanned: number;
    pruned: number;
    age: string | null;
    id: string | null;
  }>(
    `WITH candidates AS MATERIALIZED (
       SELECT t.id, t.${age} AS age FROM ${table} t
        WHERE ${finished}
          AND t.${age} < now() - make_interval(days => $days)
          AND (t.${age}, t.id) > ($afterAge::timestamptz, $afterId::${idType})
        ORDER BY t.${age}, t.id
        LIMIT $limit
          FOR UPDATE SKIP LOCKED
     ),
     pruned AS (
       DELETE FROM ${table} t USING candidates c
        WHERE t.id = c.id${kept ? ` AND NOT (${kept})` : ''}
       RETURNING 1
     ),
     last AS (SELECT age, id FROM candidates ORDER BY age DESC, id DESC LIMIT 1)
     SELECT (SELECT count(*) FROM candidates)::int AS scanned, (SELECT count(*) FROM pruned)::int AS pruned,
            (SELECT age::text FROM last) AS age, (SELECT id::text FROM last) AS id`,
    {
      bind: {
        days,
        limit,
        afterAge: after?.age ?? '-infinity',
        afterId: after?.id ?? target.firstId,
      },
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  const { scanned, pruned } = row!;
  return {
    scanned,
    pruned,
    next: row!.age !== null && row!.id !== null ? { age: row!.age, id: row!.id } : null,
  };
}
