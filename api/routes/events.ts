import Router from '@koa/router';
import Joi from 'joi';
import { Op } from 'sequelize';
import { SHOWN_EVENT_STATUSES } from '../../shared/booking-rules.js';
import type { Config } from '../../shared/config.js';
import { Event } from '../../shared/db/models/index.js';
import { WAITLIST_PROMOTIONS } from '../../shared/domain.js';
import { Forbidden, ValidationFailed } from '../../shared/errors.js';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, readPrincipal, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { keysetPage, pageQuery } from '../pagination.js';
import { isoDateString, multiLine, singleLine, timeZone, uuidParam } from '../schemas.js';
import { cancelEvent, createSeatedEvent, offerNewSeats, updateEvent } from '../services/event-admin.js';
import { eventFilters } from '../services/event-list.js';
import { isAdmin, visibleEvent } from '../services/public-event.js';
import type { Tokens } from '../services/tokens.js';
import { seatMapBody } from './seats.js';

export const listQuery = Joi.object({
  ...pageQuery,
  from: isoDateString.description('Starts at or after; ISO 8601 date or date-time, anything else is a 400'),
  to: isoDateString.description('Starts at or before (not before `from`); ISO 8601 date or date-time'),
  q: singleLine(100).description('Name contains (case-insensitive, literal)'),
  venue: singleLine(200).description('Venue contains (case-insensitive, literal)'),
  status: Joi.string()
    .valid(...SHOWN_EVENT_STATUSES)
    .default('on_sale')
    .description(
      'The status events show: `on_sale` lists only events that can be booked now (not started); ' +
        '`started` and `ended` those on sale whose start (or `endsAt`) has passed. `draft` is for admins ' +
        'only (401 without a token, 403 for others)',
    ),
});

/**
 * The bodies that create and change an event. Holds are bounded by MAX_HOLD_TTL_SECONDS, so no
 * buyer can lock seats for longer than the operator allows.
 */
export function eventBodies(config: Pick<Config, 'maxHoldTtlSeconds' | 'defaultMaxTicketsPerUser'>) {
  const holdTtl =
    'How long a hold keeps its seats, at most the server’s `MAX_HOLD_TTL_SECONDS` (1800 s by default; more ' +
    'is a 400); null: the server’s `HOLD_TTL_SECONDS` (600 s by default)';
  const holdTtlSeconds = Joi.number().integer().min(5).max(config.maxHoldTtlSeconds).allow(null);
  const ticketCap =
    'Most tickets one buyer may have for this event: confirmed, held and waiting on the waitlist together. ' +
    'Decided in arrival order by the allocator, so concurrent requests cannot race past it; over it a ' +
    'request is `rejected` with `ticket_limit_reached` and `reasonDetails` `{limit, counted}`. null: no cap';
  const maxTicketsPerUser = Joi.number().integer().min(1).max(1_000_000).allow(null);
  const limitPartners = Joi.boolean().description(
    'Whether partners and admins (who book for many people) are held to `maxTicketsPerUser` and the ' +
      'per-buyer hold cap too; by default only users are',
  );
  const eventTimeZone = timeZone
    .allow(null)
    .description('IANA time zone of the venue: emails show the start time in it; null: in UTC');
  const waitlistPromotion = Joi.string()
    .valid(...WAITLIST_PROMOTIONS)
    .description(
      'What the head of the waitlist gets when seats free up: `book`, a confirmed booking at once; ' +
        '`hold`, a hold it must confirm before the hold expires',
    );
  const create = Joi.object({
    name: singleLine(200).required(),
    description: multiLine(5000),
    venue: singleLine(200).required(),
    startsAt: isoDateString.required(),
    endsAt: isoDateString.allow(null).description('After `startsAt`'),
    capacity: Joi.number()
      .integer()
      .min(1)
      .max(1_000_000)
      .when('seatMap', { is: Joi.exist(), then: Joi.forbidden(), otherwise: Joi.required() })
      .messages({ 'any.unknown': 'capacity follows the seat map: give one or the other' })
      .description('General admission'),
    seatMap: seatMapBody,
    status: Joi.string().valid('draft', 'on_sale').default('on_sale'),
    waitlistPromotion: waitlistPromotion.default('book'),
    holdTtlSeconds: holdTtlSeconds.description(holdTtl),
    maxTicketsPerUser: maxTicketsPerUser
      .default(config.defaultMaxTicketsPerUser)
      .description(`${ticketCap}. Omitted: the server’s \`DEFAULT_MAX_TICKETS_PER_USER\` (unset: no cap)`),
    limitPartners: limitPartners.default(false),
    timeZone: eventTimeZone.default(null),
  }).description(
    'General admission with `capacity`, or reserved seating with a `seatMap` (capacity is then its ' +
      'seat count): one or the other, not both.',
  );

  const update = Joi.object({
    version: Joi.number().integer().min(1).required().description('The version you read; stale -> 409'),
    name: singleLine(200),
    description: multiLine(5000),
    venue: singleLine(200),
    startsAt: isoDateString,
    endsAt: isoDateString.allow(null).description('After `startsAt`'),
    capacity: Joi.number()
      .integer()
      .min(1)
      .max(1_000_000)
      .description(
        'General admission only (a reserved-seating event grows by `POST /events/{id}/seats`; another ' +
          'capacity is `409 capacity_follows_seat_map`). Raising it offers the new places to the waitlist.',
      ),
    status: Joi.string().valid('draft', 'on_sale', 'completed'),
    waitlistPromotion,
    holdTtlSeconds: holdTtlSeconds.description(`${holdTtl}; holds made from now on`),
    maxTicketsPerUser: maxTicketsPerUser.description(`${ticketCap}. Applies to requests decided from now on`),
    limitPartners,
    timeZone: eventTimeZone,
  })
    .min(2)
    .description('`version` plus at least one change.');
  return { create, update };
}

export function eventRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/events' });
  const adminOnly = [authenticate(tokens), requireRole('admin')];
  const bodies = eventBodies(deps.config);

  router.get('/', async (ctx) => {
    const query = validate(listQuery, ctx.query, 'query');
    const admin = await isAdmin(tokens, ctx);
    // Drafts are not public: only an admin may list them (anyone else: 401 without a valid
    // token, 403 with one).
    if (query.status === 'draft' && !admin) {
      await readPrincipal(tokens, ctx.get('Authorization'));
      throw new Forbidden('Only admins can list draft events');
    }
    const where = eventFilters(query);
    // Nor is an event that is not published now, whatever became of it (Event.isPublic).
    if (!admin) where.push({ publishedAt: { [Op.ne]: null } });
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
