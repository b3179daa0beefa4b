import type { RouterContext } from '@koa/router';
import Joi from 'joi';
import type { Context } from 'koa';
import { ValidationFailed } from '../../shared/errors.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { principalOf } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { presentBookingRequest } from '../presenters.js';
import { uuidParam } from '../schemas.js';
import { referenceFields, referenceOf } from './reference.js';
import { checkSeatSelection, seatSelectionBody, seatSelectionPayload } from './seat-selection.js';
import type { IntakeAnswer } from './view.js';

/** The HTTP side of intake, shared by every route that submits a request to an event's queue. */

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

/** `Prefer: wait=N` (RFC 7240), N capped at `max`; 0 without one. */
export function preferredWaitSeconds(header: string, max: number): number {
  const match = /(?:^|[;,\s])wait=(\d{1,6})(?:$|[;,\s])/.exec(header);
  return match ? Math.min(Number(match[1]), max) : 0;
}

/**
 * Sends what the intake said to answer. With `Prefer: wait=N`, a request still queued is answered
 * once it is decided (200 with its outcome) or after N seconds (the 202, as without), so a client
 * can learn the outcome in the round trip that submitted it.
 */
export async function reply(
  ctx: Context,
  deps: Pick<ApiDeps, 'decisions' | 'config'>,
  answer: IntakeAnswer,
): Promise<void> {
  const wait =
    answer.status === 202 ? preferredWaitSeconds(ctx.get('Prefer'), deps.config.longPollMaxSeconds) : 0;
  const decided = wait > 0 ? await deps.decisions.outcome(answer.body.id, wait * 1000) : null;
  ctx.status = decided ? 200 : answer.status;
  ctx.set(answer.headers);
  if (wait > 0) ctx.set('Preference-Applied', `wait=${wait}`);
  ctx.body = decided ? presentBookingRequest(decided.request, decided.results) : answer.body;
}

/** The body of a booking or hold request: the seats asked for, and the partner's reference. */
export function seatRequestBody(maxSeats: number, options: { waitlist: boolean }) {
  return seatSelectionBody(maxSeats, options).keys(referenceFields);
}

/**
 * The handler of `POST /events/:id/bookings` and `POST /events/:id/holds`: the same body forms
 * (holds without `waitlist`), the same checks, a request of `kind` in the event's queue.
 */
export function seatRequestHandler(deps: ApiDeps, kind: 'book' | 'hold') {
  const schema = seatRequestBody(deps.config.maxSeatsPerBooking, { waitlist: kind === 'book' });
  return async (ctx: RouterContext<AppState>): Promise<void> => {
    const principal = principalOf(ctx.state);
    const { id } = validate(uuidParam, ctx.params, 'params');
    const body = validate(schema, ctx.request.body, 'body');
    const { payload, fingerprint } = seatSelectionPayload(body);
    const reference = referenceOf(body);
    const key = readIdempotencyKey(ctx, principal);
    await checkSeatSelection(deps.sequelize, id, payload);
    await reply(
      ctx,
      deps,
      await deps.intake.submit({
        principal,
        eventId: id,
        kind,
        payload,
        reference: reference.reference,
        idempotencyKey: key,
        fingerprintOf: `${kind}:${id}:${fingerprint}${reference.fingerprint}`,
      }),
    );
  };
}
