import type { RouterContext } from '@koa/router';
import Joi from 'joi';
import type { Context } from 'koa';
import { QueryTypes } from 'sequelize';
import { Event } from '../shared/db/models/index.js';
import type { BookPayload } from '../shared/domain.js';
import { Conflict, NotFound, Unprocessable, ValidationFailed } from '../shared/errors.js';
import type { ApiDeps, AppState, Principal } from './context.js';
import { principalOf } from './middleware/authenticate.js';
import { validate } from './middleware/validate.js';
import { presentBookingRequest } from './presenters.js';
import { singleLine, uuid, uuidParam } from './schemas.js';
import { type Accepted, submit } from './services/intake.js';
import { requestResults } from './services/request-view.js';

/** HTTP helpers shared by every route that submits a request to an event's queue. */

const idempotencyKey = Joi.string()
  .min(1)
  .max(255)
  .pattern(/^[\x21-\x7e]+$/)
  .messages({ 'string.pattern.base': 'Idempotency-Key must be printable ASCII without spaces' });

/** Reads the Idempotency-Key header; partners must send one (they retry across networks). */
export function readIdempotencyKey(ctx: Context, principal: Principal): string | null {
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
export async function respondAccepted(ctx: Context, deps: ApiDeps, accepted: Accepted): Promise<void> {
  if ('notEligible' in accepted) throw new Error('respondAccepted needs an accepted request');
  const { request, created } = accepted;
  // A new request's position came with its insert; a replay's is counted now.
  const results = await requestResults(deps.sequelize, request, created ? accepted.position : undefined);
  ctx.status = created || request.status === 'queued' ? 202 : 200;
  ctx.set('Location', `/booking-requests/${request.id}`);
  if (!created) ctx.set('Idempotent-Replayed', 'true');
  ctx.body = presentBookingRequest(request, results);
}

/** The error for a booking or hold the intake refused because of its event (the rare path). */
export async function whyNotOnSale(eventId: string, principal: Principal): Promise<Error> {
  const event = await Event.findByPk(eventId, { attributes: ['id', 'status', 'publishedAt'] });
  if (!event || (!event.isPublic() && principal.role !== 'admin')) return new NotFound('Event');
  if (event.status === 'cancelled') return new Conflict('event_cancelled', 'This event has been cancelled');
  return new Conflict('event_not_on_sale', 'This event is not on sale');
}

/**
 * The body of a booking or hold: `quantity` (with `section` for the best seats in one section and
 * `minQuantity` to accept fewer), or exactly `seats`; bookings may also ask to `waitlist`.
 */
export function seatSelectionBody(maxSeats: number, { waitlist }: { waitlist: boolean }) {
  return Joi.object({
    quantity: Joi.number().integer().min(1).max(maxSeats),
    seats: Joi.array()
      .items(uuid.required())
      .min(1)
      .max(maxSeats)
      .unique()
      .messages({ 'array.unique': '{{#label}} lists a seat twice' }),
    section: singleLine(50),
    minQuantity: Joi.number().integer().min(1).max(Joi.ref('quantity')),
    ...(waitlist
      ? {
          waitlist: Joi.boolean()
            .when('seats', { is: Joi.exist(), then: Joi.valid(false) })
            .messages({ 'any.only': 'the waitlist takes a quantity, not specific seats' }),
        }
      : {}),
  })
    .xor('quantity', 'seats')
    .with('section', 'quantity')
    .with('minQuantity', 'quantity')
    .messages({
      'object.xor': 'give either quantity or seats, not both',
      'object.missing': 'give quantity or seats',
    });
}

/** The stored payload and the idempotency fingerprint of a validated seat selection. */
export function seatSelectionPayload(body: {
  quantity?: number;
  seats?: string[];
  section?: string;
  minQuantity?: number;
  waitlist?: boolean;
}): { payload: BookPayload; fingerprint: string } {
  const payload: BookPayload = body.seats
    ? { quantity: body.seats.length, seats: body.seats }
    : {
        quantity: body.quantity!,
        ...(body.section ? { section: body.section } : {}),
        ...(body.minQuantity && body.minQuantity < body.quantity! ? { minQuantity: body.minQuantity } : {}),
        ...(body.waitlist ? { waitlist: true } : {}),
      };
  // A plain quantity keeps the fingerprint it always had, so stored keys still match.
  const simple = Object.keys(payload).length === 1;
  return { payload, fingerprint: simple ? String(payload.quantity) : JSON.stringify(payload) };
}

/**
 * Seats and sections must exist in the event's map: checked before anything is recorded, so a
 * bad id is a 422 and not a rejected request. Plain quantities need no check (nor a query).
 * Only for an event the caller may book: for a missing, hidden (draft) or closed event the
 * intake's 404 or 409 answers, and the map of a draft is not revealed.
 */
export async function checkSeatSelection(
  deps: ApiDeps,
  principal: Principal,
  eventId: string,
  payload: BookPayload,
): Promise<void> {
  if (!payload.seats && !payload.section) return;
  const event = await Event.findByPk(eventId, { attributes: ['id', 'seating', 'status'] });
  const bookable = event?.status === 'on_sale' || (event?.status === 'draft' && principal.role === 'admin');
  if (!event || !bookable) return;
  if (event.seating !== 'reserved') {
    throw new Unprocessable(
      'general_admission',
      'This event has no seat map: book a quantity without seats or section',
    );
  }
  const [row] = await deps.sequelize.query<{ unknown: string[]; has_section: boolean }>(
    `SELECT ARRAY(SELECT x FROM unnest($seats::uuid[]) AS x
                   WHERE NOT EXISTS (SELECT 1 FROM seats s WHERE s.id = x AND s.event_id = $eventId)) AS unknown,
            ($section::text IS NULL OR EXISTS (SELECT 1 FROM seats WHERE event_id = $eventId AND section = $section))
              AS has_section`,
    {
      bind: { eventId, seats: payload.seats ?? [], section: payload.section ?? null },
      type: QueryTypes.SELECT,
    },
  );
  if (row && row.unknown.length > 0) {
    throw new Unprocessable('unknown_seats', 'Some seats are not in this event’s seat map', {
      seats: row.unknown,
    });
  }
  if (row && !row.has_section) {
    throw new Unprocessable('unknown_section', `This event has no section ${payload.section}`, {
      section: payload.section,
    });
  }
}

/**
 * The handler of `POST /events/:id/bookings` and `POST /events/:id/holds`: the same body forms
 * (holds without `waitlist`), the same checks, a request of `kind` in the event's queue.
 */
export function seatRequestHandler(deps: ApiDeps, kind: 'book' | 'hold') {
  const schema = seatSelectionBody(deps.config.maxSeatsPerBooking, { waitlist: kind === 'book' });
  return async (ctx: RouterContext<AppState>): Promise<void> => {
    const principal = principalOf(ctx.state);
    const { id } = validate(uuidParam, ctx.params, 'params');
    const { payload, fingerprint } = seatSelectionPayload(validate(schema, ctx.request.body, 'body'));
    const key = readIdempotencyKey(ctx, principal);
    await checkSeatSelection(deps, principal, id, payload);
    const accepted = await submit(deps, {
      principal,
      eventId: id,
      kind,
      payload,
      idempotencyKey: key,
      fingerprintOf: `${kind}:${id}:${fingerprint}`,
    });
    if ('notEligible' in accepted) throw await whyNotOnSale(id, principal);
    await respondAccepted(ctx, deps, accepted);
  };
}
