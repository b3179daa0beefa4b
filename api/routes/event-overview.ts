import Router from '@koa/router';
import { Event, Hold } from '../../shared/db/models/index.js';
import { NotFound } from '../../shared/errors.js';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { keysetPage } from '../pagination.js';
import { PURCHASE_INCLUDES, presentHold } from '../presenters.js';
import { uuidParam } from '../schemas.js';
import { eventFilters } from '../services/event-list.js';
import { withFigures, withUsers } from '../services/event-overview.js';
import type { Tokens } from '../services/tokens.js';
import { waitlistLine } from '../services/waitlist.js';
import { listQuery as eventsQuery } from './events.js';
import { lineQuery } from './waitlist.js';

/** An event's active holds, by expiry: the same page query as every list. */
export const holdsQuery = lineQuery;

/**
 * What an admin watching sales reads about events (the console's pages call these): the event
 * list with each event's live figures (queue depth, waitlist), one event likewise, its active
 * holds in expiry order and its waitlist in line order, each row naming its user.
 */
export function eventOverviewRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/admin/events' });
  router.use(authenticate(tokens), requireRole('admin'));

  router.get('/', async (ctx) => {
    const query = validate(eventsQuery, ctx.query, 'query');
    const page = await keysetPage(Event, {
      key: 'startsAt',
      direction: 'ASC',
      where: eventFilters(query),
      limit: query.limit,
      cursor: query.cursor,
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { data: await withFigures(deps.sequelize, page.data), next: page.next };
  });

  router.get('/:id', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const event = await Event.findByPk(id);
    if (!event) throw new NotFound('Event');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = (await withFigures(deps.sequelize, [event]))[0];
  });

  router.get('/:id/holds', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const query = validate(holdsQuery, ctx.query, 'query');
    if (!(await Event.findByPk(id, { attributes: ['id'] }))) throw new NotFound('Event');
    // Soonest to expire first, over holds_active_expiry_idx.
    const page = await keysetPage(Hold, {
      key: 'expiresAt',
      direction: 'ASC',
      where: [{ eventId: id, status: 'active' }],
      limit: query.limit,
      cursor: query.cursor,
      include: PURCHASE_INCLUDES,
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { data: await withUsers(page.data.map(presentHold)), next: page.next };
  });

  router.get('/:id/waitlist', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const query = validate(lineQuery, ctx.query, 'query');
    const line = await waitlistLine(deps.sequelize, id, query);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { data: await withUsers(line.data), next: line.next };
  });

  return router;
}
