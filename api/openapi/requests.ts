import type Joi from 'joi';
import type * as oas from 'openapi3-ts/oas31';
import { seatRequestBody } from '../intake/index.js';
import { dailyQuery, eventsQuery, queueStatsQuery, summaryQuery } from '../routes/analytics.js';
import { csvQuery as attendeesCsvQuery, listQuery as attendeesQuery } from '../routes/attendees.js';
import {
  loginBody,
  logoutBody,
  passwordBody,
  refreshBody,
  registerBody,
  updateMeBody,
} from '../routes/auth.js';
import { listQuery as bookingRequestsQuery } from '../routes/booking-requests.js';
import { listQuery as bookingsQuery } from '../routes/bookings.js';
import { holdsQuery as eventHoldsQuery } from '../routes/event-overview.js';
import { eventBodies, listQuery as eventsListQuery } from '../routes/events.js';
import { listQuery as holdsQuery } from '../routes/holds.js';
import { seatMapBody, listQuery as seatsQuery } from '../routes/seats.js';
import {
  createBody as createUserBody,
  updateBody as updateUserBody,
  listQuery as usersQuery,
} from '../routes/users.js';
import { lineQuery, listQuery as waitlistQuery } from '../routes/waitlist.js';
import {
  createBody as createEndpointBody,
  deliveriesQuery,
  endpointsQuery,
  updateBody as updateEndpointBody,
} from '../routes/webhook-endpoints.js';
import { fromJoi, queryParameters } from './from-joi.js';
import { ref } from './schemas.js';

/**
 * The server defaults of the settings some bodies are built from (shared/config.ts): the document
 * shows the limits of a server that keeps them; the descriptions say which setting moves them.
 */
export const DOCUMENTED_CONFIG = {
  maxSeatsPerBooking: 10,
  maxHoldTtlSeconds: 1800,
  defaultMaxTicketsPerUser: null,
} as const;

const events = eventBodies(DOCUMENTED_CONFIG);

/** `schema`, with the property `field` replaced by a `$ref` to the component that has it. */
function referring(schema: oas.SchemaObject, field: string, component: string): oas.SchemaObject {
  return { ...schema, properties: { ...schema.properties, [field]: ref(component) } };
}

/** The Joi schema each request body of the document is generated from: the one its route validates with. */
export const requestJoi = {
  RegisterRequest: registerBody,
  LoginRequest: loginBody,
  RefreshRequest: refreshBody,
  LogoutRequest: logoutBody,
  PasswordChangeRequest: passwordBody,
  UpdateMeRequest: updateMeBody,
  CreateUserRequest: createUserBody,
  UpdateUserRequest: updateUserBody,
  CreateEventRequest: events.create,
  UpdateEventRequest: events.update,
  SeatMap: seatMapBody,
  BookRequest: seatRequestBody(DOCUMENTED_CONFIG.maxSeatsPerBooking, { waitlist: true }),
  HoldRequest: seatRequestBody(DOCUMENTED_CONFIG.maxSeatsPerBooking, { waitlist: false }),
  CreateWebhookEndpointRequest: createEndpointBody,
  UpdateWebhookEndpointRequest: updateEndpointBody,
};

/**
 * Every request body of the document, so a change to a route's Joi schema changes the document
 * (test/openapi.test.ts checks that each agrees with its Joi schema). An event's `seatMap` is the
 * `SeatMap` body, referred to rather than repeated.
 */
export const requestSchemas: Record<string, oas.SchemaObject> = Object.fromEntries(
  Object.entries(requestJoi).map(([name, schema]) => {
    const generated = fromJoi(schema);
    return [name, name === 'CreateEventRequest' ? referring(generated, 'seatMap', 'SeatMap') : generated];
  }),
);

/** The Joi schema each operation's query is validated with, by operationId: its parameters come from it. */
export const queryJoi: Record<string, Joi.ObjectSchema> = {
  listUsers: usersQuery,
  listEvents: eventsListQuery,
  listBookings: bookingsQuery,
  listBookingRequests: bookingRequestsQuery,
  listSeats: seatsQuery,
  listHolds: holdsQuery,
  listWaitlistEntries: waitlistQuery,
  listEventWaitlist: lineQuery,
  listEventOverviews: eventsListQuery,
  listEventHolds: eventHoldsQuery,
  listEventWaitlistWithUsers: lineQuery,
  listWebhookEndpoints: endpointsQuery,
  listWebhookDeliveries: deliveriesQuery,
  analyticsSummary: summaryQuery,
  analyticsEvents: eventsQuery,
  analyticsDaily: dailyQuery,
  queueStats: queueStatsQuery,
  listEventAttendees: attendeesQuery,
  exportEventAttendees: attendeesCsvQuery,
};

/** `operation` with its query parameters generated from the route's Joi schema, if it has one. */
export function withGeneratedQuery(operation: oas.OperationObject): oas.OperationObject {
  const schema = operation.operationId ? queryJoi[operation.operationId] : undefined;
  if (!schema) return operation;
  const others = (operation.parameters ?? []).filter((p) => !('in' in p) || p.in !== 'query');
  return { ...operation, parameters: [...others, ...queryParameters(schema)] };
}
