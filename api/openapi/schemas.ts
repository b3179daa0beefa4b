import type * as oas from 'openapi3-ts/oas31';
import { SHOWN_EVENT_STATUSES } from '../../shared/booking-rules.js';
import {
  BOOKING_REQUEST_KINDS,
  BOOKING_REQUEST_STATUSES,
  HOLD_STATUSES,
  PURCHASE_REFERENCE_LIMITS as LIMITS,
  REJECTION_REASONS,
  ROLES,
  SEATINGS,
  WAITLIST_PROMOTIONS,
  WAITLIST_STATUSES,
} from '../../shared/domain.js';

type Schema = oas.SchemaObject;

/** `$ref` to a schema of this document (a dangling one fails validation in test/openapi.test.ts). */
export const ref = (name: string): oas.ReferenceObject => ({
  $ref: `#/components/schemas/${name}`,
});
const nullable = (schema: Schema | oas.ReferenceObject): Schema => ({
  anyOf: [schema, { type: 'null' }],
});

const uuid: Schema = { type: 'string', format: 'uuid' };
const nullableUuid: Schema = { ...uuid, type: ['string', 'null'] };
const timestamp: Schema = { type: 'string', format: 'date-time', description: 'ISO 8601, UTC' };
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

/** An event's settings as answered (the request side is generated from api/routes/events.ts). */
const waitlistPromotion: Schema = {
  type: 'string',
  enum: [...WAITLIST_PROMOTIONS],
  description:
    'What the head of the waitlist gets when seats free up: `book`, a confirmed booking at once; ' +
    '`hold`, a hold it must confirm before the hold expires',
};
const holdTtlSeconds: Schema = {
  type: ['integer', 'null'],
  minimum: 5,
  maximum: 86400,
  description:
    'How long a hold keeps its seats, at most the server’s `MAX_HOLD_TTL_SECONDS` (1800 s by default; more ' +
    'is a 400); null: the server’s `HOLD_TTL_SECONDS` (600 s by default)',
};
const maxTicketsPerUser: Schema = {
  type: ['integer', 'null'],
  minimum: 1,
  maximum: 1_000_000,
  description:
    'Most tickets one buyer may have for this event: confirmed, held and waiting on the waitlist together. ' +
    'Decided in arrival order by the allocator, so concurrent requests cannot race past it; over it a request ' +
    'is `rejected` with `ticket_limit_reached` and `reasonDetails` `{limit, counted}`. null: no cap. Omitted ' +
    'at creation: the server’s `DEFAULT_MAX_TICKETS_PER_USER` (unset: no cap)',
};
const limitPartners: Schema = {
  type: 'boolean',
  description:
    'Whether partners and admins (who book for many people) are held to `maxTicketsPerUser` and the ' +
    'per-buyer hold cap too; by default only users are',
};

/** The partner's reference of a purchase, as every representation of it echoes it. */
export const referenceProperties: Record<string, Schema | oas.ReferenceObject> = {
  externalReference: {
    type: ['string', 'null'],
    maxLength: LIMITS.externalReferenceLength,
    description: 'The partner’s own reference given with the purchase’s book or hold request; null if none',
  },
  metadata: ref('Metadata'),
};
const REFERENCE_FIELDS = ['externalReference', 'metadata'];

export const schemas: Record<string, Schema> = {
  Metadata: {
    type: 'object',
    description:
      'The partner’s key-value data given with the purchase’s book or hold request; `{}` if none. A ' +
      'booking, hold or waitlist entry shows its purchase’s (its first request’s); a cancel, confirm or ' +
      'release request has none of its own.',
    maxProperties: LIMITS.metadataKeys,
    propertyNames: { minLength: 1, maxLength: LIMITS.metadataKeyLength },
    additionalProperties: { type: 'string', maxLength: LIMITS.metadataValueLength },
  },
  EventSummary: {
    type: 'object',
    description: 'The event a booking, hold, waitlist entry or request is for, enough to recognise it',
    required: ['id', 'name', 'venue', 'startsAt'],
    properties: { id: uuid, name: { type: 'string' }, venue: { type: 'string' }, startsAt: timestamp },
  },
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
    required: ['id', 'email', 'name', 'role', 'disabled', 'emailNotifications', 'createdAt'],
    properties: {
      id: uuid,
      email: { type: 'string', format: 'email', description: 'Stored lower-cased' },
      name: { type: 'string' },
      role: { type: 'string', enum: [...ROLES] },
      disabled: {
        type: 'boolean',
        description: 'Disabled by an admin: the account can neither sign in nor use its tokens',
      },
      emailNotifications: {
        type: 'boolean',
        description:
          'Whether the account receives attendee emails (booking outcomes, waitlist, offer holds and their ' +
          'reminders, cancellations); the account’s own switch (`PATCH /auth/me`). On for new users, off ' +
          'for partners and admins',
      },
      createdAt: timestamp,
    },
  },
  UserList: listOf('User', 'Accounts, newest first'),
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
      'seating',
      'waitlistPromotion',
      'holdTtlSeconds',
      'maxTicketsPerUser',
      'limitPartners',
      'timeZone',
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
        description: 'capacity - booked - held; 0 once cancelled, completed or started',
      },
      seating: {
        type: 'string',
        enum: [...SEATINGS],
        description:
          '`general`: capacity is a number of places; `reserved`: a seat map, capacity is its seat ' +
          'count (see `/events/{id}/seats` and `/events/{id}/sections`)',
      },
      waitlistPromotion,
      holdTtlSeconds,
      maxTicketsPerUser,
      limitPartners,
      timeZone: {
        type: ['string', 'null'],
        examples: ['Europe/Berlin'],
        description: 'IANA time zone of the venue: emails show the start time in it; null: in UTC',
      },
      status: {
        type: 'string',
        enum: [...SHOWN_EVENT_STATUSES],
        description:
          '`on_sale` means it can be booked now. Sales close by themselves at `startsAt`: an event on sale ' +
          'whose start has passed shows `started` (and `ended` once its `endsAt` has passed), with ' +
          '`available` 0; book and hold requests get `409 event_started`, and requests still queued then ' +
          'are rejected `event_started`, as are cancellations of its bookings. `PATCH` sets `draft`, ' +
          '`on_sale` or `completed`; moving `startsAt` later opens sales again.',
      },
      version: { type: 'integer', minimum: 1, description: 'Optimistic-locking version for `PATCH`' },
      createdAt: timestamp,
      updatedAt: timestamp,
    },
  },
  EventList: listOf('Event', 'Events in start order (then id)'),
  BookedSeat: {
    type: 'object',
    description: 'A seat of a booking or hold: enough to print a ticket',
    required: ['id', 'section', 'row', 'number'],
    properties: {
      id: uuid,
      section: { type: 'string' },
      row: { type: 'string', description: 'The row label (`"12"`, `"C"`, `"Box North"`)' },
      number: { type: 'integer', minimum: 1 },
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
      'event',
      'userId',
      'requestId',
      ...REFERENCE_FIELDS,
      'status',
      'quantity',
      'seats',
      'holdId',
      'createdAt',
      'cancelledAt',
      'links',
    ],
    properties: {
      id: uuid,
      eventId: uuid,
      event: ref('EventSummary'),
      userId: uuid,
      requestId: { ...uuid, description: 'The booking request that won it' },
      ...referenceProperties,
      status: { type: 'string', enum: ['confirmed', 'cancelled'] },
      quantity: { type: 'integer', minimum: 1 },
      seats: {
        type: ['array', 'null'],
        items: ref('BookedSeat'),
        description: 'The seats booked (reserved seating); null for general admission',
      },
      holdId: { ...nullableUuid, description: 'The hold it was confirmed from, if any' },
      createdAt: timestamp,
      cancelledAt: { ...timestamp, type: ['string', 'null'] },
      links: ref('Links'),
    },
  },
  BookingList: listOf('Booking', 'Bookings, newest first'),
  Hold: {
    type: 'object',
    description:
      'Seats kept for one buyer until `expiresAt` (a checkout, a partner’s cart). Made, confirmed and ' +
      'released by booking requests; at `expiresAt` an active hold expires and its seats go to the ' +
      'waitlist, then to anyone.',
    required: [
      'id',
      'eventId',
      'event',
      'userId',
      'requestId',
      ...REFERENCE_FIELDS,
      'status',
      'quantity',
      'seats',
      'expiresAt',
      'bookingId',
      'createdAt',
      'endedAt',
      'links',
    ],
    properties: {
      id: uuid,
      eventId: uuid,
      event: ref('EventSummary'),
      userId: uuid,
      requestId: {
        ...uuid,
        description: 'The request it was made for: a hold request, or a waitlisted booking request',
      },
      ...referenceProperties,
      status: {
        type: 'string',
        enum: [...HOLD_STATUSES],
        description:
          '`active` while held; `confirmed` (now booking `bookingId`), `expired` or `released` once over',
      },
      quantity: { type: 'integer', minimum: 1 },
      seats: {
        type: ['array', 'null'],
        items: ref('BookedSeat'),
        description: 'The seats held (reserved seating); null for general admission',
      },
      expiresAt: { ...timestamp, description: 'Confirm before then; `HOLD_TTL_SECONDS` or the event’s own' },
      bookingId: { ...nullableUuid, description: 'The booking it became, once confirmed' },
      createdAt: timestamp,
      endedAt: { ...timestamp, type: ['string', 'null'] },
      links: {
        type: 'object',
        required: ['self', 'confirm', 'release', 'event'],
        properties: {
          self: { type: 'string' },
          confirm: { type: 'string' },
          release: { type: 'string' },
          event: { type: 'string' },
        },
      },
    },
  },
  WaitlistEntry: {
    type: 'object',
    description:
      'A place in an event’s line, made when a booking request with `waitlist: true` found no seats. ' +
      'When seats free up (cancellations, expired or released holds, added seats) the line is served in ' +
      'order; an entry the free seats cannot satisfy (`minQuantity`, `section`) is skipped, not dropped.',
    required: [
      'id',
      'eventId',
      'event',
      'userId',
      'requestId',
      ...REFERENCE_FIELDS,
      'status',
      'position',
      'quantity',
      'minQuantity',
      'section',
      'bookingId',
      'holdId',
      'createdAt',
      'endedAt',
      'links',
    ],
    properties: {
      id: uuid,
      eventId: uuid,
      event: ref('EventSummary'),
      userId: uuid,
      requestId: { ...uuid, description: 'The booking request that joined the line' },
      ...referenceProperties,
      status: {
        type: 'string',
        enum: [...WAITLIST_STATUSES],
        description:
          '`waiting` in line; `promoted` (got booking `bookingId` or hold `holdId`, as the event’s ' +
          '`waitlistPromotion` says), `left` (by its owner) or `cancelled` (with its event) once over',
      },
      position: {
        type: ['integer', 'null'],
        minimum: 1,
        description: '1-based place in the event’s line while `waiting`; else null',
      },
      quantity: { type: 'integer', minimum: 1 },
      minQuantity: {
        type: 'integer',
        minimum: 1,
        description: 'Fewest seats accepted (`quantity` if not given)',
      },
      section: { type: ['string', 'null'] },
      bookingId: nullableUuid,
      holdId: nullableUuid,
      createdAt: timestamp,
      endedAt: { ...timestamp, type: ['string', 'null'] },
      links: {
        type: 'object',
        required: ['self', 'leave', 'event'],
        properties: { self: { type: 'string' }, leave: { type: 'string' }, event: { type: 'string' } },
      },
    },
  },
  BookingRequest: {
    type: 'object',
    description: 'What a client submitted, and (once decided) its outcome.',
    required: [
      'id',
      'kind',
      'eventId',
      'event',
      'status',
      'reason',
      'reasonDetails',
      'position',
      'payload',
      ...REFERENCE_FIELDS,
      'booking',
      'hold',
      'waitlistEntry',
      'queuedAt',
      'decidedAt',
      'links',
    ],
    properties: {
      id: uuid,
      kind: {
        type: 'string',
        enum: [...BOOKING_REQUEST_KINDS],
        description:
          '`book` (`POST /events/{id}/bookings`), `cancel` (`POST /bookings/{id}/cancel`), `hold` ' +
          '(`POST /events/{id}/holds`), `confirm_hold` and `release_hold` (`POST /holds/{id}/confirm`, ' +
          '`/release`)',
      },
      eventId: uuid,
      event: ref('EventSummary'),
      status: {
        type: 'string',
        enum: [...BOOKING_REQUEST_STATUSES],
        description:
          '`queued` until decided; then `confirmed` (a booking: `booking`), `held` (a hold: `hold`), ' +
          '`waitlisted` (in line: `waitlistEntry`; later `confirmed` or `held` when promoted), `cancelled` ' +
          '(a cancel or release that took effect), `rejected` (see `reason`), or `expired` (a confirm ' +
          'that came after its hold expired)',
      },
      reason: {
        type: ['string', 'null'],
        enum: [...Object.values(REJECTION_REASONS), null],
        description:
          'Why it was rejected (or expired). `processing_failed`: the service failed on this request ' +
          'every time it tried (MAX_PROCESSING_ATTEMPTS), so it was set aside rather than hold up the ' +
          'requests behind it; nothing changed because of it',
      },
      reasonDetails: {
        type: ['object', 'null'],
        additionalProperties: true,
        description:
          'Context of the reason: `seats` (those already taken) for `seat_taken`, `limit` for ' +
          '`waitlist_limit_reached`; else null',
      },
      position: {
        type: ['integer', 'null'],
        minimum: 1,
        description:
          "1-based place in the event's queue while queued, counted up to 100 (further back reads 100); else null",
      },
      payload: {
        description: 'What was asked, as recorded',
        oneOf: [
          {
            type: 'object',
            title: 'book, hold',
            description: 'For `seats`, `quantity` is their count',
            required: ['quantity'],
            properties: {
              quantity: { type: 'integer', minimum: 1 },
              seats: { type: 'array', items: uuid },
              section: { type: 'string' },
              minQuantity: { type: 'integer', minimum: 1 },
              waitlist: { type: 'boolean' },
            },
          },
          { type: 'object', title: 'cancel', required: ['bookingId'], properties: { bookingId: uuid } },
          {
            type: 'object',
            title: 'confirm_hold, release_hold',
            required: ['holdId'],
            properties: { holdId: uuid },
          },
        ],
      },
      ...referenceProperties,
      booking: nullable(ref('Booking')),
      hold: nullable(ref('Hold')),
      waitlistEntry: {
        ...nullable(ref('WaitlistEntry')),
        description: 'A `book` request’s place in line, once waitlisted (kept after its promotion)',
      },
      queuedAt: timestamp,
      decidedAt: { ...timestamp, type: ['string', 'null'] },
      links: ref('Links'),
    },
  },
  BookingRequestList: listOf(
    'BookingRequest',
    'Booking requests, newest first; in a list `position`, `booking`, `hold` and `waitlistEntry` are null',
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
