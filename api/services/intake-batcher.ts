import { randomUUID } from 'node:crypto';
import { ConnectionError, DatabaseError, QueryTypes, type Sequelize } from 'sequelize';
import { INTAKE_LOCK_KEY_SQL } from '../../shared/db/intake-lock.js';
import type { BookingRequestKind, BookingRequestPayload } from '../../shared/domain.js';
import { POSITION_CAP } from './request-position.js';

/** Most requests one intake statement inserts. */
const MAX_BATCH = 500;

export interface IntakeRow {
  id: string;
  seq: string;
  principalId: string;
  eventId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  idempotencyKey: string | null;
  fingerprint: string;
  status: 'queued';
  queuedAt: Date;
  position: number;
}

export interface IntakeInput {
  principalId: string;
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
 * The intake statement, one round trip for a whole batch: take the event's intake barrier
 * (shared), check the event can take the requests, insert those whose idempotency key is new,
 * and count each one's place in the queue. Autocommit makes it its own transaction, so the rows
 * are durable when the statement returns (see shared/db/intake-lock.ts for why the barrier).
 * Rows are inserted in the batch's order, so `seq` follows arrival within the batch too.
 */
const INTAKE_SQL = `
  WITH barrier AS (SELECT pg_advisory_xact_lock_shared(${INTAKE_LOCK_KEY_SQL})),
  eligible AS (
    SELECT e.id FROM events e, barrier
     WHERE e.id = $eventId::uuid
       AND (NOT $requireOnSale::boolean OR (e.status = 'on_sale' AND e.starts_at > now()))
  ),
  input AS (
    SELECT * FROM unnest($ids::uuid[], $principalIds::uuid[], $kinds::text[], $payloads::jsonb[],
                         $keys::text[], $prints::text[])
      WITH ORDINALITY AS t(id, principal_id, kind, payload, idempotency_key, fingerprint, ord)
  ),
  -- Accounts that may still book: a disabled or deleted one's row is left out (its caller hears
  -- 401), so it can neither fail the statement for everyone else nor slip past a lost revocation.
  active AS (
    SELECT u.id FROM users u WHERE u.id = ANY ($principalIds::uuid[]) AND u.disabled_at IS NULL
  ),
  refused AS (
    SELECT coalesce(array_agg(DISTINCT i.principal_id), '{}') AS ids
      FROM input i WHERE i.principal_id NOT IN (SELECT id FROM active)
  ),
  inserted AS (
    INSERT INTO booking_requests (id, principal_id, event_id, kind, payload, idempotency_key, fingerprint)
    SELECT i.id, i.principal_id, eligible.id, i.kind, i.payload, i.idempotency_key, i.fingerprint
      FROM input i JOIN active a ON a.id = i.principal_id, eligible ORDER BY i.ord
    ON CONFLICT (principal_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
  ),
  ahead AS (
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM booking_requests q
       WHERE q.event_id = $eventId::uuid AND q.status = 'queued' AND q.seq < (SELECT min(seq) FROM inserted)
       LIMIT ${POSITION_CAP - 1}) a
  )
  SELECT inserted.id, inserted.seq, inserted.principal_id AS "principalId", inserted.event_id AS "eventId",
         inserted.kind, inserted.payload, inserted.idempotency_key AS "idempotencyKey", inserted.fingerprint,
         inserted.status, inserted.queued_at AS "queuedAt",
         least(${POSITION_CAP}, ahead.n + row_number() OVER (ORDER BY inserted.seq))::int AS position,
         (SELECT count(*) FROM eligible)::int AS eligible, refused.ids AS refused
    FROM inserted, ahead, refused
  UNION ALL
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM eligible)::int,
         refused.ids
    FROM refused WHERE NOT EXISTS (SELECT 1 FROM inserted)`;

interface Waiting {
  id: string;
  input: IntakeInput;
  resolve: (result: IntakeResult) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  waiting: Waiting[];
  busy: boolean;
}

/**
 * Group commit for intake. Submissions for the same event (and kind of check) that arrive while
 * that event's previous statement is still running are inserted together by the next one: one
 * statement, one commit and, in the caller, one doorbell job for the whole group. A lone
 * submission goes out at once (after the current event-loop turn), so an idle service adds no
 * delay; a busy one makes larger groups. Each caller still hears back only after its row has
 * committed. After each statement `onInserted` rings the event once for what it inserted.
 */
export class IntakeBatcher {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly sequelize: Sequelize,
    private readonly onInserted: (eventId: string, rows: readonly IntakeRow[]) => Promise<void>,
  ) {}

  submit(eventId: string, requireOnSale: boolean, input: IntakeInput): Promise<IntakeResult> {
    const key = `${eventId}:${requireOnSale}`;
    const lane = this.lanes.get(key) ?? { waiting: [], busy: false };
    this.lanes.set(key, lane);
    const promise = new Promise<IntakeResult>((resolve, reject) =>
      lane.waiting.push({ id: randomUUID(), input, resolve, reject }),
    );
    if (!lane.busy) {
      lane.busy = true;
      setImmediate(() => void this.drain(key, eventId, requireOnSale, lane));
    }
    return promise;
  }

  private async drain(key: string, eventId: string, requireOnSale: boolean, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0, MAX_BATCH);
      try {
        await this.commit(eventId, requireOnSale, batch);
      } catch (err) {
        if (batch.length === 1 || !isolatable(err)) {
          for (const w of batch) w.reject(err);
          continue;
        }
        // One caller's bad row must not fail the others: each is committed on its own, in
        // arrival order, and only the bad one hears its error.
        for (const w of batch) {
          await this.commit(eventId, requireOnSale, [w]).catch((e: unknown) => w.reject(e));
        }
      }
    }
    lane.busy = false;
    this.lanes.delete(key);
  }

  /** One statement for `batch`, its doorbell, then each caller's answer. */
  private async commit(eventId: string, requireOnSale: boolean, batch: Waiting[]): Promise<void> {
    const results = await this.insert(eventId, requireOnSale, batch);
    const rows = [...results.values()].flatMap((r) => (r.inserted ? [r.inserted] : []));
    if (rows.length > 0) await this.onInserted(eventId, rows);
    for (const w of batch) w.resolve(results.get(w.id)!);
  }

  private async insert(
    eventId: string,
    requireOnSale: boolean,
    batch: Waiting[],
  ): Promise<Map<string, IntakeResult>> {
    const rows = await this.sequelize.query<IntakeRow & { eligible: number; refused: string[] }>(INTAKE_SQL, {
      bind: {
        eventId,
        requireOnSale,
        ids: batch.map((w) => w.id),
        principalIds: batch.map((w) => w.input.principalId),
        kinds: batch.map((w) => w.input.kind),
        payloads: batch.map((w) => JSON.stringify(w.input.payload)),
        keys: batch.map((w) => w.input.idempotencyKey),
        prints: batch.map((w) => w.input.fingerprint),
      },
      type: QueryTypes.SELECT,
    });
    const eligible = (rows[0]?.eligible ?? 0) > 0;
    const refused = new Set(rows[0]?.refused ?? []);
    const inserted = new Map(
      rows.filter((r) => r.id).map(({ eligible: _, refused: __, ...row }) => [row.id, row as IntakeRow]),
    );
    return new Map(
      batch.map((w) => {
        const row = inserted.get(w.id);
        const accountRefused = refused.has(w.input.principalId);
        return [w.id, row ? { inserted: row } : { inserted: null, eligible, accountRefused }];
      }),
    );
  }
}

/**
 * A statement that failed because of what one row holds (a constraint, a value the database
 * refuses) is worth retrying row by row; a lost connection or a timeout would fail each row
 * again, so the group hears it at once.
 */
function isolatable(err: unknown): boolean {
  return err instanceof DatabaseError && !(err instanceof ConnectionError);
}
