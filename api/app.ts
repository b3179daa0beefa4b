import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import Koa from 'koa';
import { isClientAbort } from './client-abort.js';
import { consoleRoutes } from './console/index.js';
import type { ApiDeps, AppState } from './context.js';
import { dashboard } from './dashboard/index.js';
import { httpMetrics, routeTemplates } from './metrics/http.js';
import { jsonOnlyExceptAdminLoginForm } from './middleware/admin-login-form.js';
import { bodyLimit } from './middleware/body-limit.js';
import { crossOrigin } from './middleware/cors.js';
import { errorHandler } from './middleware/error-handler.js';
import { requestContext } from './middleware/request-id.js';
import { sameOriginForCookies } from './middleware/same-origin.js';
import { securityHeaders } from './middleware/security-headers.js';
import { traceRequests } from './middleware/tracing.js';
import { docsRoutes } from './openapi/routes.js';
import { analyticsRoutes } from './routes/analytics.js';
import { attendeeRoutes } from './routes/attendees.js';
import { authRoutes } from './routes/auth.js';
import { bookingRequestRoutes } from './routes/booking-requests.js';
import { bookingRoutes } from './routes/bookings.js';
import { eventOverviewRoutes } from './routes/event-overview.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { holdRoutes } from './routes/holds.js';
import { metricsRoutes } from './routes/metrics.js';
import { seatRoutes } from './routes/seats.js';
import { userAdminRoutes } from './routes/users.js';
import { waitlistRoutes } from './routes/waitlist.js';
import { webhookRoutes } from './routes/webhook-endpoints.js';
import { RateLimits } from './services/rate-limits.js';
import { Tokens } from './services/tokens.js';

/** Composes the HTTP API: one middleware per concern, then the routers. */
export function createApp(deps: ApiDeps): Koa<AppState> {
  // Behind TRUST_PROXY proxies `ctx.ip` is the address the outermost of them saw (counted from the
  // right of X-Forwarded-For, so a client cannot choose it); otherwise the socket's peer.
  const hops = deps.config.trustProxyHops;
  const app = new Koa<AppState>({ proxy: hops > 0, maxIpsCount: hops });
  const tokens = new Tokens(deps.config, deps.redis, deps.config.redisPrefix, deps.sequelize);
  const limits = new RateLimits(deps.config, deps.redis, deps.logger);
  let routers: Router<AppState>[] = [];

  const templateOf = routeTemplates(() => routers);
  // First: the request's span is active for everything after it, the request log line included
  // (its `traceId`).
  app.use(traceRequests(templateOf));
  app.use(requestContext(deps.logger));
  // Outside the error handler, so it records the status the client got; a request refused before
  // routing (413, 415, a body that is not JSON) is still labelled with the route it asked for.
  app.use(httpMetrics(templateOf));
  app.use(errorHandler());
  app.use(securityHeaders());
  app.use(crossOrigin(deps.config.corsOrigins));
  // CSRF: a state-changing request with the session cookie must come from this origin, on any route.
  app.use(sameOriginForCookies());
  app.use(bodyLimit(deps.config.bodyLimitKb));
  app.use(jsonOnlyExceptAdminLoginForm());
  app.use(
    bodyParser({ enableTypes: ['json'], jsonLimit: `${deps.config.bodyLimitKb}kb`, encoding: 'utf-8' }),
  );

  const admin = dashboard(deps, tokens, limits);
  // Declared above through the closure of `routeTemplates`, which reads it per request only.
  routers = [
    healthRoutes(deps),
    metricsRoutes(deps),
    docsRoutes(),
    authRoutes(tokens, limits),
    userAdminRoutes(tokens),
    eventRoutes(deps, tokens),
    seatRoutes(deps, tokens),
    bookingRoutes(deps, tokens, limits),
    holdRoutes(deps, tokens, limits),
    waitlistRoutes(deps, tokens, limits),
    bookingRequestRoutes(deps, tokens),
    webhookRoutes(deps, tokens),
    analyticsRoutes(deps, tokens),
    eventOverviewRoutes(deps, tokens),
    attendeeRoutes(deps, tokens),
    admin.routes,
    consoleRoutes(tokens),
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  // Last: bull-board's assets and JSON API under /admin/queues/, when no router took the path.
  app.use(admin.rest);
  // Errors a middleware handled but still emitted (bull-board's sub-app does) go to the log,
  // not to stderr in Koa's default format. A client's error (4xx: a bad path or body) is the
  // client's: one debug line naming it, without its message or stack (which can name server files).
  // So is a client that closed the connection while its answer streamed (Koa reports the cut pipe).
  app.on('error', (err: Error & { status?: unknown; code?: unknown }, ctx) => {
    const requestId = ctx?.state?.requestId;
    if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      deps.logger.debug({ status: err.status, err: err.name, requestId }, 'request rejected');
    } else if (ctx && isClientAbort(err, ctx)) {
      deps.logger.debug(
        { code: err.code, requestId },
        'client closed the connection before the answer ended',
      );
    } else {
      deps.logger.error({ err, requestId }, 'unhandled app error');
    }
  });
  return app;
}
