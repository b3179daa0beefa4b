import Router from '@koa/router';
import Joi from 'joi';
import { Event } from '../../shared/db/models/index.js';
import { NotFound } from '../../shared/errors.js';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { pageQuery } from '../pagination.js';
import { uuidParam } from '../schemas.js';
import { type AttendeeQuery, attendeePage, attendeeQuery } from '../services/attendees.js';
import { attendeeCsv, fileSlug } from '../services/attendees-csv.js';
import type { Tokens } from '../services/tokens.js';

export const listQuery = Joi.object<AttendeeQuery & { limit: number; cursor?: string }>({
  ...pageQuery,
  ...attendeeQuery,
});
export const csvQuery = Joi.object<AttendeeQuery>(attendeeQuery);

/**
 * An event's attendee list, for admins: a page of JSON, or every matching booking as a CSV
 * download streamed from the database (api/services/attendees-csv.ts).
 */
export function attendeeRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/admin/events/:id' });
  // On each route, not router.use(): other routers serve paths under /admin/events/:id too.
  const adminOnly = [authenticate(tokens), requireRole('admin')];

  /** The event named in the path (its id and name), or 404. */
  async function eventOf(params: unknown): Promise<Event> {
    const { id } = validate(uuidParam, params, 'params');
    const event = await Event.findByPk(id, { attributes: ['id', 'name'] });
    if (!event) throw new NotFound('Event');
    return event;
  }

  router.get('/bookings', ...adminOnly, async (ctx) => {
    const event = await eventOf(ctx.params);
    const { limit, cursor, ...filter } = validate(listQuery, ctx.query, 'query');
    ctx.set('Cache-Control', 'no-store');
    const page = { limit, cursor };
    ctx.body = await attendeePage(deps.sequelize, { eventId: event.id, ...filter }, page);
  });

  router.get('/bookings.csv', ...adminOnly, async (ctx) => {
    const event = await eventOf(ctx.params);
    const filter = validate(csvQuery, ctx.query, 'query');
    const stream = await attendeeCsv(deps.sequelize, { eventId: event.id, ...filter });
    // Once the first bytes are out, a failed read can only cut the download short: say so in the log.
    stream.on('error', (err) =>
      ctx.state.logger.error({ err, eventId: event.id }, 'attendee CSV export failed midway'),
    );
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`${fileSlug(event.name) || event.id}-bookings.csv`);
    // Personal data: kept by no cache on the way.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = stream;
  });

  return router;
}
