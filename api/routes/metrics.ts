import Router from '@koa/router';
import { Unauthorized } from '../../shared/errors.js';
import { collectProcessMetrics, metricsAccessAllowed, metricsRegistry } from '../../shared/metrics.js';
import type { ApiDeps, AppState } from '../context.js';
import { observeWaitingJobs } from '../metrics/waiting-jobs.js';

/**
 * `GET /metrics`, Prometheus text format: the API's series, the queue depths, and under
 * `npm start` the worker's too (one registry per process). Open unless METRICS_TOKEN is set;
 * then a scraper sends it as a bearer token (Prometheus: `authorization: {credentials: ...}`).
 */
export function metricsRoutes(deps: ApiDeps): Router<AppState> {
  collectProcessMetrics();
  observeWaitingJobs({ redis: deps.redis, prefix: deps.config.redisPrefix, logger: deps.logger });
  const router = new Router<AppState>();
  router.get('/metrics', async (ctx) => {
    if (!metricsAccessAllowed(deps.config.metricsToken, ctx.get('Authorization'))) {
      throw new Unauthorized('This endpoint needs the METRICS_TOKEN bearer token');
    }
    const body = await metricsRegistry.metrics();
    ctx.type = metricsRegistry.contentType;
    ctx.body = body;
  });
  return router;
}
