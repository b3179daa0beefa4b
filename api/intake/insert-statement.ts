import { QueryTypes, type Sequelize } from 'sequelize';
import { canTakeBookingsSql } from '../../shared/booking-rules.js';
import { INTAKE_LOCK_KEY_SQL } from '../../shared/db/intake-lock.js';
import type { BookingRequestKind, BookingRequestPayload } from '../../shared/domain.js';
import { POSITION_CAP } from './position.js';

/** A booking request as the intake statement inserted it, with its place in the event's queue. */
export interface IntakeRow {
  id: string;
  seq: string;
  userId: string;
  eventId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  idempotencyKey: string | null;
  fingerprint: string;
  status: 'queued';
  queuedAt: Date;
  position: number;
}

/** One submission to insert; `id` is made in the API. */
export interface IntakeInput {
  id: string;
  userId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  idempotencyKey: string | null;
  fingerprint: string;
}

/** What the statement did with one submission. */
export type IntakeResult =
  | { inserted: IntakeRow }
  /**
   * Not inserted: its idempotency key exists, or (`eligible` false) the event cannot take it,
   * or (`accountRefused`) the caller's account is disabled or gone.
   */
  | { inserted: null; eligible: boolean; accountRefused: boolean };

/**
 * The intake statement, one round trip for a whole group: take the event's intake barrier
 * (shared), check the event can take the requests (book and hold: shared/booking-rules.ts), insert
 * those whose idempotency key is new, and count each one's place in the queue. Autocommit makes
 * it its own transaction, so the rows are durable when the statement returns (see
 * shared/db/intake-lock.ts for why the barrier). Rows are inserted in the group's order, so `seq`
 * follows arrival within the group too.
 */
const INTAKE_SQL = `
  WITH barrier AS (SELECT pg_advisory_xact_lock_shared(${INTAKE_LOCK_KEY_SQL})),
  eligible AS (
    SELECT e.id FROM events e, barrier
     WHERE e.id = $eventId::uuid
       AND (NOT $requireOnSale::boolean OR ${canTakeBookingsSql('e')})
  ),
  input AS (
    SELECT * FROM unnest($ids::uuid[], $userIds::uuid[], $kinds::text[], $payloads::jsonb[],
                         $keys::text[], $prints::text[])
      WITH ORDINALITY AS t(id, user_id, kind, payload, idempotency_key, fingerprint, ord)
  ),
  -- Accounts that may still book: a disabled or deleted one's row is left out (its caller hears
  -- 401), so it can neither fail the statement for everyone else nor slip past a lost revocation.
  active AS (
    SELECT u.id FROM users u WHERE u.id = ANY ($userIds::uuid[]) AND u.disabled_at IS NULL
  ),
  refused AS (
    SELECT coalesce(array_agg(DISTINCT i.user_id), '{}') AS ids
      FROM input i WHERE i.user_id NOT IN (SELECT id FROM active)
  ),
  inserted AS (
    INSERT INTO booking_requests (id, user_id, event_id, kind, payload, idempotency_key, fingerprint)
    SELECT i.id, i.user_id, eligible.id, i.kind, i.payload, i.idempotency_key, i.fingerprint
      FROM input i JOIN active a ON a.id = i.user_id, eligible ORDER BY i.ord
    ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
  ),
  ahead AS (
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM booking_requests q
       WHERE q.event_id = $eventId::uuid AND q.status = 'queued' AND q.seq < (SELECT min(seq) FROM inserted)
       LIMIT ${POSITION_CAP - 1}) a
  )
  SELECT inserted.id, inserted.seq, inserted.user_id AS "userId", inserted.event_id AS "eventId",
         inserted.kind, inserted.payload, inserted.idempotency_key AS "idempotencyKey", inserted.fingerprint,
         inserted.status, inserted.queued_at AS "queuedAt",
         least(${POSITION_CAP}, ahead.n + row_number() OVER (ORDER BY inserted.seq))::int AS position,
         (SELECT count(*) FROM eligible)::int AS eligible, refused.ids AS refused
    FROM inserted, ahead, refused
  UNION ALL
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM eligible)::int,
         refused.ids
    FROM refused WHERE NOT EXISTS (SELECT 1 FROM inserted)`;

/** Runs the intake statement for one group of one event; each input's result, by input id. */
export async function insertGroup(
  sequelize: Sequelize,
  eventId: string,
  requireOnSale: boolean,
  group: readonly IntakeInput[],
): Promise<Map<string, IntakeResult>> {
  const rows = await sequelize.query<IntakeRow & { eligible: number; refused: string[] }>(INTAKE_SQL, {
    bind: {
      eventId,
      requireOnSale,
      ids: group.map((i) => i.id),
      userIds: group.map((i) => i.userId),
      kinds: group.map((i) => i.kind),
      payloads: group.map((i) => JSON.stringify(i.payload)),
      keys: group.map((i) => i.idempotencyKey),
      prints: group.map((i) => i.fingerprint),
    },
    type: QueryTypes.SELECT,
  });
  const eligible = (rows[0]?.eligible ?? 0) > 0;
  const refused = new Set(rows[0]?.refused ?? []);
  const inserted = new Map(
    rows.filter((r) => r.id).map(({ eligible: _, refused: __, ...row }) => [row.id, row as IntakeRow]),
  );
  return new Map(
    group.map((i) => {
      const row = inserted.get(i.id);
      const accountRefused = refused.has(i.userId);
      return [i.id, row ? { inserted: row } : { inserted: null, eligible, accountRefused }];
    }),
  );
}
