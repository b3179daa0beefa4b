import type { Sequelize } from 'sequelize';
import { Booking, type BookingRequest, Hold, WaitlistEntry } from '../../shared/db/models/index.js';
import { PURCHASE_INCLUDES, presentBookingRequest, type RequestResults } from '../presenters.js';
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
  return (await requestResultsOfMany(sequelize, [request], position))[0]!;
}

/**
 * `requestResults()` of many requests at once, in one query per kind of result whatever their
 * number: long-polls woken by one allocation step are answered together (decision-waiter.ts).
 */
export async function requestResultsOfMany(
  sequelize: Sequelize,
  requests: readonly BookingRequest[],
  position?: number | null,
): Promise<RequestResults[]> {
  const bookingIds = requests.flatMap((r) => (r.bookingId ? [r.bookingId] : []));
  const holdIds = requests.flatMap((r) => (r.holdId ? [r.holdId] : []));
  const entryRequestIds = requests
    .filter((r) => r.kind === 'book' && ['waitlisted', 'confirmed', 'held'].includes(r.status))
    .map((r) => r.id);
  const [bookings, holds, entries] = await Promise.all([
    bookingIds.length > 0 ? Booking.findAll({ where: { id: bookingIds }, include: PURCHASE_INCLUDES }) : [],
    holdIds.length > 0 ? Hold.findAll({ where: { id: holdIds }, include: PURCHASE_INCLUDES }) : [],
    entryRequestIds.length > 0
      ? WaitlistEntry.findAll({ where: { requestId: entryRequestIds }, include: PURCHASE_INCLUDES })
      : [],
  ]);
  const bookingById = new Map(bookings.map((b) => [b.id, b]));
  const holdById = new Map(holds.map((h) => [h.id, h]));
  const entryByRequest = new Map(entries.map((e) => [e.requestId, e]));
  return Promise.all(
    requests.map(async (request) => {
      const entry = entryByRequest.get(request.id);
      return {
        position: position !== undefined ? position : await queuePosition(sequelize, request),
        booking: request.bookingId ? (bookingById.get(request.bookingId) ?? null) : null,
        hold: request.holdId ? (holdById.get(request.holdId) ?? null) : null,
        waitlist: entry ? { entry, position: await waitlistPosition(sequelize, entry) } : null,
      };
    }),
  );
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
