import Router from '@koa/router';
import Joi from 'joi';
import { Op, type WhereOptions } from 'sequelize';
import { BookingRequest } from '../../shared/db/models/index.js';
import { BOOKING_REQUEST_KINDS, BOOKING_REQUEST_STATUSES } from '../../shared/domain.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { requestResults } from '../intake/index.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { ownedBy } from '../ownership.js';
import { decodeCursor, encodeCursor, pageQuery } from '../pagination.js';
import { presentBookingRequest } from '../presenters.js';
import { uuid, uuidParam } from '../schemas.js';
import type { Tokens } from '../services/tokens.js';

export const listQuery = Joi.object({
  ...pageQuery,
  eventId: uuid.description('Only this event'),
  status: Joi.string().valid(...BOOKING_REQUEST_STATUSES),
  kind: Joi.string().valid(...BOOKING_REQUEST_KINDS),
});

/** `Prefer: wait=N` (RFC 7240): hold the response up to N seconds until the request is decided. */
function preferredWaitSeconds(header: string, max: number): number {
  const match = /(?:^|[;,\s])wait=(\d{1,6})(?:$|[;,\s])/.exec(header);
  return match ? Math.min(Number(match[1]), max) : 0;
}

export function bookingRequestRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/booking-requests' });

  router.get('/', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const query = validate(listQuery, ctx.query, 'query');
    const where: WhereOptions[] = [{ userId: principal.id }];
    if (query.eventId) where.push({ eventId: query.eventId });
    if (query.status) where.push({ status: query.status });
    if (query.kind) where.push({ kind: query.kind });
    if (query.cursor)
      where.push({
        seq: { [Op.lt]: decodeCursor(query.cursor, { seq: Joi.string().pattern(/^\d{1,18}$/) }).seq },
      });
    const rows = await BookingRequest.findAll({
      where: { [Op.and]: where },
      order: [['seq', 'DESC']],
      limit: query.limit + 1,
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
    // Watched before the read, so a decision published while the row is read still wakes this
    // long-poll, and the read is its only one until the decision hands over the decided row.
    const watch = wait > 0 ? deps.decisions.watch(id) : null;
    try {
      let request = await visibleRequest(principal, id);
      if (watch && request.status === 'queued') {
        request = (await watch.decided(wait * 1000)) ?? request;
        ctx.set('Preference-Applied', `wait=${wait}`);
      }
      ctx.body = presentBookingRequest(request, await requestResults(deps.sequelize, request));
    } finally {
      watch?.stop();
    }
  });

  return router;
}

async function visibleRequest(principal: Principal, id: string): Promise<BookingRequest> {
  return ownedBy(principal, await BookingRequest.findByPk(id), (r) => r.userId, 'Booking request');
}
