import Router from '@koa/router';
import Joi from 'joi';
import { Op, type WhereOptions } from 'sequelize';
import { BookingRequest } from '../../shared/db/models/index.js';
import { BOOKING_REQUEST_KINDS, BOOKING_REQUEST_STATUSES } from '../../shared/domain.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { preferredWaitSeconds, requestResults } from '../intake/index.js';
import { referenceFields } from '../intake/reference.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { ownedBy } from '../ownership.js';
import { decodeCursor, encodeCursor, pageQuery } from '../pagination.js';
import { presentBookingRequest, REQUEST_INCLUDES } from '../presenters.js';
import { uuid, uuidParam } from '../schemas.js';
import type { Tokens } from '../services/tokens.js';

export const listQuery = Joi.object({
  ...pageQuery,
  eventId: uuid.description('Only this event'),
  status: Joi.string().valid(...BOOKING_REQUEST_STATUSES),
  kind: Joi.string().valid(...BOOKING_REQUEST_KINDS),
  externalReference: referenceFields.externalReference.description(
    'Only the caller’s book and hold requests given this `externalReference` (exact match)',
  ),
});

export function bookingRequestRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/booking-requests' });

  router.get('/', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const query = validate(listQuery, ctx.query, 'query');
    const where: WhereOptions[] = [{ userId: principal.id }];
    if (query.eventId) where.push({ eventId: query.eventId });
    if (query.status) where.push({ status: query.status });
    if (query.kind) where.push({ kind: query.kind });
    if (query.externalReference) where.push({ externalReference: query.externalReference });
    if (query.cursor)
      where.push({
        seq: { [Op.lt]: decodeCursor(query.cursor, { seq: Joi.string().pattern(/^\d{1,18}$/) }).seq },
      });
    const rows = await BookingRequest.findAll({
      where: { [Op.and]: where },
      order: [['seq', 'DESC']],
      limit: query.limit + 1,
      include: REQUEST_INCLUDES,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    ctx.body = {
      data: page.map((r) => presentBookingRequest(r)),
      next: rows.length > query.limit && last ? encodeCursor({ seq: String(last.seq) }) : null,
    };
  });

  router.get('/:id', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const { id } = validate(uuidParam, ctx.params, 'params');
    const wait = preferredWaitSeconds(ctx.get('Prefer'), deps.config.longPollMaxSeconds);
    if (wait > 0) {
      const { body, waited } = await longPoll(deps, principal, id, wait);
      // Applied only when there was something to wait for: the request was still queued.
      if (waited) ctx.set('Preference-Applied', `wait=${wait}`);
      ctx.body = body;
      return;
    }
    const request = await visibleRequest(principal, id);
    ctx.body = presentBookingRequest(request, await requestResults(deps.sequelize, request));
  });

  return router;
}

/**
 * Waits up to `wait` seconds for the request to be decided. Watched before its first read, so a
 * decision published while it is read still wakes it; both reads are shared with the other
 * long-polls of this process (decision-waiter.ts).
 */
async function longPoll(deps: ApiDeps, principal: Principal, id: string, wait: number) {
  const watch = deps.decisions.watch(id);
  try {
    const read = await watch.current();
    const request = ownedBy(principal, read?.request ?? null, (r) => r.userId, 'Booking request');
    if (read?.results) return { body: presentBookingRequest(request, read.results), waited: false };
    const decided = await watch.decided(wait * 1000);
    const body = decided
      ? presentBookingRequest(decided.request, decided.results)
      : presentBookingRequest(request, await requestResults(deps.sequelize, request));
    return { body, waited: true };
  } finally {
    watch.stop();
  }
}

async function visibleRequest(principal: Principal, id: string): Promise<BookingRequest> {
  return ownedBy(
    principal,
    await BookingRequest.findByPk(id, { include: REQUEST_INCLUDES }),
    (r) => r.userId,
    'Booking request',
  );
}
