import Router from '@koa/router';
import { Booking } from '../../shared/db/models/index.js';
import { Conflict } from '../../shared/errors.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { readIdempotencyKey, reply, seatRequestHandler } from '../intake/index.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { limitBookingSubmissions } from '../middleware/rate-limit.js';
import { validate } from '../middleware/validate.js';
import { ownedBy, ownedListQuery, ownedListWhere } from '../ownership.js';
import { keysetPage } from '../pagination.js';
import { PURCHASE_INCLUDES, presentBooking } from '../presenters.js';
import { uuidParam } from '../schemas.js';
import type { RateLimits } from '../services/rate-limits.js';
import type { Tokens } from '../services/tokens.js';

export const listQuery = ownedListQuery(['confirmed', 'cancelled'], 'bookings', true);

export function bookingRoutes(deps: ApiDeps, tokens: Tokens, limits: RateLimits): Router<AppState> {
  const router = new Router<AppState>();
  const submitter = [authenticate(tokens), limitBookingSubmissions(limits)];

  router.post('/events/:id/bookings', ...submitter, seatRequestHandler(deps, 'book'));

  router.get('/bookings', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const query = validate(listQuery, ctx.query, 'query');
    const where = ownedListWhere(principal, query, 'bookings', deps.sequelize);
    const page = await keysetPage(Booking, {
      key: 'createdAt',
      direction: 'DESC',
      where,
      limit: query.limit,
      cursor: query.cursor,
      include: PURCHASE_INCLUDES,
    });
    ctx.body = { data: page.data.map(presentBooking), next: page.next };
  });

  router.get('/bookings/:id', authenticate(tokens), async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    ctx.body = presentBooking(await visibleBooking(principalOf(ctx.state), id));
  });

  router.post('/bookings/:id/cancel', ...submitter, async (ctx) => {
    const principal = principalOf(ctx.state);
    const { id } = validate(uuidParam, ctx.params, 'params');
    const key = readIdempotencyKey(ctx, principal);
    const booking = await visibleBooking(principal, id);
    // With a key this may be a replay of the cancel that did it, which must get its request
    // back; a new cancel of a cancelled booking is then rejected by the allocator instead.
    if (booking.status === 'cancelled' && !key) {
      throw new Conflict('already_cancelled', 'This booking is already cancelled');
    }
    await reply(
      ctx,
      deps,
      await deps.intake.submit({
        principal,
        eventId: booking.eventId,
        kind: 'cancel',
        payload: { bookingId: booking.id },
        idempotencyKey: key,
        fingerprintOf: `cancel:${booking.id}`,
      }),
    );
  });

  return router;
}

async function visibleBooking(principal: Principal, id: string): Promise<Booking> {
  return ownedBy(
    principal,
    await Booking.findByPk(id, { include: PURCHASE_INCLUDES }),
    (b) => b.userId,
    'Booking',
  );
}
