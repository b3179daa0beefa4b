import Router from '@koa/router';
import Joi from 'joi';
import { Op, type WhereOptions } from 'sequelize';
import type { Config } from '../../shared/config.js';
import { Event } from '../../shared/db/models/index.js';
import { WAITLIST_PROMOTIONS } from '../../shared/domain.js';
import { Forbidden, ValidationFailed } from '../../shared/errors.js';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, readPrincipal, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { keysetPage, pageQuery } from '../pagination.js';
import { isoDateString, likeEscape, multiLine, singleLine, uuidParam } from '../schemas.js';
import { cancelEvent, createSeatedEvent, offerNewSeats, updateEvent } from '../services/event-admin.js';
import { isAdmin, visibleEvent } from '../services/public-event.js';
import { seatBlocks } from '../services/seat-map.js';
import type { Tokens } from '../services/tokens.js';

const listQuery = Joi.object({
  ...pageQuery,
  from: isoDateString,
  to: isoDateString,
  q: singleLine(100),
  venue: singleLine(200),
  status: Joi.string().valid('on_sale', 'cancelled', 'completed', 'draft').default('on_sale'),
});

/**
 * The bodies that create and change an event. Holds are bounded by MAX_HOLD_TTL_SECONDS, so no
 * buyer can lock seats for longer than the operator allows.
 */
function eventBodies(config: Config) {
  const holdTtlSeconds = Joi.number().integer().min(5).max(config.maxHoldTtlSeconds).allow(null);
  const maxTicketsPerUser = Joi.number().integer().min(1).max(1_000_000).allow(null);
  const limitPartners = Joi.boolean();
  const create = Joi.object({
    name: singleLine(200).required(),
    description: multiLine(5000),
    venue: singleLine(200).required(),
    startsAt: isoDateString.required(),
    endsAt: isoDateString.allow(null),
    capacity: Joi.number()
      .integer()
      .min(1)
      .max(1_000_000)
      .when('seatMap', { is: Joi.exist(), then: Joi.forbidden(), otherwise: Joi.required() })
      .messages({ 'any.unknown': 'capacity follows the seat map: give one or the other' }),
    seatMap: Joi.object({ blocks: seatBlocks.required() }),
    status: Joi.string().valid('draft', 'on_sale').default('on_sale'),
    waitlistPromotion: Joi.string()
      .valid(...WAITLIST_PROMOTIONS)
      .default('book'),
    holdTtlSeconds,
    maxTicketsPerUser: maxTicketsPerUser.default(config.defaultMaxTicketsPerUser),
    limitPartners: limitPartners.default(false),
  });

  const update = Joi.object({
    version: Joi.number().integer().min(1).required(),
    name: singleLine(200),
    description: multiLine(5000),
    venue: singleLine(200),
    startsAt: isoDateString,
    endsAt: isoDateString.allow(null),
    capacity: Joi.number().integer().min(1).max(1_000_000),
    status: Joi.string().valid('draft', 'on_sale', 'completed'),
    waitlistPromotion: Joi.string().valid(...WAITLIST_PROMOTIONS),
    holdTtlSeconds,
    maxTicketsPerUser,
    limitPartners,
  }).min(2);
  return { create, update };
}

export function eventRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/events' });
  const adminOnly = [authenticate(tokens), requireRole('admin')];
  const bodies = eventBodies(deps.config);

  router.get('/', async (ctx) => {
    const query = validate(listQuery, ctx.query, 'query');
    const where: WhereOptions[] = [{ status: query.status }];
    const admin = await isAdmin(tokens, ctx);
    // Drafts are not public: only an admin may list them (anyone else: 401 without a valid
    // token, 403 with one).
    if (query.status === 'draft' && !admin) {
      await readPrincipal(tokens, ctx.get('Authorization'));
      throw new Forbidden('Only admins can list draft events');
    }
    // Nor is an event that is not published now, whatever became of it (Event.isPublic).
    if (!admin) where.push({ publishedAt: { [Op.ne]: null } });
    if (query.from && query.to && new Date(query.to) < new Date(query.from)) {
      throw new ValidationFailed('Invalid query: to must not be before from', [
        { in: 'query', path: 'to', message: 'must not be before from' },
      ]);
    }
    if (query.from) where.push({ startsAt: { [Op.gte]: new Date(query.from) } });
    if (query.to) where.push({ startsAt: { [Op.lte]: new Date(query.to) } });
    if (query.q) where.push({ name: { [Op.iLike]: `%${likeEscape(query.q)}%` } });
    if (query.venue) where.push({ venue: { [Op.iLike]: `%${likeEscape(query.venue)}%` } });
    ctx.body = await keysetPage(Event, {
      key: 'startsAt',
      direction: 'ASC',
      where,
      limit: query.limit,
      cursor: query.cursor,
    });
  });

  router.get('/:id', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    ctx.body = await visibleEvent(tokens, ctx, id);
  });

  router.post('/', ...adminOnly, async (ctx) => {
    const body = validate(bodies.create, ctx.request.body, 'body');
    const startsAt = new Date(body.startsAt);
    const endsAt = body.endsAt ? new Date(body.endsAt) : null;
    if (endsAt && endsAt <= startsAt) {
      throw new ValidationFailed('endsAt must be after startsAt', [
        { in: 'body', path: 'endsAt', message: 'must be after startsAt' },
      ]);
    }
    const { seatMap, ...fields } = body;
    const event = seatMap
      ? await createSeatedEvent(deps, { ...fields, startsAt, endsAt }, seatMap.blocks)
      : await Event.create({ ...fields, startsAt, endsAt });
    // The queue exists from the start with global concurrency 1: allocation is serialized fleet-wide.
    await deps.queues.get(event.id).setGlobalConcurrency(1);
    ctx.status = 201;
    ctx.set('Location', `/events/${event.id}`);
    ctx.body = event;
  });

  router.patch('/:id', ...adminOnly, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const body = validate(bodies.update, ctx.request.body, 'body');
    const { event, seatsAdded } = await updateEvent(deps.sequelize, id, {
      ...body,
      startsAt: body.startsAt ? new Date(body.startsAt) : undefined,
      endsAt: body.endsAt === undefined ? undefined : body.endsAt === null ? null : new Date(body.endsAt),
    });
    if (seatsAdded) await offerNewSeats(deps, event);
    ctx.body = event;
  });

  router.post('/:id/cancel', ...adminOnly, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    ctx.body = await cancelEvent(deps.sequelize, id);
  });

  return router;
}
