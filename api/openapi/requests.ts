import type * as oas from 'openapi3-ts/oas31';
import { seatSelectionBody } from '../intake/seat-selection.js';
import { loginBody, logoutBody, passwordBody, refreshBody, registerBody } from '../routes/auth.js';
import { eventBodies } from '../routes/events.js';
import { seatMapBody } from '../routes/seats.js';
import { createBody as createUserBody, updateBody as updateUserBody } from '../routes/users.js';
import {
  createBody as createEndpointBody,
  updateBody as updateEndpointBody,
} from '../routes/webhook-endpoints.js';
import { fromJoi } from './from-joi.js';
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
  CreateUserRequest: createUserBody,
  UpdateUserRequest: updateUserBody,
  CreateEventRequest: events.create,
  UpdateEventRequest: events.update,
  SeatMap: seatMapBody,
  BookRequest: seatSelectionBody(DOCUMENTED_CONFIG.maxSeatsPerBooking, { waitlist: true }),
  HoldRequest: seatSelectionBody(DOCUMENTED_CONFIG.maxSeatsPerBooking, { waitlist: false }),
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
