import Router from '@koa/router';
import Joi from 'joi';
import { WaitlistEntry } from '../../shared/db/models/index.js';
import { WAITLIST_STATUSES } from '../../shared/domain.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { authenticate, principalOf, requireRole } from '../middleware/authenticate.js';
import { limitBookingSubmissions } from '../middleware/rate-limit.js';
import { validate } from '../middleware/validate.js';
import { ownedBy, ownedListQuery, ownedListWhere } from '../ownership.js';
import { keysetPage, pageQuery } from '../pagination.js';
import { PURCHASE_INCLUDES, presentWaitlistEntry } from '../presenters.js';
import { uuidParam } from '../schemas.js';
import type { RateLimits } from '../services/rate-limits.js';
import type { Tokens } from '../services/tokens.js';
import { leaveWaitlist, waitlistLine, waitlistPosition } from '../services/waitlist.js';

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
    ctx.body = await waitlistLine(deps.sequelize, id, query);
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
