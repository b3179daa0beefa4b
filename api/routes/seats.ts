import Router from '@koa/router';
import Joi from 'joi';
import { QueryTypes } from 'sequelize';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { decodeCursor, encodeCursor } from '../pagination.js';
import { singleLine, uuidParam } from '../schemas.js';
import { addSeats } from '../services/event-admin.js';
import { visibleEvent } from '../services/public-event.js';
import { seatBlocks } from '../services/seat-map.js';
import type { Tokens } from '../services/tokens.js';

const SEAT_STATES = ['free', 'held', 'booked'] as const;

const listQuery = Joi.object({
  // A seat map page is larger than other lists: a venue plan is drawn from a few pages.
  limit: Joi.number().integer().min(1).max(5000).default(1000),
  cursor: Joi.string().max(200),
  section: singleLine(50),
  state: Joi.string().valid(...SEAT_STATES),
});

/** A seat's state from its active assignment, if any (seat_assignments is the truth). */
const SEAT_STATE_SQL = `CASE WHEN a.id IS NULL THEN 'free' WHEN a.booking_id IS NOT NULL THEN 'booked' ELSE 'held' END`;
const STATE_FILTER: Record<(typeof SEAT_STATES)[number], string> = {
  free: 'a.id IS NULL',
  held: 'a.id IS NOT NULL AND a.booking_id IS NULL',
  booked: 'a.booking_id IS NOT NULL',
};

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
    const filters = [
      query.section ? 'AND s.section = $section' : '',
      query.state ? `AND ${STATE_FILTER[query.state as (typeof SEAT_STATES)[number]]}` : '',
    ].join(' ');
    const rows = await deps.sequelize.query<{
      id: string;
      section: string;
      row: string;
      number: number;
      state: string;
      ordinal: number;
    }>(
      `SELECT s.id, s.section, s.row_label AS row, s.number, ${SEAT_STATE_SQL} AS state, s.ordinal
         FROM seats s LEFT JOIN seat_assignments a ON a.seat_id = s.id AND a.released_at IS NULL
        WHERE s.event_id = $id AND s.ordinal > $after ${filters}
        ORDER BY s.ordinal LIMIT $limit`,
      {
        bind: { id, after, limit: query.limit + 1, ...(query.section ? { section: query.section } : {}) },
        type: QueryTypes.SELECT,
      },
    );
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
    ctx.body = {
      data: await deps.sequelize.query(
        `SELECT s.section, count(DISTINCT s.row_label)::int AS rows, count(*)::int AS seats,
                count(*) FILTER (WHERE a.id IS NULL)::int AS free,
                count(*) FILTER (WHERE a.id IS NOT NULL AND a.booking_id IS NULL)::int AS held,
                count(a.booking_id)::int AS booked
           FROM seats s LEFT JOIN seat_assignments a ON a.seat_id = s.id AND a.released_at IS NULL
          WHERE s.event_id = $id
          GROUP BY s.section ORDER BY min(s.section_rank)`,
        { bind: { id }, type: QueryTypes.SELECT },
      ),
    };
  });

  return router;
}
