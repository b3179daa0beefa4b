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
import { ref } from './schemas.js';

/** A seat map's refusals (api/services/seat-map.ts), shared with `POST /events/{id}/seats`. */
export const seatMapRefused = (extra = ''): oas.ResponseObject =>
  error(
    `A seat named twice (details.section, row, number), a letter range running backwards${extra}, or ` +
      'more seats than `MAX_SEATS_PER_EVENT` (details.requested, details.max)',
    ['duplicate_seat', 'invalid_seat_map', 'seat_map_too_large'],
  );

const startsAt = '2030-05-01T19:00:00Z';

/** Browsing and administering events (api/routes/events.ts, api/services/event-admin.ts). */
export const eventPaths: oas.PathsObject = {
  '/events': {
    get: {
      tags: ['events'],
      operationId: 'listEvents',
      summary: 'Browse events (public; status=draft needs an admin token)',
      security: optionalBearer,
      responses: {
        '200': json('A page of events', ref('EventList')),
        '400': errors.invalid,
        '401': error('`status=draft` without a valid token', ['unauthorized'], ['WWW-Authenticate']),
        '403': error('`status=draft` by a non-admin', ['forbidden']),
        ...serviceErrors,
      },
    },
    post: {
      tags: ['events'],
      operationId: 'createEvent',
      summary: 'Create an event (admin); its queue is created with global concurrency 1',
      description:
        'General admission takes a `capacity`; reserved seating takes a `seatMap` instead, created with ' +
        'the event in one transaction (capacity is its seat count). Giving both, or neither, is a 400.',
      security: bearer,
      requestBody: body('CreateEventRequest', {
        generalAdmission: {
          summary: 'General admission: 500 places',
          value: { name: 'Spring Gala', venue: 'Main Hall', startsAt, capacity: 500 },
        },
        seatMap: {
          summary: 'Reserved seating: section A, rows 1-20, seats 1-30 (600 seats)',
          value: {
            name: 'Symphony No. 9',
            venue: 'Concert Hall',
            startsAt,
            seatMap: { blocks: [{ section: 'A', rows: { from: 1, to: 20 }, seats: { from: 1, to: 30 } }] },
          },
        },
        seatMapWithWaitlistHolds: {
          summary: 'Lettered rows, named boxes; the waitlist is offered 5-minute holds',
          value: {
            name: 'Opening Night',
            venue: 'Opera House',
            startsAt,
            status: 'draft',
            seatMap: {
              blocks: [
                { section: 'Stalls', rows: { from: 'A', to: 'M' }, seats: { from: 1, to: 24 } },
                { section: 'Boxes', rows: ['North', 'South'], seats: { from: 1, to: 4 } },
              ],
            },
            waitlistPromotion: 'hold',
            holdTtlSeconds: 300,
          },
        },
      }),
      responses: {
        '201': json('Created', ref('Event'), ['Location']),
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '422': seatMapRefused(),
        ...bodyErrors,
      },
    },
  },
  '/events/{id}': {
    parameters: [param('Id')],
    get: {
      tags: ['events'],
      operationId: 'getEvent',
      summary: 'One event (drafts only for admins)',
      security: optionalBearer,
      responses: {
        '200': json('The event', ref('Event')),
        '400': errors.invalid,
        '401': error('A draft asked for with an invalid token', ['unauthorized'], ['WWW-Authenticate']),
        '404': error('No such event, or a draft and the caller is not an admin', ['not_found']),
        ...serviceErrors,
      },
    },
    patch: {
      tags: ['events'],
      operationId: 'updateEvent',
      summary: 'Change an event (admin) under optimistic locking',
      description:
        'Raising a general-admission event’s capacity offers the new places to its waitlist. A ' +
        'reserved-seating event’s capacity follows its seat map: add seats with `POST /events/{id}/seats`.',
      security: bearer,
      requestBody: body('UpdateEventRequest'),
      responses: {
        '200': json('The updated event (version + 1)', ref('Event')),
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '404': errors.notFound,
        '409': error(
          'Stale `version` (details.currentVersion), a cancelled event, capacity below booked + held ' +
            '(details.booked, details.held), or another capacity for a reserved-seating event ' +
            '(details.capacity)',
          ['version_conflict', 'event_cancelled', 'capacity_below_booked', 'capacity_follows_seat_map'],
        ),
        ...bodyErrors,
      },
    },
  },
  '/events/{id}/cancel': {
    parameters: [param('Id')],
    post: {
      tags: ['events'],
      operationId: 'cancelEvent',
      summary: 'Cancel the event and all its bookings (admin); webhooks for each; repeatable',
      description:
        'In one transaction: every confirmed booking is cancelled (`booking.cancelled`), every active ' +
        'hold released (`hold.released`) and every waiting waitlist entry cancelled (`waitlist.left`), ' +
        'each with `bookingRequest: null` and `reason: event_cancelled`; their seats are freed. Queued ' +
        'requests are then rejected `event_cancelled` in arrival order.',
      security: bearer,
      responses: {
        '200': json('The cancelled event', ref('Event')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '404': errors.notFound,
        ...serviceErrors,
      },
    },
  },
};
