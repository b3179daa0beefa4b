import type { RouterContext } from '@koa/router';
import Joi from 'joi';
import type { Context } from 'koa';
import { ValidationFailed } from '../../shared/errors.js';
import type { ApiDeps, AppState, Principal } from '../context.js';
import { principalOf } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { uuidParam } from '../schemas.js';
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

/** Sends what the intake said to answer. */
export function reply(ctx: Context, answer: IntakeAnswer): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
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
    await checkSeatSelection(deps.sequelize, id, payload);
    reply(
      ctx,
      await deps.intake.submit({
        principal,
        eventId: id,
        kind,
        payload,
        idempotencyKey: key,
        fingerprintOf: `${kind}:${id}:${fingerprint}`,
      }),
    );
  };
}
