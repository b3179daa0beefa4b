import type * as oas from 'openapi3-ts/oas31';
import { EVENT_STATUSES } from '../../shared/domain.js';
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

const isoQuery = (name: string, description: string): oas.ParameterObject => ({
  name,
  in: 'query',
  description: `${description}; ISO 8601 date or date-time, anything else is a 400`,
  schema: { type: 'string', example: '2030-05-01T00:00:00Z' },
});

/** Browsing and administering events (api/routes/events.ts, api/services/event-admin.ts). */
export const eventPaths: oas.PathsObject = {
  '/events': {
    get: {
      tags: ['events'],
      operationId: 'listEvents',
      summary: 'Browse events (public; status=draft needs an admin token)',
      security: optionalBearer,
      parameters: [
        param('Limit'),
        param('Cursor'),
        isoQuery('from', 'Starts at or after'),
        isoQuery('to', 'Starts at or before (not before `from`)'),
        {
          name: 'q',
          in: 'query',
          description: 'Name contains (case-insensitive, literal)',
          schema: { type: 'string', maxLength: 100 },
        },
        {
          name: 'venue',
          in: 'query',
          description: 'Venue contains (case-insensitive, literal)',
          schema: { type: 'string', maxLength: 200 },
        },
        {
          name: 'status',
          in: 'query',
          schema: { type: 'string', enum: [...EVENT_STATUSES], default: 'on_sale' },
        },
      ],
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
      security: bearer,
      requestBody: body('CreateEventRequest'),
      responses: {
        '201': json('Created', ref('Event'), ['Location']),
        '401': errors.unauthorized,
        '403': errors.forbidden,
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
      security: bearer,
      requestBody: body('UpdateEventRequest'),
      responses: {
        '200': json('The updated event (version + 1)', ref('Event')),
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '404': errors.notFound,
        '409': error(
          'Stale `version` (details.currentVersion), a cancelled event, or capacity below booked + held ' +
            '(details.booked, details.held)',
          ['version_conflict', 'event_cancelled', 'capacity_below_booked'],
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
