import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The service's one tracer; asked for at each use, so it follows whatever provider is registered. */
export function tracer(): Tracer {
  return trace.getTracer('evently');
}

/**
 * The W3C `traceparent` of the span in `ctx` (the active one by default): what a row stores and
 * a webhook sends. Null when there is none, or tracing is off (no propagator is registered).
 */
export function traceparentOf(ctx: Context = context.active()): string | null {
  const carrier: { traceparent?: string } = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? null;
}

/** The traceparent of `span`. */
export function spanTraceparent(span: Span): string | null {
  return traceparentOf(trace.setSpan(ROOT_CONTEXT, span));
}

/**
 * The context a stored traceparent stands for, to parent or link a span to; the root context
 * (a new trace) for none, and always with tracing off.
 */
export function storedContext(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** Ends `span`, as failed by `err` if given: status ERROR with its message, and the exception event. */
export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) failSpan(span, err);
  span.end();
}

export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/**
 * Runs `fn` in a new active span, which ends when `fn` settles (failed if it throws). `parent`
 * is the context to start it in (the active one by default).
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const span = tracer().startSpan(name, options, parent);
  try {
    const result = await context.with(trace.setSpan(parent, span), () => fn(span));
    span.end();
    return result;
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
}
