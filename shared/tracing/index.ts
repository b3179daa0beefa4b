/**
 * Tracing (docs/architecture.md, Tracing): OpenTelemetry spans across the processes of one
 * booking, the trace context carried between them by rows (`trace_context`), never job data.
 * This file is its one public face:
 *
 *   settings.ts the OTEL_* variables this service reads itself, and whether tracing is on
 *   sdk.ts      starting the SDK in a process (bin/lifecycle.ts), and its shutdown
 *   context.ts  the tracer, spans, and the traceparent a row stores or a span is parented to
 *   attributes.ts the service's own span attribute names
 */
export { ATTR } from './attributes.js';
export {
  endSpan,
  failSpan,
  inSpan,
  spanTraceparent,
  storedContext,
  traceparentOf,
  tracer,
} from './context.js';
export { startTracing, type Tracing } from './sdk.js';
export { type TraceExporterName, type TracingConfig, tracingConfig, tracingSchema } from './settings.js';
