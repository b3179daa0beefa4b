import type * as oas from 'openapi3-ts/oas31';
import {
  bearer,
  body,
  bodyErrors,
  error,
  errors,
  json,
  optionalBearer,
  param,
  serviceErrors,
} from './components.js';
import { examples } from './examples.js';
import { accepted, keyReused, rateLimited, seatRequestErrors } from './paths-bookings.js';
import { seatMapRefused } from './paths-events.js';
import { ref } from './schemas.js';

const count: oas.SchemaObject = { type: 'integer', minimum: 0 };
const page = (item: string, description: string): oas.SchemaObject => ({
  type: 'object',
  description,
  required: ['data', 'next'],
  properties: {
    data: { type: 'array', items: ref(item) },
    next: {
      type: ['string', 'null'],
      description: 'Opaque cursor for the next page (pass it as `cursor`); null on the last page.',
    },
  },
});
const SEAT_STATES = ['free', 'held', 'booked'];

export const seatingSchemas: Record<string, oas.SchemaObject> = {
  Seat: {
    type: 'object',
    required: ['id', 'section', 'row', 'number', 'state'],
    properties: {
      id: { type: 'string', format: 'uuid', description: 'What `seats` of a booking or hold names' },
      section: { type: 'string' },
      row: { type: 'string', description: 'The row label (`"12"`, `"C"`, `"Box North"`)' },
      number: { type: 'integer', minimum: 1 },
      state: {
        type: 'string',
        enum: SEAT_STATES,
        description: '`free`, `held` (by an active hold) or `booked` (by a confirmed booking)',
      },
    },
  },
  SeatList: page(
    'Seat',
    'Seats in the order the map lists them (block by block, row by row, seat number up); seats ' +
      'added later come after',
  ),
  Section: {
    type: 'object',
    required: ['section', 'rows', 'seats', 'free', 'held', 'booked'],
    properties: {
      section: { type: 'string' },
      rows: { ...count, description: 'Distinct rows' },
      seats: count,
      free: count,
      held: count,
      booked: count,
    },
  },
  SectionList: {
    type: 'object',
    description: 'Every section, best first (empty for general admission); not paged',
    required: ['data'],
    properties: { data: { type: 'array', items: ref('Section') } },
  },
  SeatsAdded: {
    type: 'object',
    required: ['added', 'event'],
    properties: {
      added: { type: 'integer', minimum: 1, description: 'Seats added to the map' },
      event: { ...ref('Event'), description: 'The event, capacity grown by `added` (version + 1)' },
    },
  },
  HoldList: page('Hold', 'Holds, newest first'),
  WaitlistEntryList: page('WaitlistEntry', 'Waitlist entries, newest first, each with its `position`'),
  WaitlistLine: page(
    'WaitlistEntry',
    'The entries still `waiting`, in line order (`position` 1, 2, …), across pages',
  ),
};

/** `POST /holds/{id}/confirm` and `/release`: booking requests about a hold, like a cancellation. */
const holdAction = (
  operationId: string,
  summary: string,
  description: string,
  queued?: oas.ResponsesObject,
): oas.PathItemObject => ({
  parameters: [param('Id')],
  post: {
    tags: ['holds'],
    operationId,
    summary,
    description,
    security: bearer,
    parameters: [param('IdempotencyKey'), param('PreferWait')],
    responses: {
      ...(queued ?? accepted('Request')),
      '400': error('Invalid id or Idempotency-Key, or a partner without an Idempotency-Key', [
        'validation_failed',
      ]),
      '401': errors.unauthorized,
      '404': error('No such hold, or another user’s (admins see all)', ['not_found']),
      '422': keyReused,
      '429': rateLimited,
      ...serviceErrors,
    },
  },
});

/**
 * Reserved seating, holds and the waitlist (api/routes/seats.ts, holds.ts, waitlist.ts,
 * api/services/seat-map.ts, event-admin.ts, waitlist.ts).
 */
export const seatingPaths: oas.PathsObject = {
  '/events/{id}/seats': {
    parameters: [param('Id')],
    post: {
      tags: ['seating'],
      operationId: 'addSeats',
      summary: 'Add seats to a reserved-seating event’s map (admin); capacity grows by as many',
      description:
        'All or nothing, under the event’s lock. New sections and rows rank after the existing ones. ' +
        'The new seats are offered to the waitlist first.',
      security: bearer,
      requestBody: body('SeatMap', examples.seatBlocks),
      responses: {
        '201': json('Added', ref('SeatsAdded')),
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '404': errors.notFound,
        '409': error(
          'A general-admission event (no seat map), a cancelled event, or seats already in the map ' +
            '(details.existing)',
          ['general_admission', 'event_cancelled', 'seat_exists'],
        ),
        '422': seatMapRefused(' (the event’s seats count towards the maximum)'),
        ...bodyErrors,
      },
    },
    get: {
      tags: ['seating'],
      operationId: 'listSeats',
      summary: 'The seat map with each seat’s state (public; drafts only for admins)',
      description:
        'Pages are larger than other lists, so a venue plan is drawn from a few of them. A ' +
        'general-admission event has no seats (an empty page).',
      security: optionalBearer,
      responses: {
        '200': json('A page of seats', ref('SeatList')),
        '400': errors.invalid,
        '401': error('A draft asked for with an invalid token', ['unauthorized'], ['WWW-Authenticate']),
        '404': error('No such event, or a draft and the caller is not an admin', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/events/{id}/sections': {
    parameters: [param('Id')],
    get: {
      tags: ['seating'],
      operationId: 'listSections',
      summary: 'Seats per section: free, held and booked (public; drafts only for admins)',
      security: optionalBearer,
      responses: {
        '200': json('Every section, best first', ref('SectionList')),
        '400': errors.invalid,
        '401': error('A draft asked for with an invalid token', ['unauthorized'], ['WWW-Authenticate']),
        '404': error('No such event, or a draft and the caller is not an admin', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/events/{id}/holds': {
    parameters: [param('Id')],
    post: {
      tags: ['holds'],
      operationId: 'requestHold',
      summary: 'Ask to hold seats during checkout; decided asynchronously, like a booking',
      description:
        'Commits a booking request of kind `hold` and queues it; poll `Location` for the outcome: ' +
        '`held` with the `hold` (its seats kept until `hold.expiresAt`: the event’s `holdTtlSeconds`, ' +
        'else `HOLD_TTL_SECONDS`), or `rejected` with a `reason`. Then confirm it ' +
        '(`POST /holds/{id}/confirm`) to book its seats, or release it. A hold cannot join the ' +
        'waitlist.',
      security: bearer,
      parameters: [param('IdempotencyKey'), param('PreferWait')],
      requestBody: body('HoldRequest', examples.holdBodies),
      responses: {
        ...accepted('Hold request', examples.holdAccepted),
        ...seatRequestErrors,
      },
    },
  },
  '/holds': {
    get: {
      tags: ['holds'],
      operationId: 'listHolds',
      summary: 'The caller’s holds, newest first (admins: one user’s)',
      security: bearer,
      responses: {
        '200': json('A page of holds', ref('HoldList')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '403': error('`userId` from a non-admin', ['forbidden']),
        ...serviceErrors,
      },
    },
  },
  '/holds/{id}': {
    parameters: [param('Id')],
    get: {
      tags: ['holds'],
      operationId: 'getHold',
      summary: 'One hold (its owner or an admin)',
      security: bearer,
      responses: {
        '200': json('The hold', ref('Hold'), [], examples.hold),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '404': error('No such hold, or another user’s', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/holds/{id}/confirm': holdAction(
    'confirmHold',
    'Ask to book a hold’s seats: a booking request of kind confirm_hold, decided in the event’s queue',
    'Whatever the hold’s state now, the queue decides: an active hold becomes a booking (`confirmed`, ' +
      'with `booking` and `hold`); confirming again answers the same booking; after `expiresAt` the ' +
      'request is `expired` (`hold_expired`); a released hold is `rejected` (`hold_released`).',
    accepted('Confirmation request', examples.confirmAccepted),
  ),
  '/holds/{id}/release': holdAction(
    'releaseHold',
    'Ask to give a hold’s seats back: a booking request of kind release_hold, decided in the event’s queue',
    'An active hold is released (`cancelled`) and its seats go to the waitlist, then to anyone; a hold ' +
      'already confirmed, expired or released is `rejected` (`hold_confirmed`, `hold_expired`, ' +
      '`hold_released`).',
  ),
  '/waitlist': {
    get: {
      tags: ['waitlist'],
      operationId: 'listWaitlistEntries',
      summary: 'The caller’s waitlist entries, newest first, with their place in line (admins: one user’s)',
      security: bearer,
      responses: {
        '200': json('A page of entries', ref('WaitlistEntryList')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '403': error('`userId` from a non-admin', ['forbidden']),
        ...serviceErrors,
      },
    },
  },
  '/waitlist/{id}': {
    parameters: [param('Id')],
    get: {
      tags: ['waitlist'],
      operationId: 'getWaitlistEntry',
      summary: 'A waitlist entry and its place in line',
      security: bearer,
      responses: {
        '200': json('The entry', ref('WaitlistEntry'), [], examples.waitlistEntry),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '404': error('No such entry, or another user’s (admins see all)', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/waitlist/{id}/leave': {
    parameters: [param('Id')],
    post: {
      tags: ['waitlist'],
      operationId: 'leaveWaitlist',
      summary: 'Leave the line at once (no queue step: no seats change hands); `waitlist.left` webhook',
      description: 'Its booking request stays `waitlisted`; the entries behind it move up.',
      security: bearer,
      responses: {
        '200': json('The entry, now `left` (position null)', ref('WaitlistEntry')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '429': rateLimited,
        '404': error('No such entry, or another user’s (admins see all)', ['not_found']),
        '409': error('The entry is no longer waiting: promoted, left or cancelled (details.status)', [
          'not_waiting',
        ]),
        ...serviceErrors,
      },
    },
  },
  '/events/{id}/waitlist': {
    parameters: [param('Id')],
    get: {
      tags: ['waitlist'],
      operationId: 'listEventWaitlist',
      summary: 'An event’s line (admin): who waits for how many seats, in order',
      security: bearer,
      responses: {
        '200': json('A page of the line', ref('WaitlistLine')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '403': error('Only admins', ['forbidden']),
        '404': error('No such event', ['not_found']),
        ...serviceErrors,
      },
    },
  },
};
