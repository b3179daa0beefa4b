import { randomUUID } from 'node:crypto';
import { TraceFlags, trace } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import type { Logger } from '../../shared/logger.js';
import type { AppState } from '../context.js';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Accepts a caller's `X-Request-Id` (if sane) or makes one, echoes it back, and gives the
 * request a child logger carrying it (and the trace id of a sampled request); logs one line per
 * request when it ends.
 */
export function requestContext(logger: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    // With tracing on, every line of the request names its trace: from a log line to the trace.
    const span = trace.getActiveSpan()?.spanContext();
    const sampled = span && (span.traceFlags & TraceFlags.SAMPLED) !== 0;
    ctx.state.logger = logger.child(sampled ? { requestId, traceId: span.traceId } : { requestId });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.logger.info(
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          userId: ctx.state.principal?.id,
        },
        'request',
      );
    }
  };
}
