import Router from '@koa/router';
import { scrapeMetrics } from '../../shared/cluster-metrics.js';
import { Forbidden, Unauthorized } from '../../shared/errors.js';
import { collectProcessMetrics, metricsAccessAllowed } from '../../shared/metrics.js';
import type { ApiDeps, AppState } from '../context.js';
import { observeBacklogs } from '../metrics/backlog.js';
import { observeWaitingJobs } from '../metrics/waiting-jobs.js';

/**
 * `GET /metrics`, Prometheus text format: the API's series, the waiting jobs per event, the
 * backlogs and the age of each event's oldest queued request (read once per scrape), and
 * under `npm start` those of every API process and of the worker, merged by the supervisor
 * (shared/cluster-metrics.ts): whichever API process a scrape reaches, it answers for all. With
 * METRICS_TOKEN set, a scraper sends it as a bearer token (Prometheus: `authorization:
 * {credentials: ...}`). Without it the endpoint is open, except in production: its series name
 * event ids, drafts' included, which only operators may see.
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function metricsRoutes(deps: ApiDeps): Router<AppState> {
  collectProcessMetrics();
  observeWaitingJobs({ redis: deps.redis, prefix: deps.config.redisPrefix, logger: deps.logger });
  observeBacklogs({ sequelize: deps.sequelize, logger: deps.logger });
  const router = new Router<AppState>();
  router.get('/metrics', async (ctx) => {
    if (!deps.config.metricsToken) {
      if (deps.config.env === 'production') {
        throw new Forbidden(
          'In production /metrics needs METRICS_TOKEN: set it and scrape with it as a bearer token',
        );
      }
      // Open only to this machine, by name too: a page that rebinds its own domain to 127.0.0.1
      // (DNS rebinding) sends its own Host and cannot read it.
      if (!LOOPBACK_HOSTS.has(ctx.hostname)) {
        throw new Forbidden('Without METRICS_TOKEN /metrics answers only requests to localhost');
      }
    }
    if (!metricsAccessAllowed(deps.config.metricsToken, ctx.get('Authorization'))) {
      throw new Unauthorized('This endpoint needs the METRICS_TOKEN bearer token');
    }
    const { text, contentType } = await scrapeMetrics();
    ctx.type = contentType;
    ctx.body = text;
  });
  return router;
}
