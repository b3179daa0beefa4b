import { QueryTypes, type Sequelize } from 'sequelize';
import { canTakeBookingsSql } from '../../shared/booking-rules.js';
import { intakeLockKeySql } from '../../shared/db/intake-lock.js';
import type { BookingRequestKind, BookingRequestPayload, PurchaseReference } from '../../shared/domain.js';
import { POSITION_CAP } from './position.js';

/** A booking request as the intake statement inserted it, with its place in the event's queue. */
export interface IntakeRow {
  id: string;
  seq: string;
  userId: string;
  eventId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  externalReference: string | null;
  metadata: Record<string, string>;
  idempotencyKey: string | null;
  fingerprint: string;
  status: 'queued';
  queuedAt: Date;
  position: number;
  /** Its event's summary, as a booking request is presented (api/presenters.ts). */
  event: { id: string; name: string; venue: string; startsAt: Date };
}

/** One submission to insert; `id` is made in the API. */
export interface IntakeInput {
  id: string;
  eventId: string;
  userId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  reference: PurchaseReference;
  idempotencyKey: string | null;
  fingerprint: string;
  /** The intake span's traceparent, for the allocation step to parent the decision to; null when tracing is off. */
  traceContext: string | null;
}

/** What the statement did with one submission. */
export type IntakeResult =
  | { inserted: IntakeRow }
  /**
   * Not inserted: its idempotency key exists, or (`eligible` false) its event cannot take it,
   * or (`accountRefused`) the caller's account is disabled or gone.
   */
  | { inserted: null; eligible: boolean; accountRefused: boolean };

/**
 * The intake statement, one round trip for a whole group, whatever events its requests are for:
 * take each event's intake barrier (shared, in event id order, the order the allocator takes them
 * in exclusively), check each event can take the requests (book and hold:
 * shared/booking-rules.ts), insert those whose idempotency key is new, and count each one's place
 * in its event's queue. Autocommit makes it its own transaction, so the rows are durable when the
 * statement returns (see shared/db/intake-lock.ts for why the barrier). Rows are inserted in the
 * group's order, so `seq` follows arrival within the group too.
 */
const INTAKE_SQL = `
  WITH input AS (
    SELECT * FROM unnest($ids::uuid[], $eventIds::uuid[], $userIds::uuid[], $kinds::text[], $payloads::jsonb[],
                         $references::text[], $metadata::jsonb[], $keys::text[], $prints::text[],
                         $traceContexts::text[])
      WITH ORDINALITY AS t(id, event_id, user_id, kind, payload, external_reference, metadata, idempotency_key,
                           fingerprint, trace_context, ord)
  ),
  barrier AS (
    SELECT count(pg_advisory_xact_lock_shared(${intakeLockKeySql('b.event_id')})) AS n
      FROM (SELECT DISTINCT event_id FROM input ORDER BY event_id) b
  ),
  eligible AS (
    SELECT e.id FROM events e, barrier
     WHERE e.id IN (SELECT event_id FROM input)
       AND (NOT $requireOnSale::boolean OR ${canTakeBookingsSql('e')})
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
    INSERT INTO booking_requests (id, user_id, event_id, kind, payload, external_reference, metadata,
                                  idempotency_key, fingerprint, trace_context)
    SELECT i.id, i.user_id, i.event_id, i.kind, i.payload, i.external_reference, i.metadata, i.idempotency_key,
           i.fingerprint, i.trace_context
      FROM input i JOIN active a ON a.id = i.user_id JOIN eligible el ON el.id = i.event_id ORDER BY i.ord
    ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
  ),
  ahead AS (
    SELECT m.event_id,
           (SELECT count(*)::int FROM (
              SELECT 1 FROM booking_requests q
               WHERE q.event_id = m.event_id AND q.status = 'queued' AND q.seq < m.first_seq
               LIMIT ${POSITION_CAP - 1}) a) AS n
      FROM (SELECT event_id, min(seq) AS first_seq FROM inserted GROUP BY event_id) m
  ),
  summary AS (
    SELECT (SELECT coalesce(array_agg(id), '{}') FROM eligible) AS eligible, refused.ids AS refused FROM refused
  )
  SELECT inserted.id, inserted.seq, inserted.user_id AS "userId", inserted.event_id AS "eventId",
         inserted.kind, inserted.payload, inserted.external_reference AS "externalReference", inserted.metadata,
         inserted.idempotency_key AS "idempotencyKey", inserted.fingerprint,
         inserted.status, inserted.queued_at AS "queuedAt",
         least(${POSITION_CAP}, ahead.n + row_number() OVER (PARTITION BY inserted.event_id ORDER BY inserted.seq))::int
           AS position,
         json_build_object('id', e.id, 'name', e.name, 'venue', e.venue, 'startsAt', e.starts_at) AS event,
         summary.eligible, summary.refused
    FROM inserted JOIN ahead USING (event_id) JOIN events e ON e.id = inserted.event_id, summary
  UNION ALL
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, summary.eligible,
         summary.refused
    FROM summary WHERE NOT EXISTS (SELECT 1 FROM inserted)`;

/** Runs the intake statement for one group (of any events); each input's result, by input id. */
export async function insertGroup(
  sequelize: Sequelize,
  requireOnSale: boolean,
  group: readonly IntakeInput[],
): Promise<Map<string, IntakeResult>> {
  const rows = await sequelize.query<IntakeRow & { eligible: string[]; refused: string[] }>(INTAKE_SQL, {
    bind: {
      requireOnSale,
      ids: group.map((i) => i.id),
      eventIds: group.map((i) => i.eventId),
      userIds: group.map((i) => i.userId),
      kinds: group.map((i) => i.kind),
      payloads: group.map((i) => JSON.stringify(i.payload)),
      // Text to jsonb in the statement, as payloads: one array parameter per column keeps the
      // group one statement whatever its size.
      references: group.map((i) => i.reference.externalReference),
      metadata: group.map((i) => JSON.stringify(i.reference.metadata)),
      keys: group.map((i) => i.idempotencyKey),
      prints: group.map((i) => i.fingerprint),
      traceContexts: group.map((i) => i.traceContext),
    },
    type: QueryTypes.SELECT,
  });
  const eligible = new Set(rows[0]?.eligible ?? []);
  const refused = new Set(rows[0]?.refused ?? []);
  const inserted = new Map(
    rows
      .filter((r) => r.id)
      .map(({ eligible: _, refused: __, event, ...row }) => [
        row.id,
        // json_build_object gives the start as text.
        { ...row, event: { ...event, startsAt: new Date(event.startsAt) } } as IntakeRow,
      ]),
  );
  return new Map(
    group.map((i) => {
      const row = inserted.get(i.id);
      const accountRefused = refused.has(i.userId);
      return [
        i.id,
        row ? { inserted: row } : { inserted: null, eligible: eligible.has(i.eventId), accountRefused },
      ];
    }),
  );
}
