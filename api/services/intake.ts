import { createHash } from 'node:crypto';
import { BookingRequest } from '../../shared/db/models/index.js';
import type { BookingRequestKind, BookingRequestPayload } from '../../shared/domain.js';
import { enqueueAllocation } from '../../shared/enqueue.js';
import { ServiceUnavailable, Unauthorized, Unprocessable } from '../../shared/errors.js';
import type { ApiDeps, Principal } from '../context.js';
import type { IntakeRow } from './intake-batcher.js';

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
 * Records a booking request durably, then rings the event's allocation doorbell. The row is
 * committed before the client hears 202, so an accepted request survives any crash after that;
 * if the enqueue fails the reconciler enqueues it later, so the client still gets its 202.
 * Requests arriving together for one event are inserted by one statement (IntakeBatcher).
 */
export async function submit(deps: ApiDeps, submission: Submission): Promise<Accepted> {
  const { queueDepths, config, intake } = deps;
  const { principal, eventId, kind, payload, idempotencyKey } = submission;
  const print = fingerprint(submission.fingerprintOf);
  const requireOnSale = kind === 'book' || kind === 'hold';

  if (requireOnSale) {
    // Backpressure: past the configured depth, say "later" quickly instead of growing unbounded;
    // a replay of a request already accepted is still answered.
    if ((await queueDepths.depth(eventId)) >= config.maxQueueDepth) {
      const earlier = idempotencyKey ? await findByKey(principal.id, idempotencyKey) : null;
      if (earlier) return ring(deps, sameRequestOrRefuse(earlier, print));
      throw new ServiceUnavailable(
        'queue_full',
        'This event is receiving more requests than it can queue',
        5,
      );
    }
  }

  const result = await intake.submit(eventId, requireOnSale, {
    principalId: principal.id,
    kind,
    payload,
    idempotencyKey,
    fingerprint: print,
  });
  if (result.inserted) {
    const { position, ...fields } = result.inserted;
    return { request: asModel(fields), created: true, position };
  }
  // Nothing inserted: the key exists (a replay, a concurrent duplicate committed by now, or a
  // misuse), or the event cannot take bookings. A replay is answered even if the event has
  // since gone off sale.
  if (result.accountRefused) throw new Unauthorized('Account disabled or deleted');
  const earlier = idempotencyKey ? await findByKey(principal.id, idempotencyKey) : null;
  if (earlier) return ring(deps, sameRequestOrRefuse(earlier, print));
  if (!result.eligible) return { notEligible: true };
  throw new Error('intake inserted nothing, yet the event is eligible and the key unused');
}

type RingDeps = Pick<ApiDeps, 'queues' | 'redis' | 'config' | 'logger'>;

/**
 * Rings the doorbell of a batch the intake statement inserted: one job for the batch, named
 * after its last request (job id = request id), which is decided only after every earlier one.
 */
export function ringInserted(deps: RingDeps, eventId: string, rows: readonly IntakeRow[]): Promise<void> {
  const last = rows.reduce((a, b) => (BigInt(b.seq) > BigInt(a.seq) ? b : a));
  return ringDoorbell(deps, eventId, last.id);
}

/** Best effort: the request is committed, so if the enqueue fails the reconciler rings it later. */
async function ringDoorbell(deps: RingDeps, eventId: string, requestId: string): Promise<void> {
  try {
    await enqueueAllocation(deps.queues, deps.redis, deps.config.redisPrefix, eventId, requestId);
  } catch (err) {
    deps.logger.error({ err, eventId, requestId }, 'enqueue failed; the reconciler will enqueue the request');
  }
}

function asModel(fields: Omit<IntakeRow, 'position'>): BookingRequest {
  return BookingRequest.build(
    { ...fields, reason: null, reasonDetails: null, bookingId: null, holdId: null, decidedAt: null } as never,
    { isNewRecord: false, raw: true },
  );
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

/** Rings the doorbell of a replayed request still queued (adding a job twice is a no-op). */
async function ring(deps: ApiDeps, request: BookingRequest): Promise<Accepted> {
  if (request.status === 'queued') await ringDoorbell(deps, request.eventId, request.id);
  return { request, created: false, position: null };
}
