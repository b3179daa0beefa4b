import { type Link, type Span, trace } from '@opentelemetry/api';
import type { NewOutboxMessage } from '../../shared/db/outbox.js';
import { ATTR, endSpan, spanTraceparent, storedContext, tracer } from '../../shared/tracing/index.js';
import type { Changes } from './ledger-types.js';
import type { QueuedRequest } from './load-event-state.js';

/** One event's part of a step, as decision spans need it. */
export interface TracedStep {
  eventId: string;
  changes: Changes;
  requests: readonly QueuedRequest[];
  /** Stored trace contexts by request id (load-event-state.ts). */
  traceContexts: ReadonlyMap<string, string>;
}

/** The decision spans of one step: ended when its transaction commits, failed if it does not. */
export interface DecisionSpans<S extends TracedStep = TracedStep> {
  /** The steps with each outbox message given the trace context of the decision it reports. */
  readonly steps: S[];
  end(): void;
  fail(err: unknown): void;
}

/**
 * A step decides many requests of several events in one transaction, so it cannot sit in any one
 * booking's trace. Each decision gets a short `allocation.decide` span of its own instead,
 * parented to the context the request's row stored at intake (a waitlist promotion: the waitlisted
 * request's), linked to the step's span, with the outcome as attributes; the step's span links to
 * each of them in turn (up to the SDK's link limit, OTEL_SPAN_LINK_COUNT_LIMIT, 128 by default).
 * The outbox messages reporting a decision carry its span's context, so the webhooks and the
 * email it leads to join the booking's trace; the others (an expired hold) keep the default, the
 * step's. A request stored without a context (tracing was off at intake) gets no span: it would
 * be a trace of its own of one span. Called inside the step's span, before its changes are
 * written; with tracing off there is no stored context, so no span.
 */
export function startDecisionSpans<S extends TracedStep>(steps: readonly S[]): DecisionSpans<S> {
  const stepSpan = trace.getActiveSpan();
  const links: Link[] = [];
  const spans: Span[] = [];
  const traced = steps.map((step): S => {
    const queued = new Map(step.requests.map((r) => [r.id, r]));
    const decisionContexts = new Map<string, string>();
    for (const update of step.changes.requests) {
      const stored = step.traceContexts.get(update.requestId);
      if (!stored) continue;
      const parent = storedContext(stored);
      const request = queued.get(update.requestId);
      const span = tracer().startSpan(
        'allocation.decide',
        {
          links: stepSpan ? [{ context: stepSpan.spanContext() }] : [],
          attributes: {
            [ATTR.eventId]: step.eventId,
            [ATTR.bookingRequestId]: update.requestId,
            // Not among the queued requests: a waitlist entry promoted, whose request is a `book`.
            [ATTR.bookingRequestKind]: request?.kind ?? 'book',
            [ATTR.bookingRequestStatus]: update.status,
            ...(update.reason ? { [ATTR.bookingRequestReason]: update.reason } : {}),
            [ATTR.promoted]: !update.decided,
            ...(request ? { [ATTR.waitedSeconds]: request.waited } : {}),
          },
        },
        parent,
      );
      spans.push(span);
      const requestSpan = trace.getSpanContext(parent);
      if (requestSpan) links.push({ context: requestSpan });
      const own = spanTraceparent(span);
      if (own) decisionContexts.set(update.requestId, own);
    }
    if (decisionContexts.size === 0) return step;
    const outbox = step.changes.outbox.map((message) => {
      const decision = decisionContexts.get(reportedRequestId(message) ?? '');
      return decision ? { ...message, traceContext: decision } : message;
    });
    return { ...step, changes: { ...step.changes, outbox } };
  });
  stepSpan?.addLinks(links);
  return {
    steps: traced,
    end: () => {
      for (const span of spans) endSpan(span);
    },
    fail: (err) => {
      for (const span of spans) endSpan(span, err);
    },
  };
}

/** The booking request a message reports on (`data.bookingRequest`, shared/webhooks/messages.ts). */
function reportedRequestId(message: NewOutboxMessage): string | undefined {
  const reported = message.data.bookingRequest as { id?: unknown } | null | undefined;
  return typeof reported?.id === 'string' ? reported.id : undefined;
}
