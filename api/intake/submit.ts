import { createHash } from 'node:crypto';
import { context, type Span, trace } from '@opentelemetry/api';
import { BookingRequest, Event } from '../../shared/db/models/index.js';
import {
  type BookingRequestKind,
  type BookingRequestPayload,
  NO_REFERENCE,
  type PurchaseReference,
} from '../../shared/domain.js';
import { AppError, ServiceUnavailable, Unauthorized, Unprocessable } from '../../shared/errors.js';
import { ATTR, endSpan, spanTraceparent, tracer } from '../../shared/tracing/index.js';
import type { ApiDeps, Principal } from '../context.js';
import { REQUEST_INCLUDES } from '../presenters.js';
import { GroupCommit } from './group-commit.js';
import type { IntakeRow } from './insert-statement.js';
import { QueuedRequestsCache } from './queued-requests.js';
import { eventRefusal, hiddenEventRefusal } from './refusal.js';
import { ringOrLeaveToReconciler } from './ring.js';
import { answerFor, type IntakeAnswer } from './view.js';

export interface Submission {
  principal: Principal;
  eventId: string;
  kind: BookingRequestKind;
  payload: BookingRequestPayload;
  /** The partner's reference: book and hold requests only (none by default). */
  reference?: PurchaseReference;
  idempotencyKey: string | null;
  /** What the idempotency key is bound to: the kind, the target and the body (reference included). */
  fingerprintOf: string;
}

export type IntakeDeps = Pick<ApiDeps, 'sequelize' | 'queues' | 'redis' | 'config' | 'logger'>;

const fingerprint = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Intake: records a booking request durably, rings its event, and says what to answer. The row is
 * committed before the client hears 202, so an accepted request survives any crash after that;
 * if the ring fails the reconciler rings later, so the client still gets its 202. Requests
 * arriving together, for one event or many, are inserted by one statement, and each event is
 * rung by one job (GroupCommit). One way down: submit -> backpressure -> group commit -> ring ->
 * answer.
 */
export class Intake {
  /** Backpressure's reading of each event's queued requests (read by tests too). */
  readonly queuedRequests: QueuedRequestsCache;
  private readonly groups: GroupCommit;

  constructor(private readonly deps: IntakeDeps) {
    this.queuedRequests = new QueuedRequestsCache(deps.sequelize, deps.config.maxQueueDepth);
    this.groups = new GroupCommit(deps.sequelize, deps);
  }

  /**
   * In an `intake.submit` span (a child of the HTTP request's), whose context is stored on the
   * row: the request's decision, webhooks and email join its trace from there. A refusal (4xx)
   * is an answer, not a failure of the span.
   */
  async submit(submission: Submission): Promise<IntakeAnswer> {
    const span = tracer().startSpan('intake.submit', {
      attributes: { [ATTR.eventId]: submission.eventId, [ATTR.bookingRequestKind]: submission.kind },
    });
    try {
      const answer = await context.with(trace.setSpan(context.active(), span), () =>
        this.record(submission, span),
      );
      span.setAttributes({
        [ATTR.bookingRequestId]: answer.body.id,
        [ATTR.bookingRequestStatus]: answer.body.status,
        [ATTR.intakeReplayed]: answer.headers['Idempotent-Replayed'] === 'true',
      });
      endSpan(span);
      return answer;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        span.setAttribute(ATTR.intakeRefusal, err.code);
        endSpan(span);
      } else endSpan(span, err);
      throw err;
    }
  }

  private async record(submission: Submission, span: Span): Promise<IntakeAnswer> {
    const { principal, eventId, kind, payload, idempotencyKey } = submission;
    const print = fingerprint(submission.fingerprintOf);
    // Book and hold need an event that can take bookings; cancel and hold actions are decided
    // in the queue whatever the event's state.
    const requireOnSale = kind === 'book' || kind === 'hold';

    // Backpressure: past the configured number of queued requests, say "later" quickly instead
    // of growing unbounded; a replay of a request already accepted is still answered.
    if (requireOnSale && (await this.queuedRequests.count(eventId)) >= this.deps.config.maxQueueDepth) {
      const earlier = idempotencyKey ? await findByKey(principal.id, idempotencyKey) : null;
      if (earlier) return this.replay(sameRequestOrRefuse(earlier, print));
      // "Full" must not tell a hidden event from a missing one.
      const hidden = await hiddenEventRefusal(eventId, principal);
      if (hidden) throw hidden;
      throw new ServiceUnavailable(
        'queue_full',
        'This event is receiving more requests than it can queue',
        5,
      );
    }

    const result = await this.groups.submit(eventId, requireOnSale, {
      userId: principal.id,
      kind,
      payload,
      reference: submission.reference ?? NO_REFERENCE,
      idempotencyKey,
      fingerprint: print,
      traceContext: spanTraceparent(span),
    });
    if (result.inserted) {
      const { position, ...fields } = result.inserted;
      return answerFor(this.deps.sequelize, asModel(fields), { created: true, position });
    }
    // Nothing inserted: the key exists (a replay, a concurrent duplicate committed by now, or a
    // misuse), or the event cannot take bookings. A replay is answered even if the event has
    // since gone off sale.
    if (result.accountRefused) throw new Unauthorized('Account disabled or deleted');
    const earlier = idempotencyKey ? await findByKey(principal.id, idempotencyKey) : null;
    if (earlier) return this.replay(sameRequestOrRefuse(earlier, print));
    if (!result.eligible && requireOnSale) throw await eventRefusal(eventId, principal);
    throw new Error('intake inserted nothing, yet the event is eligible and the key unused');
  }

  /** A replayed request still queued is rung again (adding a job twice is a no-op). */
  private async replay(request: BookingRequest): Promise<IntakeAnswer> {
    if (request.status === 'queued') await ringOrLeaveToReconciler(this.deps, request.eventId, request.id);
    return answerFor(this.deps.sequelize, request, { created: false });
  }
}

/** The inserted row as a model, with the event summary the statement read beside it. */
function asModel({ event, ...fields }: Omit<IntakeRow, 'position'>): BookingRequest {
  const request = BookingRequest.build(
    { ...fields, reason: null, reasonDetails: null, bookingId: null, holdId: null, decidedAt: null } as never,
    { isNewRecord: false, raw: true },
  );
  // Only the summary's attributes, as REQUEST_INCLUDES reads them from a stored request.
  request.event = Event.build(event as never, { isNewRecord: false, raw: true });
  return request;
}

function findByKey(userId: string, idempotencyKey: string) {
  return BookingRequest.findOne({ where: { userId, idempotencyKey }, include: REQUEST_INCLUDES });
}

function sameRequestOrRefuse(existing: BookingRequest, print: string): BookingRequest {
  if (existing.fingerprint !== print) {
    throw new Unprocessable(
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different request',
      { requestId: existing.id },
    );
  }
  return existing;
}
