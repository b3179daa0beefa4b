import type { Sequelize } from 'sequelize';
import { Booking, type BookingRequest, Hold, WaitlistEntry } from '../../shared/db/models/index.js';
import { presentBookingRequest, type RequestResults } from '../presenters.js';
import { waitlistPosition } from '../services/waitlist.js';
import { queuePosition } from './position.js';

/**
 * Loads what a booking request produced: its queue position while queued, then its booking,
 * hold or waitlist entry (a waitlisted request keeps its entry after promotion, for history).
 * `position` is given when the caller already knows it (the intake counted it).
 */
export async function requestResults(
  sequelize: Sequelize,
  request: BookingRequest,
  position?: number | null,
): Promise<RequestResults> {
  const entry =
    request.kind === 'book' && ['waitlisted', 'confirmed', 'held'].includes(request.status)
      ? await WaitlistEntry.findOne({ where: { requestId: request.id } })
      : null;
  return {
    position: position !== undefined ? position : await queuePosition(sequelize, request),
    booking: request.bookingId ? await Booking.findByPk(request.bookingId) : null,
    hold: request.holdId ? await Hold.findByPk(request.holdId) : null,
    waitlist: entry ? { entry, position: await waitlistPosition(sequelize, entry) } : null,
  };
}

/** What to answer a submission: status, headers and body. */
export interface IntakeAnswer {
  status: 200 | 202;
  headers: Record<string, string>;
  body: ReturnType<typeof presentBookingRequest>;
}

/**
 * 202 for a request still queued (new or replayed), 200 for a replay that is already decided;
 * `Location` names the request, `Idempotent-Replayed` marks a replay. A new request's position
 * came with its insert; a replay's is counted now.
 */
export async function answerFor(
  sequelize: Sequelize,
  request: BookingRequest,
  how: { created: true; position: number | null } | { created: false },
): Promise<IntakeAnswer> {
  const results = await requestResults(sequelize, request, how.created ? how.position : undefined);
  return {
    status: how.created || request.status === 'queued' ? 202 : 200,
    headers: {
      Location: `/booking-requests/${request.id}`,
      ...(how.created ? {} : { 'Idempotent-Replayed': 'true' }),
    },
    body: presentBookingRequest(request, results),
  };
}
