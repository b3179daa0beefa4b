import Router from '@koa/router';
import { Hold } from '../../shared/db/models/index.js';
import { HOLD_STATUSES } from '../../shared/domain.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { readIdempotencyKey, reply, seatRequestHandler } from '../intake/index.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { limitBookingSubmissions } from '../middleware/rate-limit.js';
import { validate } from '../middleware/validate.js';
import { ownedBy, ownedListQuery, ownedListWhere } from '../ownership.js';
import { keysetPage } from '../pagination.js';
import { PURCHASE_INCLUDES, presentHold } from '../presenters.js';
import { uuidParam } from '../schemas.js';
import type { RateLimits } from '../services/rate-limits.js';
import type { Tokens } from '../services/tokens.js';

export const listQuery = ownedListQuery(HOLD_STATUSES, 'holds', true);

/**
 * Holds keep seats for a buyer during checkout (a partner's cart). Creating, confirming and
 * releasing one are requests in the event's queue like bookings: 202, then the outcome.
 */
export function holdRoutes(deps: ApiDeps, tokens: Tokens, limits: RateLimits): Router<AppState> {
  const router = new Router<AppState>();
  const submitter = [authenticate(tokens), limitBookingSubmissions(limits)];

  router.post('/events/:id/holds', ...submitter, seatRequestHandler(deps, 'hold'));

  router.get('/holds', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const query = validate(listQuery, ctx.query, 'query');
    const where = ownedListWhere(principal, query, 'holds', deps.sequelize);
    const page = await keysetPage(Hold, {
      key: 'createdAt',
      direction: 'DESC',
      where,
      limit: query.limit,
      cursor: query.cursor,
      include: PURCHASE_INCLUDES,
    });
    ctx.body = { data: page.data.map(presentHold), next: page.next };
  });

  router.get('/holds/:id', authenticate(tokens), async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    ctx.body = presentHold(await visibleHold(principalOf(ctx.state), id));
  });

  // Confirm and release are decided in the queue, whatever the hold's state now: confirming
  // twice answers the same booking, confirming after expiresAt answers `expired`.
  for (const action of ['confirm', 'release'] as const) {
    router.post(`/holds/:id/${action}`, ...submitter, async (ctx) => {
      const principal = principalOf(ctx.state);
      const { id } = validate(uuidParam, ctx.params, 'params');
      const key = readIdempotencyKey(ctx, principal);
      const hold = await visibleHold(principal, id);
      await reply(
        ctx,
        deps,
        await deps.intake.submit({
          principal,
          eventId: hold.eventId,
          kind: action === 'confirm' ? 'confirm_hold' : 'release_hold',
          payload: { holdId: hold.id },
          idempotencyKey: key,
          fingerprintOf: `${action}:${hold.id}`,
        }),
      );
    });
  }

  return router;
}

async function visibleHold(principal: Principal, id: string): Promise<Hold> {
  return ownedBy(principal, await Hold.findByPk(id, { include: PURCHASE_INCLUDES }), (h) => h.userId, 'Hold');
}
