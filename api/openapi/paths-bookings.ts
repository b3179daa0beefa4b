import type * as oas from 'openapi3-ts/oas31';
import {
  bearer,
  body,
  bodyErrors,
  type Examples,
  error,
  errors,
  json,
  param,
  serviceErrors,
} from './components.js';
import { examples } from './examples.js';
import { ref } from './schemas.js';

/**
 * 202 while queued (new or replayed), 200 once decided (within `Prefer: wait`, or a replay of a
 * request already decided); both point at the request.
 */
export const accepted = (what: string, queued?: Examples): oas.ResponsesObject => ({
  '202': json(
    `${what} accepted and queued (or a replay still queued; with \`Prefer: wait=N\`, still queued after N seconds)`,
    ref('BookingRequest'),
    ['Location', 'Idempotent-Replayed', 'Preference-Applied', 'RateLimit', 'RateLimit-Policy'],
    queued,
  ),
  '200': json(
    `${what} decided: within the \`Prefer: wait=N\` it asked for, or a replay (same Idempotency-Key) of a request already decided`,
    ref('BookingRequest'),
    ['Location', 'Idempotent-Replayed', 'Preference-Applied', 'RateLimit', 'RateLimit-Policy'],
  ),
});

/** Booking, hold and cancellation requests share one budget per caller. */
export const rateLimited = error(
  'Over the caller’s budget of booking, hold and cancellation requests ' +
    '(`RATE_LIMIT_BOOKINGS_PER_MINUTE`, partners and admins `RATE_LIMIT_PARTNER_BOOKINGS_PER_MINUTE`)',
  ['rate_limited'],
  ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
);

export const keyReused = error('The Idempotency-Key was used for a different request (details.requestId)', [
  'idempotency_key_reused',
]);

/** The answers of a booking or hold submission, but its 202/200 (api/intake/). */
export const seatRequestErrors: oas.ResponsesObject = {
  '401': errors.unauthorized,
  '404': error('No such event, or one never published (a draft)', ['not_found']),
  '409': error(
    'The event is cancelled, not on sale (a draft, or completed), or has started (sales close at `startsAt`)',
    ['event_cancelled', 'event_not_on_sale', 'event_started'],
  ),
  '422': error(
    'The Idempotency-Key was used for a different request (details.requestId); `seats` or `section` ' +
      'for a general-admission event; seats not in this event’s map (details.seats); no such section ' +
      '(details.section)',
    ['idempotency_key_reused', 'general_admission', 'unknown_seats', 'unknown_section'],
  ),
  '429': rateLimited,
  ...bodyErrors,
  '400': error('Invalid body or Idempotency-Key, or a partner without an Idempotency-Key', [
    'validation_failed',
    'invalid_json',
  ]),
  '503': error(
    'The event’s queue is full (`MAX_QUEUE_DEPTH`), or PostgreSQL/Redis is unreachable',
    ['queue_full', 'service_unavailable'],
    ['Retry-After'],
  ),
};

/** Booking requests and bookings (api/routes/bookings.ts, booking-requests.ts, api/intake/). */
export const bookingPaths: oas.PathsObject = {
  '/events/{id}/bookings': {
    parameters: [param('Id')],
    post: {
      tags: ['bookings'],
      operationId: 'requestBooking',
      summary: 'Ask for seats; decided asynchronously, first come first served',
      description:
        'Commits a booking request and queues it; with `Prefer: wait=N` the answer waits for the ' +
        'outcome (200), else poll `Location` (long-poll with `Prefer: wait=N`) for it: `confirmed` with the booking (and its seats, for reserved seating), ' +
        '`rejected` with a `reason` (`sold_out`, `seat_taken` with `reasonDetails.seats`, …), or, with ' +
        '`waitlist: true` and nothing free, `waitlisted` with its `waitlistEntry`: the request is ' +
        'then promoted in line order (`confirmed`, or `held` when the event’s `waitlistPromotion` is ' +
        '`hold`) as seats free up. Seats and sections are checked against the map before anything ' +
        'is recorded (422).',
      security: bearer,
      parameters: [param('IdempotencyKey'), param('PreferWait')],
      requestBody: body('BookRequest', examples.bookBodies),
      responses: {
        ...accepted('Booking request', examples.bookAccepted),
        ...seatRequestErrors,
      },
    },
  },
  '/bookings': {
    get: {
      tags: ['bookings'],
      operationId: 'listBookings',
      summary: 'The caller’s bookings, newest first (admins: everyone’s, or one user’s)',
      description:
        'Each booking names its event (`event`: id, name, venue, start) and echoes its purchase’s ' +
        '`externalReference` and `metadata`. `externalReference=` finds the caller’s own bookings given that ' +
        'reference (an index lookup, paginated like the rest); another user’s reference finds nothing.',
      security: bearer,
      responses: {
        '200': json('A page of bookings', ref('BookingList')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '403': error('`userId` from a non-admin', ['forbidden']),
        ...serviceErrors,
      },
    },
  },
  '/bookings/{id}': {
    parameters: [param('Id')],
    get: {
      tags: ['bookings'],
      operationId: 'getBooking',
      summary: 'One booking (its owner or an admin)',
      security: bearer,
      responses: {
        '200': json('The booking', ref('Booking')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '404': error('No such booking, or another user’s', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/bookings/{id}/cancel': {
    parameters: [param('Id')],
    post: {
      tags: ['bookings'],
      operationId: 'cancelBooking',
      summary: 'Ask to cancel a booking: a booking request of kind cancel, decided in the event’s queue',
      description:
        'Decided in the event’s queue: `cancelled` (its seats go to the waitlist, then to anyone), or ' +
        '`rejected` with `already_cancelled`, or `event_started` once the event has started (sales and ' +
        'cancellations close at `startsAt`; an admin may still cancel the whole event).',
      security: bearer,
      parameters: [param('IdempotencyKey'), param('PreferWait')],
      responses: {
        ...accepted('Cancellation request'),
        '400': error('Invalid id or Idempotency-Key, or a partner without an Idempotency-Key', [
          'validation_failed',
        ]),
        '401': errors.unauthorized,
        '404': error('No such booking, or another user’s', ['not_found']),
        '409': error('Already cancelled (and no Idempotency-Key sent)', ['already_cancelled']),
        '422': keyReused,
        '429': rateLimited,
        ...serviceErrors,
      },
    },
  },
  '/booking-requests': {
    get: {
      tags: ['booking requests'],
      operationId: 'listBookingRequests',
      summary: 'The caller’s booking requests, newest first',
      security: bearer,
      responses: {
        '200': json('A page of booking requests', ref('BookingRequestList')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        ...serviceErrors,
      },
    },
  },
  '/booking-requests/{id}': {
    parameters: [param('Id')],
    get: {
      tags: ['booking requests'],
      operationId: 'getBookingRequest',
      summary: 'A booking request and its outcome; long-polls with Prefer: wait=N',
      security: bearer,
      parameters: [param('PreferWait')],
      responses: {
        '200': json(
          'The booking request',
          ref('BookingRequest'),
          ['Preference-Applied'],
          examples.bookOutcomes,
        ),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '404': error('No such request, or another user’s (admins see all)', ['not_found']),
        ...serviceErrors,
      },
    },
  },
};
