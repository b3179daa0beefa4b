import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import type { ApiDeps, AppState } from './context.js';
import { errorHandler } from './middleware/error-handler.js';
import { jsonOnly } from './middleware/json-only.js';
import { requestContext } from './middleware/request-id.js';
import { docsRoutes } from './openapi/routes.js';
import { analyticsRoutes } from './routes/analytics.js';
import { authRoutes } from './routes/auth.js';
import { bookingRequestRoutes } from './routes/booking-requests.js';
import { bookingRoutes } from './routes/bookings.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { userAdminRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhook-endpoints.js';
import { Tokens } from './services/tokens.js';

/** Composes the HTTP API: one middleware per concern, then the routers. */
export function createApp(deps: ApiDeps): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: false });
  const tokens = new Tokens(deps.config, deps.redis, deps.config.redisPrefix);

  app.use(requestContext(deps.logger));
  app.use(errorHandler());
  app.use(jsonOnly());
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', encoding: 'utf-8' }));

  const routers = [
    healthRoutes(deps),
    docsRoutes(),
    authRoutes(tokens),
    userAdminRoutes(tokens),
    eventRoutes(deps, tokens),
    bookingRoutes(deps, tokens),
    bookingRequestRoutes(deps, tokens),
    webhookRoutes(deps, tokens),
    analyticsRoutes(deps, tokens),
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
