import type * as oas from 'openapi3-ts/oas31';
import { EVENT_STATUSES, REJECTION_REASONS, ROLES } from '../../shared/domain.js';

type Schema = oas.SchemaObject;

/** `$ref` to a schema of this document (a dangling one fails validation in test/openapi.test.ts). */
export const ref = (name: string): oas.ReferenceObject => ({
  $ref: `#/components/schemas/${name}`,
});
const nullable = (schema: Schema | oas.ReferenceObject): Schema => ({
  anyOf: [schema, { type: 'null' }],
});

const uuid: Schema = { type: 'string', format: 'uuid' };
const timestamp: Schema = { type: 'string', format: 'date-time', description: 'ISO 8601, UTC' };
const nonBlank = (maxLength: number): Schema => ({ type: 'string', minLength: 1, maxLength, pattern: '\\S' });
/** The JSON Schema equivalent of joi's `string().isoDate()`. */
const isoDate: Schema = {
  type: 'string',
  description: 'ISO 8601 date or date-time (`2030-05-01T19:00:00Z`)',
  examples: ['2030-05-01T19:00:00Z'],
};
const listOf = (item: string, description: string): Schema => ({
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

/** Joi body rules, mirrored: same required fields, limits and no unknown fields. */
const email: Schema = { type: 'string', format: 'email', maxLength: 254 };
const password: Schema = { type: 'string', minLength: 8, maxLength: 128 };

export const schemas: Record<string, Schema> = {
  Error: {
    type: 'object',
    description:
      'Every error answer. `code` is stable (clients branch on it); `message` is for people; ' +
      '`details` is a list of validation issues, an object with context, or null.',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: { type: 'string', examples: ['validation_failed'] },
          message: { type: 'string' },
          details: {
            anyOf: [
              { type: 'array', items: ref('ValidationIssue') },
              { type: 'object', additionalProperties: true },
              { type: 'null' },
            ],
          },
        },
      },
    },
  },
  ValidationIssue: {
    type: 'object',
    required: ['in', 'path', 'message'],
    properties: {
      in: { type: 'string', enum: ['body', 'query', 'params', 'headers'] },
      path: { type: 'string', examples: ['quantity'] },
      message: { type: 'string' },
    },
  },
  User: {
    type: 'object',
    required: ['id', 'email', 'name', 'role', 'createdAt'],
    properties: {
      id: uuid,
      email: { type: 'string', format: 'email', description: 'Stored lower-cased' },
      name: { type: 'string' },
      role: { type: 'string', enum: [...ROLES] },
      createdAt: timestamp,
    },
  },
  TokenPair: {
    type: 'object',
    required: ['accessToken', 'refreshToken', 'tokenType', 'expiresIn'],
    properties: {
      accessToken: { type: 'string', description: 'HS256 JWT; send as `Authorization: Bearer …`' },
      refreshToken: { type: 'string', description: 'Spent on use by `POST /auth/refresh`' },
      tokenType: { type: 'string', const: 'Bearer' },
      expiresIn: { type: 'integer', description: 'Access-token lifetime in seconds' },
    },
  },
  Registration: {
    allOf: [ref('TokenPair'), { type: 'object', required: ['user'], properties: { user: ref('User') } }],
  },
  RegisterRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password', 'name'],
    properties: { email, password, name: nonBlank(100) },
  },
  LoginRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: { email, password: { type: 'string', maxLength: 128 } },
  },
  RefreshRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['refreshToken'],
    properties: { refreshToken: { type: 'string', maxLength: 2000 } },
  },
  LogoutRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      refreshToken: {
        type: 'string',
        maxLength: 2000,
        description: 'Also revoked when it belongs to the caller',
      },
    },
  },
  PasswordChangeRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['currentPassword', 'newPassword'],
    properties: { currentPassword: { type: 'string', maxLength: 128 }, newPassword: password },
  },
  CreateUserRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password', 'name', 'role'],
    properties: { email, password, name: nonBlank(100), role: { type: 'string', enum: [...ROLES] } },
  },
  Event: {
    type: 'object',
    required: [
      'id',
      'name',
      'description',
      'venue',
      'startsAt',
      'endsAt',
      'capacity',
      'booked',
      'held',
      'available',
      'status',
      'version',
      'createdAt',
      'updatedAt',
    ],
    properties: {
      id: uuid,
      name: { type: 'string' },
      description: { type: 'string' },
      venue: { type: 'string' },
      startsAt: timestamp,
      endsAt: { ...timestamp, type: ['string', 'null'] },
      capacity: { type: 'integer', minimum: 1 },
      booked: { type: 'integer', minimum: 0 },
      held: { type: 'integer', minimum: 0 },
      available: {
        type: 'integer',
        minimum: 0,
        description: 'capacity - booked - held; 0 once cancelled or completed',
      },
      status: { type: 'string', enum: [...EVENT_STATUSES] },
      version: { type: 'integer', minimum: 1, description: 'Optimistic-locking version for `PATCH`' },
      createdAt: timestamp,
      updatedAt: timestamp,
    },
  },
  EventList: listOf('Event', 'Events in start order (then id)'),
  CreateEventRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'venue', 'startsAt', 'capacity'],
    properties: {
      name: nonBlank(200),
      description: { type: 'string', maxLength: 5000 },
      venue: nonBlank(200),
      startsAt: isoDate,
      endsAt: { ...isoDate, type: ['string', 'null'], description: 'After `startsAt`' },
      capacity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      status: { type: 'string', enum: ['draft', 'on_sale'], default: 'on_sale' },
    },
  },
  UpdateEventRequest: {
    type: 'object',
    additionalProperties: false,
    description: '`version` plus at least one change.',
    required: ['version'],
    minProperties: 2,
    properties: {
      version: { type: 'integer', minimum: 1, description: 'The version you read; stale -> 409' },
      name: nonBlank(200),
      description: { type: 'string', maxLength: 5000 },
      venue: nonBlank(200),
      startsAt: isoDate,
      endsAt: { ...isoDate, type: ['string', 'null'] },
      capacity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      status: { type: 'string', enum: ['draft', 'on_sale', 'completed'] },
    },
  },
  BookRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['quantity'],
    properties: {
      quantity: {
        type: 'integer',
        minimum: 1,
        maximum: 10,
        description: 'Seats wanted; the maximum is `MAX_SEATS_PER_BOOKING` (default 10)',
      },
    },
  },
  Links: {
    type: 'object',
    required: ['self', 'event'],
    properties: { self: { type: 'string' }, event: { type: 'string' } },
  },
  Booking: {
    type: 'object',
    required: [
      'id',
      'eventId',
      'userId',
      'requestId',
      'status',
      'quantity',
      'seats',
      'createdAt',
      'cancelledAt',
      'links',
    ],
    properties: {
      id: uuid,
      eventId: uuid,
      userId: uuid,
      requestId: { ...uuid, description: 'The booking request that won it' },
      status: { type: 'string', enum: ['confirmed', 'cancelled'] },
      quantity: { type: 'integer', minimum: 1 },
      seats: { type: ['array', 'null'], items: { type: 'string' } },
      createdAt: timestamp,
      cancelledAt: { ...timestamp, type: ['string', 'null'] },
      links: ref('Links'),
    },
  },
  BookingList: listOf('Booking', 'Bookings, newest first'),
  BookingRequest: {
    type: 'object',
    description: 'What a client submitted, and (once decided) its outcome.',
    required: [
      'id',
      'kind',
      'eventId',
      'status',
      'reason',
      'position',
      'payload',
      'booking',
      'queuedAt',
      'decidedAt',
      'links',
    ],
    properties: {
      id: uuid,
      kind: { type: 'string', enum: ['book', 'cancel'] },
      eventId: uuid,
      status: { type: 'string', enum: ['queued', 'confirmed', 'rejected', 'cancelled'] },
      reason: {
        type: ['string', 'null'],
        enum: [...Object.values(REJECTION_REASONS), null],
        description: 'Why it was rejected',
      },
      position: {
        type: ['integer', 'null'],
        minimum: 1,
        description:
          "1-based place in the event's queue while queued, counted up to 100 (further back reads 100); else null",
      },
      payload: {
        oneOf: [
          { type: 'object', required: ['quantity'], properties: { quantity: { type: 'integer' } } },
          { type: 'object', required: ['bookingId'], properties: { bookingId: uuid } },
        ],
      },
      booking: nullable(ref('Booking')),
      queuedAt: timestamp,
      decidedAt: { ...timestamp, type: ['string', 'null'] },
      links: ref('Links'),
    },
  },
  BookingRequestList: listOf(
    'BookingRequest',
    'Booking requests, newest first; in a list `position` and `booking` are null',
  ),
  Liveness: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', const: 'ok' } },
  },
  Readiness: {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      checks: {
        type: 'object',
        required: ['postgres', 'redis'],
        properties: {
          postgres: { type: 'string', enum: ['ok', 'unavailable'] },
          redis: { type: 'string', enum: ['ok', 'unavailable'] },
        },
      },
    },
  },
};
