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

export const listQuery = Joi.object({
  // A seat map page is larger than other lists: a venue plan is drawn from a few pages.
  limit: Joi.number().integer().min(1).max(5000).default(1000).description('Page size'),
  cursor: Joi.string().max(200).description('The `next` of the previous page'),
  section: singleLine(50).description('Only this section (exact name)'),
  state: Joi.string().valid(...SEAT_STATES),
});

/** A seat map, as blocks: the body of `POST /events/{id}/seats` and an event's `seatMap`. */
export const seatMapBody = Joi.object({ blocks: seatBlocks.required() }).description(
  'Seats as blocks. A block is every seat of `rows` × `seats` in `section`: "section A, rows 1-20, ' +
    'seats 1-30" is one block of 600 seats; `rows` is a range of numbers, a range of letters (A-Z; one ' +
    'running backwards is `422 invalid_seat_map`) or a list of labels, and `seats.to` is at least ' +
    '`seats.from`. Sections and rows rank in the order they first appear (best first); best available ' +
    'follows that order. A seat named twice is `422 duplicate_seat`; more than `MAX_SEATS_PER_EVENT` ' +
    '(default 100 000) seats in the event is `422 seat_map_too_large` (`details.requested`, `details.max`).',
);

export function seatRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/events/:id' });

  router.post('/seats', authenticate(tokens), requireRole('admin'), async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const body = validate(seatMapBody, ctx.request.body, 'body');
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
