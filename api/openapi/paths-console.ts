import type * as oas from 'openapi3-ts/oas31';
import { bearer, error, errors, json, param, serviceErrors } from './components.js';
import { ref } from './schemas.js';

const count: oas.SchemaObject = { type: 'integer', minimum: 0 };
const page = (item: oas.SchemaObject | oas.ReferenceObject, description: string): oas.SchemaObject => ({
  type: 'object',
  description,
  required: ['data', 'next'],
  properties: {
    data: { type: 'array', items: item },
    next: {
      type: ['string', 'null'],
      description: 'Opaque cursor for the next page (pass it as `cursor`); null on the last page.',
    },
  },
});
/** A row and the user it is for (`user` is null for a user deleted since). */
const withUser = (name: string): oas.SchemaObject => ({
  allOf: [
    ref(name),
    {
      type: 'object',
      required: ['user'],
      properties: { user: { anyOf: [ref('UserSummary'), { type: 'null' }] } },
    },
  ],
});

export const consoleSchemas: Record<string, oas.SchemaObject> = {
  UserSummary: {
    type: 'object',
    description: 'Who a row is for, as an admin recognises them',
    required: ['id', 'email', 'name'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: { type: 'string' },
      name: { type: 'string' },
    },
  },
  EventOverview: {
    description: 'An event with the live figures an admin watching its sale wants',
    allOf: [
      ref('Event'),
      {
        type: 'object',
        required: ['pendingRequests', 'waitlisted', 'waitlistedTickets'],
        properties: {
          pendingRequests: {
            ...count,
            description: 'Booking requests of any kind still `queued` (not decided yet): the queue’s depth',
          },
          waitlisted: { ...count, description: 'Waitlist entries still `waiting`' },
          waitlistedTickets: { ...count, description: 'Tickets those entries ask for' },
        },
      },
    ],
  },
  EventOverviewList: page(ref('EventOverview'), 'Events in start order (then id), with their live figures'),
  EventHoldList: page(withUser('Hold'), 'The event’s `active` holds, soonest to expire first'),
  EventWaitlistLine: page(
    withUser('WaitlistEntry'),
    'The entries still `waiting`, in line order (`position` 1, 2, …), across pages',
  ),
};

const SESSION =
  'An admin’s bearer token, or the `evently_admin` session cookie the admin sign-in form sets (as ' +
  'every route under `/admin/` takes it; state changes with it must come from this origin).';
const adminOnly: oas.ResponsesObject = {
  '401': errors.unauthorized,
  '403': error('Only admins', ['forbidden']),
};
const noEvent = error('No such event', ['not_found']);
const tags = ['admin'];
const live = (description: string, schema: oas.ReferenceObject): oas.ResponseObject => {
  const response = json(description, schema);
  return {
    ...response,
    headers: { ...response.headers, 'Cache-Control': { schema: { type: 'string', enum: ['no-store'] } } },
  };
};

/** The admins' view of events for watching sales (api/routes/event-overview.ts); the console reads these. */
export const consolePaths: oas.PathsObject = {
  '/admin/events': {
    get: {
      tags,
      operationId: 'listEventOverviews',
      summary: 'Events with their live figures: queue depth and waitlist next to booked, held and capacity',
      description:
        'The same list, filters and order as `GET /events` (drafts included for `status=draft`), each ' +
        `event with \`pendingRequests\`, \`waitlisted\` and \`waitlistedTickets\`. ${SESSION}`,
      security: bearer,
      responses: {
        '200': live('A page of events', ref('EventOverviewList')),
        '400': errors.invalid,
        ...adminOnly,
        ...serviceErrors,
      },
    },
  },
  '/admin/events/{id}': {
    parameters: [param('Id')],
    get: {
      tags,
      operationId: 'getEventOverview',
      summary: 'One event (any status) with its live figures',
      description: SESSION,
      security: bearer,
      responses: {
        '200': live('The event', ref('EventOverview')),
        '400': errors.invalid,
        ...adminOnly,
        '404': noEvent,
        ...serviceErrors,
      },
    },
  },
  '/admin/events/{id}/holds': {
    parameters: [param('Id')],
    get: {
      tags,
      operationId: 'listEventHolds',
      summary: 'An event’s active holds, soonest to expire first, each with its user',
      description: SESSION,
      security: bearer,
      responses: {
        '200': live('A page of holds', ref('EventHoldList')),
        '400': errors.invalid,
        ...adminOnly,
        '404': noEvent,
        ...serviceErrors,
      },
    },
  },
  '/admin/events/{id}/waitlist': {
    parameters: [param('Id')],
    get: {
      tags,
      operationId: 'listEventWaitlistWithUsers',
      summary: 'An event’s line, in order, each entry with its user',
      description: `\`GET /events/{id}/waitlist\`, plus who each entry is for. ${SESSION}`,
      security: bearer,
      responses: {
        '200': live('A page of the line', ref('EventWaitlistLine')),
        '400': errors.invalid,
        ...adminOnly,
        '404': noEvent,
        ...serviceErrors,
      },
    },
  },
};
