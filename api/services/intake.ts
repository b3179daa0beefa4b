import { createHash } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { INTAKE_LOCK_KEY_SQL } from '../../shared/db/intake-lock.js';
import { BookingRequest } from '../../shared/db/models/index.js';
import type { BookingRequestKind, BookingRequestPayload } from '../../shared/domain.js';
import { enqueueAllocation } from '../../shared/enqueue.js';
import { ServiceUnavailable, Unprocessable } from '../../shared/errors.js';
import type { ApiDeps, Principal } from '../context.js';
import { POSITION_CAP } from './request-position.js';

export interface Submission {
  principal: Principal;
  eventId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  idempotencyKey: string | null;
  /** What the idempotency key is bound to: the kind, the target and the body. */
  fingerprintOf: string;
}

export type Accepted =
  | {
      request: BookingRequest;
      /** False when an earlier submission with the same idempotency key is answered again. */
      created: boolean;
      /** 1-based place in the event's queue (capped at POSITION_CAP), null once decided. */
      position: number | null;
    }
  /** A booking for an event that is missing, not on sale or started: nothing was written. */
  | { notEligible: true };

const fingerprint = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The intake statement, one round trip: take the event's intake barrier (shared), check the
 * event can take bookings, insert the request unless its idempotency key exists, and count its
 * place in the queue. Autocommit makes it its own transaction, so the row is durable when the
 * statement returns (see shared/db/intake-lock.ts for why the barrier).
 */
const INTAKE_SQL = `
  WITH barrier AS (SELECT pg_advisory_xact_lock_shared(${INTAKE_LOCK_KEY_SQL})),
  eligible AS (
    SELECT e.id FROM events e, barrier
     WHERE e.id = $eventId::uuid
       AND (NOT $requireOnSale::boolean OR (e.status = 'on_sale' AND e.starts_at > now()))
  ),
  inserted AS (
    INSERT INTO booking_requests (principal_id, event_id, kind, payload, idempotency_key, fingerprint)
    SELECT $principalId::uuid, eligible.id, $kind::text, $payload::jsonb, $idempotencyKey::text, $print::text
      FROM eligible
    ON CONFLICT (principal_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
  )
  SELECT inserted.id, inserted.seq, inserted.principal_id AS "principalId", inserted.event_id AS "eventId",
         inserted.kind, inserted.payload, inserted.idempotency_key AS "idempotencyKey", inserted.fingerprint,
         inserted.status, inserted.reason, inserted.booking_id AS "bookingId", inserted.queued_at AS "queuedAt",
         inserted.decided_at AS "decidedAt",
         (SELECT count(*) FROM (SELECT 1 FROM booking_requests q
            WHERE q.event_id = inserted.event_id AND q.status = 'queued' AND q.seq < inserted.seq
            LIMIT ${POSITION_CAP - 1}) ahead)::int + 1 AS position,
         (SELECT count(*) FROM eligible)::int AS eligible
    FROM inserted
  UNION ALL
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         (SELECT count(*) FROM eligible)::int
   WHERE NOT EXISTS (SELECT 1 FROM inserted)`;

interface IntakeRow extends Record<string, unknown> {
  id: string | null;
  position: number | null;
  eligible: number;
}

/**
 * Records a booking request durably, then rings the event's allocation doorbell. The row is
 * committed before the client hears 202, so an accepted request survives any crash after that;
 * if the enqueue fails the reconciler enqueues it later, so the client still gets its 202.
 */
export async function submit(deps: ApiDeps, submission: Submission): Promise<Accepted> {
  const { sequelize, queueDepths, config } = deps;
  const { principal, eventId, kind, payload, idempotencyKey } = submission;
  const print = fingerprint(submission.fingerprintOf);

  if (kind === 'book' || kind === 'hold') {
    // Backpressure: past the configured depth, say "later" quickly instead of growing unbounded;
    // a replay of a request already accepted is still answered.
    const waiting = await queueDepths.depth(eventId);
    if (waiting >= config.maxQueueDepth) {
      const earlier = idempotencyKey ? await findByKey(principal.id, idempotencyKey) : null;
      if (earlier) return ring(deps, sameRequestOrRefuse(earlier, print), false, null);
      throw new ServiceUnavailable(
        'queue_full',
        'This event is receiving more requests than it can queue',
        5,
      );
    }
  }

  const [row] = await sequelize.query<IntakeRow>(INTAKE_SQL, {
    bind: {
      eventId,
      requireOnSale: kind === 'book' || kind === 'hold',
      principalId: principal.id,
      kind,
      payload: JSON.stringify(payload),
      idempotencyKey,
      print,
    },
    type: QueryTypes.SELECT,
  });
  if (row?.id) {
    const { position, eligible: _, ...fields } = row;
    return ring(
      deps,
      BookingRequest.build(fields as never, { isNewRecord: false, raw: true }),
      true,
      position,
    );
  }
  // Nothing inserted: the key exists (a replay, a concurrent duplicate committed by now, or a
  // misuse), or the event cannot take bookings. A replay is answered even if the event has
  // since gone off sale.
  const earlier = idempotencyKey ? await findByKey(principal.id, idempotencyKey) : null;
  if (earlier) return ring(deps, sameRequestOrRefuse(earlier, print), false, null);
  if (!row?.eligible) return { notEligible: true };
  throw new Error('intake inserted nothing, yet the event is eligible and the key unused');
}

function findByKey(principalId: string, idempotencyKey: string) {
  return BookingRequest.findOne({ where: { principalId, idempotencyKey } });
}

function sameRequestOrRefuse(existing: BookingRequest, print: string): BookingRequest {
  if (existing.fingerprint !== print) {
    throw new Unprocessable(
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different request',
      {
        requestId: existing.id,
      },
    );
  }
  return existing;
}

/** Rings the doorbell of a queued request (again, for a replay: adding twice is a no-op). */
async function ring(
  deps: ApiDeps,
  request: BookingRequest,
  created: boolean,
  position: number | null,
): Promise<Accepted> {
  const { queues, redis, config, logger } = deps;
  if (request.status === 'queued') {
    try {
      await enqueueAllocation(queues, redis, config.redisPrefix, request.eventId, request.id);
    } catch (err) {
      logger.error({ err, requestId: request.id }, 'enqueue failed; the reconciler will enqueue the request');
    }
  }
  return { request, created, position };
}
