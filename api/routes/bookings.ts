import Router from '@koa/router';
import Joi from 'joi';
import type { Context } from 'koa';
import type { WhereOptions } from 'sequelize';
import { Booking, Event } from '../../shared/db/models/index.js';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '../../shared/errors.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { limitBookingSubmissions } from '../middleware/rate-limit.js';
import { validate } from '../middleware/validate.js';
import { keysetPage, pageQuery } from '../pagination.js';
import { presentBooking, presentBookingRequest } from '../presenters.js';
import { uuid, uuidParam } from '../schemas.js';
import { type Accepted, submit } from '../services/intake.js';
import type { RateLimits } from '../services/rate-limits.js';
import { queuePosition } from '../services/request-position.js';
import type { Tokens } from '../services/tokens.js';

const idempotencyKey = Joi.string()
  .min(1)
  .max(255)
  .pattern(/^[\x21-\x7e]+$/)
  .messages({ 'string.pattern.base': 'Idempotency-Key must be printable ASCII without spaces' });

const listQuery = Joi.object({
  ...pageQuery,
  eventId: uuid,
  status: Joi.string().valid('confirmed', 'cancelled'),
  userId: uuid,
});

/** Reads the Idempotency-Key header; partners must send one (they retry across networks). */
function readIdempotencyKey(ctx: Context, principal: Principal): string | null {
  const raw = ctx.get('Idempotency-Key');
  if (!raw) {
    if (principal.role === 'partner') {
      throw new ValidationFailed('Partners must send an Idempotency-Key header', [
        { in: 'headers', path: 'idempotency-key', message: 'is required for partners' },
      ]);
    }
    return null;
  }
  return validate(idempotencyKey, raw, 'headers');
}

/** 202 for a request still queued (new or replayed), 200 for a replay that is already decided. */
async function respondAccepted(ctx: Context, deps: ApiDeps, accepted: Accepted) {
  if ('notEligible' in accepted) throw new Error('respondAccepted needs an accepted request');
  const { request, created } = accepted;
  // A new request's position came with its insert; a replay's is counted now.
  const position = created ? accepted.position : await queuePosition(deps.sequelize, request);
  ctx.status = created || request.status === 'queued' ? 202 : 200;
  ctx.set('Location', `/booking-requests/${request.id}`);
  if (!created) ctx.set('Idempotent-Replayed', 'true');
  const booking = request.bookingId ? await Booking.findByPk(request.bookingId) : null;
  ctx.body = presentBookingRequest(request, position, booking);
}

export function bookingRoutes(deps: ApiDeps, tokens: Tokens, limits: RateLimits): Router<AppState> {
  const router = new Router<AppState>();
  const submitter = [authenticate(tokens), limitBookingSubmissions(limits)];
  const bookBody = Joi.object({
    quantity: Joi.number().integer().min(1).max(deps.config.maxSeatsPerBooking).required(),
  });

  router.post('/events/:id/bookings', ...submitter, async (ctx) => {
    const principal = principalOf(ctx.state);
    const { id } = validate(uuidParam, ctx.params, 'params');
    const body = validate(bookBody, ctx.request.body, 'body');
    const key = readIdempotencyKey(ctx, principal);
    const accepted = await submit(deps, {
      principal,
      eventId: id,
      kind: 'book',
      payload: { quantity: body.quantity },
      idempotencyKey: key,
      fingerprintOf: `book:${id}:${body.quantity}`,
    });
    if ('notEligible' in accepted) throw await whyNotOnSale(id, principal);
    await respondAccepted(ctx, deps, accepted);
  });

  router.get('/bookings', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const query = validate(listQuery, ctx.query, 'query');
    if (query.userId && principal.role !== 'admin')
      throw new Forbidden('Only admins can list other users’ bookings');
    const where: WhereOptions[] = [];
    // Everyone sees their own history; an admin may ask for someone else's.
    where.push({ userId: query.userId ?? principal.id });
    if (query.eventId) where.push({ eventId: query.eventId });
    if (query.status) where.push({ status: query.status });
    const page = await keysetPage(Booking, {
      key: 'createdAt',
      direction: 'DESC',
      where,
      limit: query.limit,
      cursor: query.cursor,
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
    const accepted = await submit(deps, {
      principal,
      eventId: booking.eventId,
      kind: 'cancel',
      payload: { bookingId: booking.id },
      idempotencyKey: key,
      fingerprintOf: `cancel:${booking.id}`,
    });
    await respondAccepted(ctx, deps, accepted);
  });

  return router;
}

/** The error for a booking the intake refused because of its event (the rare path). */
async function whyNotOnSale(eventId: string, principal: Principal): Promise<Error> {
  const event = await Event.findByPk(eventId, { attributes: ['id', 'status'] });
  if (!event || (event.status === 'draft' && principal.role !== 'admin')) return new NotFound('Event');
  if (event.status === 'cancelled') return new Conflict('event_cancelled', 'This event has been cancelled');
  return new Conflict('event_not_on_sale', 'This event is not on sale');
}

/** Someone else's booking is "not found", not "forbidden": its existence is not theirs to learn. */
async function visibleBooking(principal: Principal, id: string): Promise<Booking> {
  const booking = await Booking.findByPk(id);
  if (!booking || (principal.role !== 'admin' && booking.userId !== principal.id))
    throw new NotFound('Booking');
  return booking;
}
