import type { Context, Middleware } from 'koa';
import { Histogram } from 'prom-client';
import { metricsRegistry } from '../../shared/metrics.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Up to 30 s: long-polls (`Prefer: wait=N`) legitimately take that long. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function histogram(): Histogram<'method' | 'route' | 'status_code'> {
  // createApp may run more than once in a process (tests); the registry keeps one histogram.
  const existing = metricsRegistry.getSingleMetric('evently_http_request_duration_seconds');
  if (existing) return existing as Histogram<'method' | 'route' | 'status_code'>;
  return new Histogram({
    name: 'evently_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [metricsRegistry],
  });
}

/** Labels set by code that serves a request outside @koa/router (the mounted dashboard). */
const routeLabels = new WeakMap<Context, string>();

/** Names the route of a request that no @koa/router route serves; `route` must be a template, not a path. */
export function labelRoute(ctx: Context, route: string): void {
  routeLabels.set(ctx, route);
}

/** What `routeTemplates()` needs of a @koa/router Router. */
interface Layer {
  methods: string[];
  path: string | RegExp;
}
export interface RouteMatcher {
  match(path: string, method: string): { path: Layer[]; pathAndMethod: Layer[] };
}

/** The template of the route a method and path would reach, if any (`routeTemplates()`). */
export type RouteTemplateOf = (method: string, path: string) => string | undefined;

/**
 * The routers' own matching, for requests refused before they reached a router (a 413, a 415,
 * a body that is not JSON, a CSRF refusal): the template of the route the method and path would
 * reach, else of a route on that path with other methods (a 405), as @koa/router names a match.
 */
export function routeTemplates(routers: () => readonly RouteMatcher[]): RouteTemplateOf {
  return (method, path) => {
    let onPath: string | undefined;
    for (const router of routers()) {
      const match = router.match(path, method);
      const route = (layers: Layer[]) =>
        [...layers].reverse().find((layer) => layer.methods.length > 0 && typeof layer.path === 'string')
          ?.path as string | undefined;
      const exact = route(match.pathAndMethod);
      if (exact) return exact;
      onPath ??= route(match.path);
    }
    return onPath;
  };
}

/**
 * The route's template (`/events/:id`), as @koa/router matched it, never the raw path: a label
 * value (or span name) per event id would grow without bound. A request no router saw is named
 * by `templateOf`; one that no route would take has none.
 */
export function routeOf(ctx: Context, templateOf: RouteTemplateOf | undefined): string | undefined {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return routeLabels.get(ctx) ?? matched;
  return routeLabels.get(ctx) ?? templateOf?.(ctx.method, ctx.path);
}

/**
 * Times every request. It sits outside the error handler, so the status it records is the one
 * the client got, errors included.
 */
export function httpMetrics(templateOf?: RouteTemplateOf): Middleware {
  const duration = histogram();
  return async (ctx, next) => {
    const stop = duration.startTimer();
    try {
      await next();
    } finally {
      stop({
        method: METHODS.has(ctx.method) ? ctx.method : 'OTHER',
        route: routeOf(ctx, templateOf) ?? 'unmatched',
        status_code: String(ctx.status),
      });
    }
  };
}
