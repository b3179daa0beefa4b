import Router from '@koa/router';
import Joi from 'joi';
import type { Context } from 'koa';
import { ValidationFailed } from '../../shared/errors.js';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { isoDateString, uuid } from '../schemas.js';
import { EVENT_SORTS, eventsReport, summary } from '../services/analytics.js';
import { ANALYTICS_TTL_SECONDS, analyticsCacheKey, cachedReport } from '../services/analytics-cache.js';
import { canonicalTimeZone, dailyReport, dayCount } from '../services/analytics-daily.js';
import { queueStats } from '../services/analytics-queues.js';
import type { Tokens } from '../services/tokens.js';

/** The longest daily report, both ends included: a leap year. */
const MAX_DAILY_DAYS = 366;

export const summaryQuery = Joi.object({ eventId: uuid.description('Only this event') });

export const eventsQuery = Joi.object({
  sort: Joi.string()
    .valid(...EVENT_SORTS)
    .default('booked')
    .description(
      '`booked`: seats booked; `utilisation`: (booked + held) / capacity; `cancellations`: cancelled ' +
        'bookings. Ties go to the earlier event, then the smaller id.',
    ),
  order: Joi.string().valid('desc', 'asc').default('desc'),
  limit: Joi.number().integer().min(1).max(100).default(20).description('Page size'),
  from: isoDateString.description('Events starting at or after; ISO 8601 date or date-time'),
  to: isoDateString.description(
    'Events starting at or before (not before `from`); ISO 8601 date or date-time',
  ),
});

const calendarDate = isoDateString
  .pattern(/^\d{4}-\d{2}-\d{2}$/)
  .example('2030-05-01', { override: true })
  .messages({ 'string.pattern.base': '{{#label}} must be a date (YYYY-MM-DD)' });

export const dailyQuery = Joi.object({
  from: calendarDate.required().description('First day (YYYY-MM-DD), in `tz`'),
  to: calendarDate
    .required()
    .description(
      `Last day (YYYY-MM-DD), in \`tz\`; not before \`from\`, at most ${MAX_DAILY_DAYS} days in all`,
    ),
  eventId: uuid.description('Only this event’s bookings'),
  // The shape of a zone name; whether PostgreSQL knows it is checked against pg_timezone_names.
  tz: Joi.string()
    .max(64)
    .pattern(/^[A-Za-z][A-Za-z0-9_+/-]*$/)
    .default('UTC')
    .messages({ 'string.pattern.base': '{{#label}} must be an IANA time zone name, e.g. Europe/Berlin' })
    .description('IANA time zone the days are counted in; an unknown one is a 400'),
});

export const queueStatsQuery = Joi.object({
  limit: Joi.number()
    .integer()
    .min(1)
    .max(1000)
    .default(100)
    .description('Most event queues listed (the busiest)'),
});

function refuseReversedRange(from: string | undefined, to: string | undefined): void {
  if (from && to && new Date(to) < new Date(from)) {
    throw new ValidationFailed('Invalid query: to must not be before from', [
      { in: 'query', path: 'to', message: 'must not be before from' },
    ]);
  }
}

/** `Cache-Control: no-cache` (or `no-store`, `max-age=0`, `Pragma: no-cache`) asks for a fresh computation. */
const wantsFresh = (ctx: Context) =>
  /\b(?:no-cache|no-store|max-age=0)\b/i.test(ctx.get('Cache-Control')) ||
  /no-cache/i.test(ctx.get('Pragma'));

/** Admin reports over bookings, requests, events and queues (README, "Operating it"). */
export function analyticsRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/admin' });
  const adminOnly = [authenticate(tokens), requireRole('admin')];

  /** Serves a report through the shared 5 s Redis cache and says which it was. */
  async function answer<Q extends Record<string, unknown>>(
    ctx: Context,
    report: string,
    query: Q,
    compute: () => Promise<unknown>,
  ): Promise<void> {
    const key = analyticsCacheKey(deps.config.redisPrefix, report, query);
    const { value, hit } = await cachedReport(deps.redis, key, wantsFresh(ctx), compute);
    ctx.set('Cache-Control', `private, max-age=${ANALYTICS_TTL_SECONDS}`);
    ctx.set('X-Cache', hit ? 'hit' : 'miss');
    ctx.body = value;
  }

  router.get('/analytics/summary', ...adminOnly, async (ctx) => {
    const query = validate(summaryQuery, ctx.query, 'query');
    await answer(ctx, 'summary', query, () => summary(deps.sequelize, query));
  });

  router.get('/analytics/events', ...adminOnly, async (ctx) => {
    const query = validate(eventsQuery, ctx.query, 'query');
    refuseReversedRange(query.from, query.to);
    // One instant, one cache entry, however it was spelled.
    const normalized = {
      ...query,
      from: query.from && new Date(query.from).toISOString(),
      to: query.to && new Date(query.to).toISOString(),
    };
    await answer(ctx, 'events', normalized, () => eventsReport(deps.sequelize, normalized));
  });

  router.get('/analytics/daily', ...adminOnly, async (ctx) => {
    const query = validate(dailyQuery, ctx.query, 'query');
    refuseReversedRange(query.from, query.to);
    if (dayCount(query.from, query.to) > MAX_DAILY_DAYS) {
      throw new ValidationFailed(`Invalid query: at most ${MAX_DAILY_DAYS} days per report`, [
        { in: 'query', path: 'to', message: `must be at most ${MAX_DAILY_DAYS - 1} days after from` },
      ]);
    }
    const timeZone = await canonicalTimeZone(deps.sequelize, query.tz);
    const normalized = { from: query.from, to: query.to, eventId: query.eventId, timeZone };
    await answer(ctx, 'daily', normalized, () => dailyReport(deps.sequelize, normalized));
  });

  // Live figures for operators: never cached.
  router.get('/queues/stats', ...adminOnly, async (ctx) => {
    const query = validate(queueStatsQuery, ctx.query, 'query');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await queueStats(deps, query);
  });

  return router;
}
