import { createHash } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { INTAKE_LOCK_KEY_SQL } from '../../shared/db/intake-lock.js';
import { BookingRequest } from '../../shared/db/models/index.js';
import type { BookingRequestKind, BookingRequestPayload } from '../../shared/domain.js';
import { enqueueAllocation } from '../../shared/enqueue.js';
import { ServiceUnavailable, Unprocessable } from '../../shared/errors.js';
import type { ApiDeps, Principal } from '../context.js';

export interface Submission {
  principal: Principal;
  eventId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  idempotencyKey: string | null;
  /** What the idempotency key is bound to: method, path and body. */
  fingerprintOf: string;
}

export interface Accepted {
  request: BookingRequest;
  /** False when an earlier submission with the same idempotency key is answered again. */
  created: boolean;
}

const fingerprint = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Records a booking request durably, then rings the event's allocation doorbell. The row is
 * committed before the client hears 202, so an accepted request survives any crash after that;
 * if the enqueue fails the reconciler enqueues it later, so the client still gets its 202.
 */
export async function submit(deps: ApiDeps, submission: Submission): Promise<Accepted> {
  const { sequelize, queues, config } = deps;
  const { principal, eventId, kind, payload, idempotencyKey } = submission;
  const print = fingerprint(submission.fingerprintOf);

  // A replay is answered from the first submission, whatever the queue's state now.
  const earlier = idempotencyKey ? await findByKey(principal.id, idempotencyKey) : null;
  if (earlier) return ring(deps, sameRequestOrRefuse(earlier, print), false);

  if (kind === 'book') {
    // Backpressure: past the configured depth, say "later" quickly instead of growing unbounded.
    const waiting = await queues.get(eventId).getWaitingCount();
    if (waiting >= config.maxQueueDepth) {
      throw new ServiceUnavailable(
        'queue_full',
        'This event is receiving more requests than it can queue',
        5,
      );
    }
  }

  const accepted = await sequelize.transaction(async (transaction) => {
    await sequelize.query(`SELECT pg_advisory_xact_lock_shared(${INTAKE_LOCK_KEY_SQL})`, {
      bind: { eventId },
      transaction,
    });
    // ON CONFLICT makes a concurrent duplicate wait for the first insert and then find it,
    // so one idempotency key can never produce two requests.
    const [inserted] = await sequelize.query<{ id: string }>(
      `INSERT INTO booking_requests (principal_id, event_id, kind, payload, idempotency_key, fingerprint)
       VALUES ($principalId, $eventId, $kind, $payload, $idempotencyKey, $print)
       ON CONFLICT (principal_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      {
        bind: {
          principalId: principal.id,
          eventId,
          kind,
          payload: JSON.stringify(payload),
          idempotencyKey,
          print,
        },
        transaction,
        type: QueryTypes.SELECT,
      },
    );
    return inserted ? { id: inserted.id, created: true } : null;
  });
  if (!accepted) {
    // Lost the race to a concurrent duplicate, which has committed by now.
    const winner = await findByKey(principal.id, idempotencyKey!);
    if (!winner) throw new Error('idempotency conflict without an existing row');
    return ring(deps, sameRequestOrRefuse(winner, print), false);
  }
  return ring(deps, (await BookingRequest.findByPk(accepted.id))!, true);
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
async function ring(deps: ApiDeps, request: BookingRequest, created: boolean): Promise<Accepted> {
  const { queues, redis, config, logger } = deps;
  if (request.status === 'queued') {
    try {
      await enqueueAllocation(queues, redis, config.redisPrefix, request.eventId, request.id);
    } catch (err) {
      logger.error({ err, requestId: request.id }, 'enqueue failed; the reconciler will enqueue the request');
    }
  }
  return { request, created };
}
