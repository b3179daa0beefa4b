import Joi from 'joi';
import { QueryTypes, type Sequelize } from 'sequelize';
import { canTakeBookings } from '../../shared/booking-rules.js';
import { Event } from '../../shared/db/models/index.js';
import type { BookPayload } from '../../shared/domain.js';
import { Unprocessable } from '../../shared/errors.js';
import { singleLine, uuid } from '../schemas.js';

/**
 * The body of a booking or hold: `quantity` (with `section` for the best seats in one section and
 * `minQuantity` to accept fewer), or exactly `seats`; bookings may also ask to `waitlist`.
 */
export function seatSelectionBody(maxSeats: number, { waitlist }: { waitlist: boolean }) {
  const most = 'at most `MAX_SEATS_PER_BOOKING` (default 10)';
  return Joi.object({
    quantity: Joi.number()
      .integer()
      .min(1)
      .max(maxSeats)
      .description(`Seats wanted, best available; ${most}`),
    seats: Joi.array()
      .items(uuid.required())
      .min(1)
      .max(maxSeats)
      .unique()
      .messages({ 'array.unique': '{{#label}} lists a seat twice' })
      .description(
        'Exactly these seats (ids from `GET /events/{id}/seats`); taken ones reject the request ' +
          `(\`seat_taken\`, \`reasonDetails.seats\`); ${most}`,
      ),
    section: singleLine(50).description('With `quantity`: best available in this section only'),
    minQuantity: Joi.number()
      .integer()
      .min(1)
      .max(Joi.ref('quantity'))
      .description(
        'With `quantity`: accept as few as this (at most `quantity`) when fewer are free, instead of `sold_out`',
      ),
    ...(waitlist
      ? {
          waitlist: Joi.boolean()
            .when('seats', { is: Joi.exist(), then: Joi.valid(false) })
            .messages({ 'any.only': 'the waitlist takes a quantity, not specific seats' })
            .description(
              'With `quantity`: join the event’s waitlist instead of being rejected `sold_out` ' +
                '(status `waitlisted`); promoted in line order when seats free up. At most ' +
                '`WAITLIST_MAX_PER_USER` (default 2) waiting entries per user and event, else ' +
                '`waitlist_limit_reached`. Not with `seats`.',
            ),
        }
      : {}),
  })
    .description(
      'Either `quantity` (best available: adjacent seats in the best row, centred, else the best split; ' +
        '`section` narrows it, `minQuantity` accepts fewer) or exactly the `seats` wanted (all or none). ' +
        '`seats` and `section` need a reserved-seating event (else `422 general_admission`) and must be ' +
        'in its map (else `422 unknown_seats` with `details.seats`, or `422 unknown_section`).',
    )
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
 * Only for an event that can take bookings (shared/booking-rules.ts): for any other (missing,
 * draft, cancelled, started) the intake's refusal answers, the same as for a plain quantity
 * (404 or 409, see refusal.ts), so a draft's map is not revealed and no caller, admin or not,
 * passes this check to fail the next one.
 */
export async function checkSeatSelection(
  sequelize: Sequelize,
  eventId: string,
  payload: BookPayload,
): Promise<void> {
  if (!payload.seats && !payload.section) return;
  const event = await Event.findByPk(eventId, { attributes: ['id', 'seating', 'status', 'startsAt'] });
  if (!event || !canTakeBookings(event, new Date())) return;
  if (event.seating !== 'reserved') {
    throw new Unprocessable(
      'general_admission',
      'This event has no seat map: book a quantity without seats or section',
    );
  }
  const [row] = await sequelize.query<{ unknown: string[]; has_section: boolean }>(
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
