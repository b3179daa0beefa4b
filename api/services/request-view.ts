import type { Sequelize } from 'sequelize';
import { Booking, type BookingRequest, Hold, WaitlistEntry } from '../../shared/db/models/index.js';
import type { RequestResults } from '../presenters.js';
import { queuePosition } from './request-position.js';
import { waitlistPosition } from './waitlist.js';

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
