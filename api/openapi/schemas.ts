import type * as oas from 'openapi3-ts/oas31';
import {
  BOOKING_REQUEST_KINDS,
  BOOKING_REQUEST_STATUSES,
  EVENT_STATUSES,
  HOLD_STATUSES,
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

/** The fields an event's seating and waitlist are set with (create and update alike). */
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

/** `{from, to}`, both included; `to` must not be before `from`. */
const range = (bound: Schema, description: string): Schema => ({
  type: 'object',
  additionalProperties: false,
  description,
  required: ['from', 'to'],
  properties: { from: bound, to: bound },
});
const seatNumber: Schema = { type: 'integer', minimum: 1, maximum: 9999 };

/** Seats asked for by a booking or a hold, mirroring api/intake/seat-selection.ts (`seatSelectionBody`). */
const seatCount = (description: string): Schema => ({
  type: 'integer',
  minimum: 1,
  maximum: 10,
  description: `${description}; the maximum is \`MAX_SEATS_PER_BOOKING\` (default 10)`,
});
function seatSelection(what: 'booking' | 'hold'): Schema {
  const waitlist = what === 'booking';
  return {
    type: 'object',
    additionalProperties: false,
    description:
      'Either `quantity` (best available: adjacent seats in the best row, centred, else the best split; ' +
      '`section` narrows it, `minQuantity` accepts fewer) or exactly the `seats` wanted (all or none). ' +
      '`seats` and `section` need a reserved-seating event (else `422 general_admission`) and must be ' +
      'in its map (else `422 unknown_seats` with `details.seats`, or `422 unknown_section`).',
    properties: {
      quantity: seatCount('Seats wanted, best available'),
      seats: {
        type: 'array',
        items: uuid,
        minItems: 1,
        maxItems: 10,
        uniqueItems: true,
        description:
          'Exactly these seats (ids from `GET /events/{id}/seats`); taken ones reject the request ' +
          '(`seat_taken`, `reasonDetails.seats`). At most `MAX_SEATS_PER_BOOKING` (default 10).',
      },
      section: { ...nonBlank(50), description: 'With `quantity`: best available in this section only' },
      minQuantity: seatCount(
        'With `quantity`: accept as few as this (at most `quantity`) when fewer are free, instead of `sold_out`',
      ),
      ...(waitlist
        ? {
            waitlist: {
              type: 'boolean',
              default: false,
              description:
                'With `quantity`: join the event’s waitlist instead of being rejected `sold_out` ' +
                '(status `waitlisted`); promoted in line order when seats free up. At most ' +
                '`WAITLIST_MAX_PER_USER` (default 2) waiting entries per user and event, else ' +
                '`waitlist_limit_reached`.',
            },
          }
        : {}),
    },
    oneOf: [
      { title: 'Best available', required: ['quantity'], not: { required: ['seats'] } },
      {
        title: 'Specific seats',
        description:
          'Without `quantity`, `section`, `minQuantity`' + (waitlist ? ' or `waitlist: true`' : ''),
        required: ['seats'],
        not: {
          anyOf: [
            { required: ['quantity'] },
            { required: ['section'] },
            { required: ['minQuantity'] },
            ...(waitlist ? [{ required: ['waitlist'], properties: { waitlist: { const: true } } }] : []),
          ],
        },
      },
    ],
  };
}

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
    required: ['id', 'email', 'name', 'role', 'disabled', 'createdAt'],
    properties: {
      id: uuid,
      email: { type: 'string', format: 'email', description: 'Stored lower-cased' },
      name: { type: 'string' },
      role: { type: 'string', enum: [...ROLES] },
      disabled: {
        type: 'boolean',
        description: 'Disabled by an admin: the account can neither sign in nor use its tokens',
      },
      createdAt: timestamp,
    },
  },
  UserList: listOf('User', 'Accounts, newest first'),
  UpdateUserRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      disabled: {
        type: 'boolean',
        description:
          '`true` refuses the account’s tokens on their next use (401), its refresh tokens and its sign-in ' +
          '(403 `account_disabled`); `false` lets it sign in again (old tokens stay refused)',
      },
      role: {
        type: 'string',
        enum: [...ROLES],
        description: 'Applies on the account’s next request, with the tokens it already holds',
      },
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
      'seating',
      'waitlistPromotion',
      'holdTtlSeconds',
      'maxTicketsPerUser',
      'limitPartners',
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
    description:
      'General admission with `capacity`, or reserved seating with a `seatMap` (capacity is then its ' +
      'seat count): one or the other, not both.',
    required: ['name', 'venue', 'startsAt'],
    properties: {
      name: nonBlank(200),
      description: { type: 'string', maxLength: 5000 },
      venue: nonBlank(200),
      startsAt: isoDate,
      endsAt: { ...isoDate, type: ['string', 'null'], description: 'After `startsAt`' },
      capacity: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'General admission' },
      seatMap: ref('SeatMap'),
      status: { type: 'string', enum: ['draft', 'on_sale'], default: 'on_sale' },
      waitlistPromotion: { ...waitlistPromotion, default: 'book' },
      holdTtlSeconds,
      maxTicketsPerUser,
      limitPartners: { ...limitPartners, default: false },
    },
    oneOf: [
      { title: 'General admission', required: ['capacity'] },
      { title: 'Reserved seating', required: ['seatMap'] },
    ],
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
      capacity: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000_000,
        description:
          'General admission only (a reserved-seating event grows by `POST /events/{id}/seats`; another ' +
          'capacity is `409 capacity_follows_seat_map`). Raising it offers the new places to the waitlist.',
      },
      status: { type: 'string', enum: ['draft', 'on_sale', 'completed'] },
      waitlistPromotion,
      holdTtlSeconds: {
        ...holdTtlSeconds,
        description: `${holdTtlSeconds.description}; holds made from now on`,
      },
      maxTicketsPerUser: { ...maxTicketsPerUser, description: 'Applies to requests decided from now on' },
      limitPartners,
    },
  },
  SeatBlock: {
    type: 'object',
    additionalProperties: false,
    description:
      'Every seat of `rows` × `seats` in `section`: "section A, rows 1-20, seats 1-30" is one block of ' +
      '600 seats. Sections and rows rank in the order they first appear (best first); best available ' +
      'follows that order.',
    required: ['section', 'rows', 'seats'],
    properties: {
      section: nonBlank(50),
      rows: {
        description: 'A range of row numbers, a range of row letters, or a list of row labels',
        oneOf: [
          range(seatNumber, 'Rows numbered `from` to `to`'),
          range(
            { type: 'string', pattern: '^[A-Z]$' },
            'Rows lettered `from` to `to` (A-Z); a range running backwards is `422 invalid_seat_map`',
          ),
          {
            type: 'array',
            description: 'Row labels, best first',
            items: nonBlank(20),
            minItems: 1,
            maxItems: 500,
            uniqueItems: true,
          },
        ],
      },
      seats: range(seatNumber, 'Seat numbers `from` to `to` in each row'),
    },
  },
  SeatMap: {
    type: 'object',
    additionalProperties: false,
    description:
      'Seats as blocks. A seat named twice is `422 duplicate_seat`; more than `MAX_SEATS_PER_EVENT` ' +
      '(default 100 000) seats in the event is `422 seat_map_too_large` (`details.requested`, `details.max`).',
    required: ['blocks'],
    properties: { blocks: { type: 'array', items: ref('SeatBlock'), minItems: 1, maxItems: 500 } },
  },
  BookRequest: seatSelection('booking'),
  HoldRequest: seatSelection('hold'),
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
      'userId',
      'requestId',
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
      userId: uuid,
      requestId: { ...uuid, description: 'The booking request that won it' },
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
      'userId',
      'requestId',
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
      userId: uuid,
      requestId: {
        ...uuid,
        description: 'The request it was made for: a hold request, or a waitlisted booking request',
      },
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
      'userId',
      'requestId',
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
      userId: uuid,
      requestId: { ...uuid, description: 'The booking request that joined the line' },
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
      'status',
      'reason',
      'reasonDetails',
      'position',
      'payload',
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
        description: 'Why it was rejected (or expired)',
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
