import Router from '@koa/router';
import Joi from 'joi';
import { Op, QueryTypes } from 'sequelize';
import { Event, WaitlistEntry } from '../../shared/db/models/index.js';
import { WAITLIST_STATUSES } from '../../shared/domain.js';
import { NotFound } from '../../shared/errors.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { authenticate, principalOf, requireRole } from '../middleware/authenticate.js';
import { limitBookingSubmissions } from '../middleware/rate-limit.js';
import { validate } from '../middleware/validate.js';
import { ownedBy, ownedListQuery, ownedListWhere } from '../ownership.js';
import { decodeCursor, encodeCursor, keysetPage, pageQuery } from '../pagination.js';
import { PURCHASE_INCLUDES, presentWaitlistEntry } from '../presenters.js';
import { uuidParam } from '../schemas.js';
import type { RateLimits } from '../services/rate-limits.js';
import type { Tokens } from '../services/tokens.js';
import { leaveWaitlist, waitlistPosition } from '../services/waitlist.js';

export const listQuery = ownedListQuery(WAITLIST_STATUSES, 'entries');
/** The query of an event's line (admins). */
export const lineQuery = Joi.object(pageQuery);

/**
 * Waitlist entries are made by the allocator (a booking with `waitlist: true` that did not fit);
 * here buyers follow their place in line and leave it, and admins read an event's line.
 */
export function waitlistRoutes(deps: ApiDeps, tokens: Tokens, limits: RateLimits): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/waitlist', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const query = validate(listQuery, ctx.query, 'query');
    const where = ownedListWhere(principal, query, 'waitlist entries');
    const page = await keysetPage(WaitlistEntry, {
      key: 'createdAt',
      direction: 'DESC',
      where,
      limit: query.limit,
      cursor: query.cursor,
      include: PURCHASE_INCLUDES,
    });
    ctx.body = {
      data: await Promise.all(
        page.data.map(async (e) => presentWaitlistEntry(e, await waitlistPosition(deps.sequelize, e))),
      ),
      next: page.next,
    };
  });

  router.get('/waitlist/:id', authenticate(tokens), async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const entry = await visibleEntry(principalOf(ctx.state), id);
    ctx.body = presentWaitlistEntry(entry, await waitlistPosition(deps.sequelize, entry));
  });

  // Leaving draws on the same budget as the other cancel actions.
  router.post('/waitlist/:id/leave', authenticate(tokens), limitBookingSubmissions(limits), async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const entry = await leaveWaitlist(deps.sequelize, await visibleEntry(principalOf(ctx.state), id));
    ctx.body = presentWaitlistEntry(entry, null);
  });

  // The line itself, in order, for admins: who is waiting for how many seats.
  router.get('/events/:id/waitlist', authenticate(tokens), requireRole('admin'), async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const query = validate(lineQuery, ctx.query, 'query');
    if (!(await Event.findByPk(id, { attributes: ['id'] }))) throw new NotFound('Event');
    const after = query.cursor
      ? decodeCursor(query.cursor, { seq: Joi.string().pattern(/^\d{1,18}$/) }).seq
      : '0';
    const [{ ahead }] = (await deps.sequelize.query<{ ahead: number }>(
      `SELECT count(*)::int AS ahead FROM waitlist_entries WHERE event_id = $id AND status = 'waiting' AND seq <= $after`,
      { bind: { id, after }, type: QueryTypes.SELECT },
    )) as [{ ahead: number }];
    const rows = await WaitlistEntry.findAll({
      where: { eventId: id, status: 'waiting', seq: { [Op.gt]: after } },
      order: [['seq', 'ASC']],
      limit: query.limit + 1,
      include: PURCHASE_INCLUDES,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    ctx.body = {
      data: page.map((e, i) => presentWaitlistEntry(e, ahead + i + 1)),
      next: rows.length > query.limit && last ? encodeCursor({ seq: String(last.seq) }) : null,
    };
  });

  return router;
}

async function visibleEntry(principal: Principal, id: string): Promise<WaitlistEntry> {
  return ownedBy(
    principal,
    await WaitlistEntry.findByPk(id, { include: PURCHASE_INCLUDES }),
    (e) => e.userId,
    'Waitlist entry',
  );
}
