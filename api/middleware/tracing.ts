import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { Context, Middleware } from 'koa';
import { failSpan, tracer } from '../../shared/tracing/index.js';
import { type RouteTemplateOf, routeOf } from '../metrics/http.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Probes and scrapes, every few seconds from orchestrators and Prometheus: a trace each would
 * bury the requests people trace, and tells nothing the metrics do not.
 */
const untraced = (path: string) => path.startsWith('/health/') || path === '/metrics';

/**
 * One SERVER span per request, in the trace of the caller's `traceparent`/`tracestate` if it sent
 * them (W3C trace context), else a new one; active while the request is served, so intake's spans
 * are its children. Named `METHOD /route/template` once routing has matched (the route, never the
 * path with its ids), with the HTTP semantic-convention attributes and the status the client got;
 * a 5xx marks it failed. The query string is left out: it can hold an attendee search. With
 * tracing off every call here is the OpenTelemetry API's no-op.
 */
export function traceRequests(templateOf: RouteTemplateOf): Middleware {
  return async (ctx, next) => {
    if (untraced(ctx.path)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, ctx.headers);
    const known = METHODS.has(ctx.method);
    const method = known ? ctx.method : '_OTHER';
    const span = tracer().startSpan(
      known ? method : 'HTTP',
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          ...(known ? {} : { [ATTR_HTTP_REQUEST_METHOD_ORIGINAL]: ctx.method }),
          [ATTR_URL_PATH]: ctx.path,
          [ATTR_URL_SCHEME]: ctx.protocol,
          [ATTR_SERVER_ADDRESS]: ctx.hostname,
          ...serverPort(ctx),
          [ATTR_CLIENT_ADDRESS]: ctx.ip,
          [ATTR_NETWORK_PROTOCOL_VERSION]: ctx.req.httpVersion,
          ...(ctx.get('User-Agent') ? { [ATTR_USER_AGENT_ORIGINAL]: ctx.get('User-Agent') } : {}),
        },
      },
      parent,
    );
    let status: number | undefined;
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (err) {
      // Past the error handler only if something beneath it broke: Koa answers 500.
      status = 500;
      failSpan(span, err);
      throw err;
    } finally {
      status ??= ctx.status;
      const route = routeOf(ctx, templateOf);
      if (route) {
        span.updateName(`${known ? method : 'HTTP'} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) {
        span.setAttribute(ATTR_ERROR_TYPE, String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
  };
}

function serverPort(ctx: Context): Record<string, number> {
  const port = /:(\d+)$/.exec(ctx.host)?.[1];
  return port ? { [ATTR_SERVER_PORT]: Number(port) } : {};
}
