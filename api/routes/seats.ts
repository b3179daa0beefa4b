import Router from '@koa/router';
import Joi from 'joi';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { decodeCursor, encodeCursor } from '../pagination.js';
import { singleLine, uuidParam } from '../schemas.js';
import { addSeats } from '../services/event-admin.js';
import { visibleEvent } from '../services/public-event.js';
import { listSeats, SEAT_STATES, sectionTotals } from '../services/seat-listing.js';
import { seatBlocks } from '../services/seat-map.js';
import type { Tokens } from '../services/tokens.js';

const listQuery = Joi.object({
  // A seat map page is larger than other lists: a venue plan is drawn from a few pages.
  limit: Joi.number().integer().min(1).max(5000).default(1000),
  cursor: Joi.string().max(200),
  section: singleLine(50),
  state: Joi.string().valid(...SEAT_STATES),
});

export function seatRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/events/:id' });

  router.post('/seats', authenticate(tokens), requireRole('admin'), async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const body = validate(Joi.object({ blocks: seatBlocks.required() }), ctx.request.body, 'body');
    const { event, added } = await addSeats(deps, id, body.blocks);
    ctx.status = 201;
    ctx.body = { added, event };
  });

  router.get('/seats', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const query = validate(listQuery, ctx.query, 'query');
    await visibleEvent(tokens, ctx, id);
    const after = query.cursor
      ? Number(
          decodeCursor(query.cursor, { ordinal: Joi.number().integer().min(0).max(2_147_483_647) }).ordinal,
        )
      : -1;
    const rows = await listSeats(deps.sequelize, id, {
      after,
      limit: query.limit + 1,
      section: query.section,
      state: query.state,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    ctx.body = {
      data: page.map(({ ordinal: _, ...seat }) => seat),
      next: rows.length > query.limit && last ? encodeCursor({ ordinal: last.ordinal }) : null,
    };
  });

  router.get('/sections', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    await visibleEvent(tokens, ctx, id);
    ctx.body = { data: await sectionTotals(deps.sequelize, id) };
  });

  return router;
}
