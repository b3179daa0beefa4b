import type * as oas from 'openapi3-ts/oas31';
import { EVENT_STATUSES } from '../../shared/domain.js';
import { bearer, error, errors, json, param, serviceErrors } from './components.js';
import { ref, referenceProperties } from './schemas.js';

const count: oas.SchemaObject = { type: 'integer', minimum: 0 };
const share = (description: string): oas.SchemaObject => ({
  type: 'number',
  minimum: 0,
  description: `${description}; rounded to 4 decimal places, 0 when there is nothing to divide`,
});
const generatedAt: oas.SchemaObject = {
  type: 'string',
  format: 'date-time',
  description: 'When these figures were computed (earlier than now on a cache hit)',
};
const calendarDate: oas.SchemaObject = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };

export const adminSchemas: Record<string, oas.SchemaObject> = {
  Attendee: {
    type: 'object',
    description: 'A booking of the event with its buyer: one line of the attendee list',
    required: ['id', 'status', 'quantity', 'seats', 'externalReference', 'metadata', 'createdAt', 'user'],
    properties: {
      id: { type: 'string', format: 'uuid', description: 'The booking' },
      status: { type: 'string', enum: ['confirmed', 'cancelled'] },
      quantity: { type: 'integer', minimum: 1 },
      seats: {
        type: ['array', 'null'],
        items: ref('BookedSeat'),
        description: 'The seats booked (reserved seating); null for general admission',
      },
      ...referenceProperties,
      createdAt: { type: 'string', format: 'date-time' },
      user: { ...ref('UserSummary'), description: 'The account that owns the booking' },
    },
  },
  AttendeeList: {
    type: 'object',
    description: 'Attendees, newest booking first (then by id)',
    required: ['data', 'next'],
    properties: {
      data: { type: 'array', items: ref('Attendee') },
      next: {
        type: ['string', 'null'],
        description: 'Opaque cursor for the next page (pass it as `cursor`); null on the last page.',
      },
    },
  },
  AnalyticsSummary: {
    type: 'object',
    required: [
      'eventId',
      'totalBookings',
      'totalTickets',
      'confirmedBookings',
      'confirmedTickets',
      'cancelledBookings',
      'cancelledTickets',
      'pendingRequests',
      'pendingBookingRequests',
      'pendingCancellationRequests',
      'pendingTickets',
      'held',
      'waitlisted',
      'cancellationRate',
      'generatedAt',
    ],
    properties: {
      eventId: { type: ['string', 'null'], format: 'uuid', description: 'The `eventId` filter, if any' },
      totalBookings: { ...count, description: 'Bookings ever made (confirmed + cancelled)' },
      totalTickets: { ...count, description: 'Seats in those bookings' },
      confirmedBookings: count,
      confirmedTickets: { ...count, description: 'Seats booked now (the events’ `booked`)' },
      cancelledBookings: count,
      cancelledTickets: count,
      pendingRequests: {
        ...count,
        description: 'Booking requests still `queued` (not decided yet), of any kind',
      },
      pendingBookingRequests: { ...count, description: 'Queued requests of kind `book`' },
      pendingCancellationRequests: { ...count, description: 'Queued requests of kind `cancel`' },
      pendingTickets: { ...count, description: 'Seats asked for by queued `book` requests' },
      held: { ...count, description: 'Seats held (sum of the events’ `held`)' },
      waitlisted: { ...count, description: 'Waitlist entries still `waiting`' },
      cancellationRate: share('cancelledBookings / totalBookings'),
      generatedAt,
    },
  },
  EventAnalytics: {
    type: 'object',
    required: [
      'id',
      'name',
      'venue',
      'status',
      'startsAt',
      'capacity',
      'booked',
      'held',
      'available',
      'utilisation',
      'confirmedBookings',
      'cancelledBookings',
      'cancellationRate',
      'pendingRequests',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      venue: { type: 'string' },
      status: { type: 'string', enum: [...EVENT_STATUSES] },
      startsAt: { type: 'string', format: 'date-time' },
      capacity: { type: 'integer', minimum: 1 },
      booked: { ...count, description: 'Seats in confirmed bookings' },
      held: count,
      available: { ...count, description: 'capacity - booked - held; 0 once cancelled or completed' },
      utilisation: share('(booked + held) / capacity'),
      confirmedBookings: count,
      cancelledBookings: count,
      cancellationRate: share('cancelledBookings / (confirmedBookings + cancelledBookings)'),
      pendingRequests: { ...count, description: 'Booking requests for the event still `queued`' },
    },
  },
  EventAnalyticsList: {
    type: 'object',
    required: ['data', 'generatedAt'],
    properties: { data: { type: 'array', items: ref('EventAnalytics') }, generatedAt },
  },
  DailyAnalytics: {
    type: 'object',
    required: ['timeZone', 'from', 'to', 'eventId', 'data', 'generatedAt'],
    properties: {
      timeZone: { type: 'string', description: 'The zone the days are counted in, canonically spelled' },
      from: calendarDate,
      to: calendarDate,
      eventId: { type: ['string', 'null'], format: 'uuid' },
      data: {
        type: 'array',
        description: 'One entry per day from `from` to `to`, days without activity included (zeros)',
        items: {
          type: 'object',
          required: ['date', 'bookings', 'tickets', 'cancellations', 'cancelledTickets'],
          properties: {
            date: calendarDate,
            bookings: {
              ...count,
              description: 'Bookings made that day (by `createdAt`), whatever their status now',
            },
            tickets: { ...count, description: 'Seats in those bookings' },
            cancellations: { ...count, description: 'Bookings cancelled that day (by `cancelledAt`)' },
            cancelledTickets: { ...count, description: 'Seats in those cancellations' },
          },
        },
      },
      generatedAt,
    },
  },
  QueueStats: {
    type: 'object',
    required: ['activeEventQueues', 'queues', 'generatedAt'],
    properties: {
      activeEventQueues: {
        ...count,
        description: 'Event queues with pending work (the workers’ active set), before `limit`',
      },
      queues: {
        type: 'array',
        description: 'Event queues, most waiting first (at most `limit`), then the webhook queue',
        items: ref('QueueFigures'),
      },
      generatedAt: { type: 'string', format: 'date-time' },
    },
  },
  QueueFigures: {
    type: 'object',
    required: [
      'name',
      'kind',
      'eventId',
      'eventName',
      'waiting',
      'active',
      'delayed',
      'failed',
      'completed',
      'oldestWaitingMs',
      'decidedPerMinute',
    ],
    properties: {
      name: { type: 'string', examples: ['event-{7f9c1e1a-0000-4000-8000-000000000000}', '{webhooks}'] },
      kind: { type: 'string', enum: ['event', 'webhook'] },
      eventId: { type: ['string', 'null'], format: 'uuid' },
      eventName: { type: ['string', 'null'] },
      waiting: count,
      active: count,
      delayed: { ...count, description: 'Jobs waiting for a retry (backoff)' },
      failed: { ...count, description: 'Jobs failed for good (kept 7 days)' },
      completed: { ...count, description: 'Finished jobs still kept by BullMQ (not a lifetime total)' },
      oldestWaitingMs: {
        type: ['integer', 'null'],
        minimum: 0,
        description: 'Age of the oldest waiting job, in ms; null when none waits',
      },
      decidedPerMinute: {
        ...count,
        description:
          'Event queues: booking requests decided in the last minute (one job may decide a batch); ' +
          'the webhook queue: deliveries finished (completed or failed for good) in the last minute',
      },
    },
  },
};

const cacheHeaders: Record<string, oas.HeaderObject> = {
  'Cache-Control': {
    description: '`private, max-age=5`: the same query within 5 s may be answered from the shared cache',
    schema: { type: 'string', enum: ['private, max-age=5'] },
  },
  'X-Cache': {
    description: '`hit` when answered from the cache (see `generatedAt`), `miss` when computed now',
    schema: { type: 'string', enum: ['hit', 'miss'] },
  },
};

/** A report served through the 5 s cache. */
function cachedJson(description: string, schema: oas.ReferenceObject): oas.ResponseObject {
  const response = json(description, schema);
  return { ...response, headers: { ...response.headers, ...cacheHeaders } };
}

/** Live figures: never stored by the API or by the client. */
function liveJson(description: string, schema: oas.ReferenceObject): oas.ResponseObject {
  const response = json(description, schema);
  return {
    ...response,
    headers: {
      ...response.headers,
      'Cache-Control': { schema: { type: 'string', enum: ['no-store'] } },
    },
  };
}

const noCache: oas.ParameterObject = {
  name: 'Cache-Control',
  in: 'header',
  description: '`no-cache` computes the report afresh instead of answering from the 5 s cache',
  schema: { type: 'string', examples: ['no-cache'] },
};

const adminOnly: oas.ResponsesObject = {
  '401': errors.unauthorized,
  '403': error('Only admins', ['forbidden']),
};
const tags = ['analytics'];

const noStore: Record<string, oas.HeaderObject> = {
  'Cache-Control': {
    description: 'Personal data: never stored',
    schema: { type: 'string', enum: ['no-store'] },
  },
};
const attendeeErrors: oas.ResponsesObject = {
  '400': errors.invalid,
  ...adminOnly,
  '404': error('No event with that id', ['not_found']),
  ...serviceErrors,
};

/** Admin analytics and queue figures (api/routes/analytics.ts, api/services/analytics*.ts). */
export const adminPaths: oas.PathsObject = {
  '/admin/analytics/summary': {
    get: {
      tags,
      operationId: 'analyticsSummary',
      summary: 'Bookings, tickets, cancellations, pending requests and held seats, overall or for one event',
      security: bearer,
      parameters: [noCache],
      responses: {
        '200': cachedJson('The figures', ref('AnalyticsSummary')),
        '400': errors.invalid,
        ...adminOnly,
        '404': error('No event with that `eventId`', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/admin/analytics/events': {
    get: {
      tags,
      operationId: 'analyticsEvents',
      summary: 'Events ranked by seats booked, capacity utilisation (held seats included) or cancellations',
      description: 'Events of every status (drafts, cancelled and completed ones included).',
      security: bearer,
      parameters: [noCache],
      responses: {
        '200': cachedJson('The top `limit` events', ref('EventAnalyticsList')),
        '400': errors.invalid,
        ...adminOnly,
        ...serviceErrors,
      },
    },
  },
  '/admin/analytics/daily': {
    get: {
      tags,
      operationId: 'analyticsDaily',
      summary: 'Bookings and cancellations per calendar day in a time zone, every day listed',
      security: bearer,
      parameters: [noCache],
      responses: {
        '200': cachedJson('One entry per day', ref('DailyAnalytics')),
        '400': errors.invalid,
        ...adminOnly,
        '404': error('No event with that `eventId`', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/admin/queues/stats': {
    get: {
      tags,
      operationId: 'queueStats',
      summary: 'Depth, age and throughput of the event queues with pending work and of the webhook queue',
      security: bearer,
      responses: {
        '200': liveJson('Queue figures', ref('QueueStats')),
        '400': errors.invalid,
        ...adminOnly,
        ...serviceErrors,
      },
    },
  },
  '/admin/events/{id}/bookings': {
    parameters: [param('Id')],
    get: {
      tags: ['admin'],
      operationId: 'listEventAttendees',
      summary: 'An event’s attendee list: its bookings with their buyers, newest first (admin only)',
      description:
        'Keyset-paginated (`limit`, `cursor`): a page costs the same at any depth, with no total count. ' +
        '`q` matches a partner’s `externalReference` exactly or the start of the buyer’s email in any ' +
        'letter case.',
      security: bearer,
      responses: {
        '200': liveJson('A page of attendees', ref('AttendeeList')),
        ...attendeeErrors,
      },
    },
  },
  '/admin/events/{id}/bookings.csv': {
    parameters: [param('Id')],
    get: {
      tags: ['admin'],
      operationId: 'exportEventAttendees',
      summary:
        'The same attendees (same `status` and `q` filters, same order) as a CSV download (admin only)',
      description:
        'RFC 4180, UTF-8, CRLF line ends, a header row: `bookingId,status,quantity,seats,externalReference,' +
        'metadata,createdAt,userId,email,name`. `seats` reads `section A, row 1, seat 5; …`; `metadata` is ' +
        'its JSON object (empty when `{}`). A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage ' +
        "return gets a leading `'` so that spreadsheets show it as text, never run it as a formula. " +
        'Streamed from the database 1,000 rows at a time: any size exports in constant memory. A failure ' +
        'after the first rows went out ends the download early (no trailing error row).',
      security: bearer,
      responses: {
        '200': {
          description: 'The CSV',
          headers: {
            ...json('', {}).headers,
            ...noStore,
            'Content-Disposition': {
              description:
                'attachment; filename="<event-name-slug>-bookings.csv" (the event id when the name has no letters or digits)',
              schema: { type: 'string' },
            },
          },
          content: { 'text/csv; charset=utf-8': { schema: { type: 'string' } } },
        },
        ...attendeeErrors,
      },
    },
  },
};
