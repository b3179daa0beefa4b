import type * as oas from 'openapi3-ts/oas31';
import {
  BOOKING_REQUEST_KINDS,
  HOLD_STATUSES,
  REJECTION_REASONS,
  WAITLIST_STATUSES,
} from '../../shared/domain.js';
import { TEST_WEBHOOK_TYPE, WEBHOOK_TYPES, type WebhookType } from '../../shared/webhooks/types.js';
import { ref, referenceProperties } from './schemas.js';

/**
 * The webhook messages' payloads: the one place they are documented (the OpenAPI `webhooks`
 * section, one entry per type), built by shared/webhooks/messages.ts. Every object is closed
 * (all fields required, no others), and test/webhook-payloads.test.ts validates every message a
 * flow through the API and worker writes against its type's schema, so a builder and this file
 * cannot drift apart. A type in WEBHOOK_TYPES without a schema here does not compile.
 */

type Schema = oas.SchemaObject | oas.ReferenceObject;

const uuid: oas.SchemaObject = { type: 'string', format: 'uuid' };
const timestamp: oas.SchemaObject = { type: 'string', format: 'date-time', description: 'ISO 8601, UTC' };
const NULL: oas.SchemaObject = { type: 'null' };

/** An object with exactly these fields, each present (null where its schema allows). */
const closed = (properties: Record<string, Schema>, extra: oas.SchemaObject = {}): oas.SchemaObject => ({
  type: 'object',
  ...extra,
  required: Object.keys(properties),
  properties,
  additionalProperties: false,
});

/**
 * Component `name` with `status` narrowed to what this message reports. A sibling of `$ref`
 * (JSON Schema 2020-12 applies both), not an `allOf`, so linters still see an object.
 */
const withStatus = (name: string, ...status: string[]) =>
  ({ ...ref(name), properties: { status: { enum: status } } }) as oas.ReferenceObject;

/** The booking request a message reports on, with the status it then has. */
const request = (...status: string[]) => closed({ id: uuid, status: { type: 'string', enum: status } });

/**
 * The `data` of a message about one purchase (a booking, hold or waitlist entry and the booking
 * requests about it). Fields every purchase message carries belong here, once.
 */
const purchase = (properties: Record<string, Schema>, extra: oas.SchemaObject = {}) =>
  closed(
    {
      eventId: { ...uuid, description: 'The event the purchase is for' },
      ...referenceProperties,
      ...properties,
    },
    extra,
  );

const booking = (...status: string[]) => withStatus('WebhookBooking', ...status);
const hold = (...status: string[]) => withStatus('WebhookHold', ...status);
const entry = (...status: string[]) => withStatus('WebhookWaitlistEntry', ...status);

/** An event as the API answers it (component `Event`), and nothing more. */
const event = (...status: string[]) =>
  ({
    ...ref('Event'),
    ...(status.length > 0 ? { properties: { status: { enum: status } } } : {}),
    unevaluatedProperties: false,
  }) as oas.ReferenceObject;

/**
 * A booking or hold ended by a booking request (`what`: cancel, release) or by its event's
 * cancellation: one shape, the same fields, one of `bookingRequest` and `reason` null.
 */
const ownerOrEvent = (
  what: string,
  requestStatus: string,
  subject: Record<string, Schema>,
): oas.SchemaObject => ({
  description:
    '`bookingRequest` and `reason` are both always present and exactly one is null: the ' +
    `${what} request that did it (its owner’s, or an admin’s; \`reason\` null), or none when the ` +
    'event’s cancellation did (`bookingRequest` null, `reason` `event_cancelled`).',
  oneOf: [
    purchase(
      { bookingRequest: request(requestStatus), reason: NULL, ...subject },
      { title: `By a ${what} request` },
    ),
    purchase(
      { bookingRequest: NULL, reason: { type: 'string', const: 'event_cancelled' }, ...subject },
      { title: 'With its event’s cancellation' },
    ),
  ],
});

/** Every type an endpoint can receive: those it subscribes to, and the test message. */
type SentType = WebhookType | typeof TEST_WEBHOOK_TYPE;
const SENT_TYPES: readonly SentType[] = [...WEBHOOK_TYPES, TEST_WEBHOOK_TYPE];

/** Each type's `data`, and what the message means. */
const MESSAGES: Record<SentType, { summary: string; data: oas.SchemaObject }> = {
  'booking.confirmed': {
    summary: 'A book request won a booking',
    data: purchase({ bookingRequest: request('confirmed'), booking: booking('confirmed') }),
  },
  'booking.rejected': {
    summary: 'A booking request of any kind was rejected, or expired (a confirm after its hold expired)',
    data: purchase({
      bookingRequest: closed({
        id: uuid,
        kind: { type: 'string', enum: [...BOOKING_REQUEST_KINDS] },
        status: { type: 'string', enum: ['rejected', 'expired'] },
        reason: { type: 'string', enum: Object.values(REJECTION_REASONS) },
        details: {
          type: ['object', 'null'],
          additionalProperties: true,
          description: 'Context of the reason, as the booking request’s `reasonDetails`',
        },
      }),
      booking: NULL,
    }),
  },
  'booking.cancelled': {
    summary: 'A booking was cancelled: by its owner’s (or an admin’s) cancel request, or with its event',
    data: ownerOrEvent('cancel', 'cancelled', { booking: booking('cancelled') }),
  },
  'hold.created': {
    summary: 'A hold request got its seats, kept until `hold.expiresAt`',
    data: purchase({ bookingRequest: request('held'), hold: hold('active') }),
  },
  'hold.confirmed': {
    summary: 'A hold was confirmed and became a booking',
    data: purchase({
      bookingRequest: request('confirmed'),
      hold: hold('confirmed'),
      booking: booking('confirmed'),
    }),
  },
  'hold.expired': {
    summary: 'A hold reached `expiresAt` unconfirmed; its seats went back on sale',
    data: purchase({ bookingRequest: NULL, hold: hold('expired') }),
  },
  'hold.released': {
    summary: 'A hold was released: by its owner’s release request, or with its event',
    data: ownerOrEvent('release', 'cancelled', { hold: hold('released') }),
  },
  'booking.waitlisted': {
    summary: 'A book request found no seats and joined the event’s waitlist',
    data: purchase({ bookingRequest: request('waitlisted'), waitlistEntry: entry('waiting') }),
  },
  'waitlist.promoted': {
    summary: 'A waitlist entry was served: a booking, or a hold to confirm (the event’s `waitlistPromotion`)',
    data: {
      oneOf: [
        purchase(
          {
            bookingRequest: request('confirmed'),
            waitlistEntry: entry('promoted'),
            booking: booking('confirmed'),
            hold: NULL,
          },
          { title: 'Promoted to a booking' },
        ),
        purchase(
          {
            bookingRequest: request('held'),
            waitlistEntry: entry('promoted'),
            booking: NULL,
            hold: hold('active'),
          },
          { title: 'Promoted to a hold' },
        ),
      ],
    },
  },
  'waitlist.left': {
    summary: 'A waitlist entry left the line: its owner left, or the event was cancelled',
    data: {
      description: 'The booking request stays `waitlisted`.',
      oneOf: [
        purchase(
          {
            bookingRequest: request('waitlisted'),
            waitlistEntry: entry('left'),
            reason: { type: 'string', const: 'left' },
          },
          { title: 'Its owner left' },
        ),
        purchase(
          {
            bookingRequest: request('waitlisted'),
            waitlistEntry: entry('cancelled'),
            reason: { type: 'string', const: 'event_cancelled' },
          },
          { title: 'With its event’s cancellation' },
        ),
      ],
    },
  },
  'event.updated': {
    summary: 'An event was published or changed; public news, except for a draft (admins only)',
    data: closed({ event: event() }),
  },
  'event.cancelled': {
    summary: 'An event was cancelled, with its bookings, holds and waitlist (each has its own message)',
    data: closed({ event: event('cancelled') }),
  },
  [TEST_WEBHOOK_TYPE]: {
    summary:
      'A test message, sent by `POST /webhook-endpoints/{id}/test` to that endpoint only (no endpoint ' +
      'subscribes to it)',
    data: closed({
      endpointId: { ...uuid, description: 'The endpoint it was sent to' },
      message: { type: 'string' },
    }),
  },
};

/** `booking.confirmed` -> `BookingConfirmedMessage`: the component name of a type's message. */
export const messageSchemaName = (type: SentType) =>
  `${type
    .split('.')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('')}Message`;

/** The Standard Webhooks envelope of one type. */
const envelope = (type: SentType, data: oas.SchemaObject): oas.SchemaObject =>
  closed(
    {
      type: { type: 'string', const: type },
      timestamp: { ...timestamp, description: 'When the change it reports was committed' },
      data,
    },
    { title: type, description: MESSAGES[type].summary },
  );

const seats: oas.SchemaObject = {
  type: ['array', 'null'],
  // unevaluatedProperties closes a component that is open in the API's answers.
  items: { $ref: '#/components/schemas/BookedSeat', unevaluatedProperties: false } as oas.ReferenceObject,
  description: 'Reserved seating: the seats; general admission: null',
};

export const webhookMessageSchemas: Record<string, oas.SchemaObject> = {
  WebhookBooking: closed(
    {
      id: uuid,
      status: { type: 'string', enum: ['confirmed', 'cancelled'] },
      quantity: { type: 'integer', minimum: 1 },
      seats,
    },
    { description: 'A booking as messages show it (`GET /bookings/{id}` has the rest)' },
  ),
  WebhookHold: closed(
    {
      id: uuid,
      status: { type: 'string', enum: [...HOLD_STATUSES] },
      quantity: { type: 'integer', minimum: 1 },
      seats,
      expiresAt: timestamp,
    },
    { description: 'A hold as messages show it (`GET /holds/{id}` has the rest)' },
  ),
  WebhookWaitlistEntry: closed(
    {
      id: uuid,
      status: { type: 'string', enum: [...WAITLIST_STATUSES] },
      quantity: { type: 'integer', minimum: 1 },
      section: { type: ['string', 'null'] },
    },
    { description: 'A waitlist entry as messages show it (`GET /waitlist/{id}` has the rest)' },
  ),
  ...Object.fromEntries(
    SENT_TYPES.map((type) => [messageSchemaName(type), envelope(type, MESSAGES[type].data)]),
  ),
};

/** The Standard Webhooks headers of every message, and the trace context when the service traces. */
export const webhookHeaders = {
  WebhookId: {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The message’s id, the same on every retry: deduplicate on it',
    schema: { type: 'string', pattern: '^msg_', examples: ['msg_5b1f0e9c-7d4e-4f6a-9b8c-0d1e2f3a4b5c'] },
  },
  WebhookTimestamp: {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds of this attempt; refuse one far from your clock (replays)',
    schema: { type: 'string', pattern: '^[0-9]+$', examples: ['1767225600'] },
  },
  WebhookSignature: {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, one per ' +
      'secret that signs (two during a rotation’s overlap); verify with any Standard Webhooks library',
    schema: {
      type: 'string',
      pattern: '^v1,',
      examples: ['v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='],
    },
  },
  Traceparent: {
    name: 'traceparent',
    in: 'header',
    required: false,
    description:
      'W3C Trace Context of this attempt, sent only when the service traces (`OTEL_*` settings): continue ' +
      'it to see your processing in the trace of the booking that made the message. New on every ' +
      'attempt; not signed, so never trust it for anything but tracing',
    schema: {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      examples: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    },
  },
} satisfies Record<string, oas.ParameterObject>;

const header = (name: keyof typeof webhookHeaders): oas.ReferenceObject => ({
  $ref: `#/components/parameters/${name}`,
});

/** The document's `webhooks`: what Evently POSTs to a subscribed endpoint, one entry per type. */
export const webhooks: Record<string, oas.PathItemObject> = Object.fromEntries(
  SENT_TYPES.map((type) => [
    type,
    {
      post: {
        tags: ['webhooks'],
        operationId: `on${messageSchemaName(type).replace(/Message$/, '')}`,
        summary: MESSAGES[type].summary,
        description:
          type === TEST_WEBHOOK_TYPE
            ? 'Sent to one endpoint when its owner asks (`POST /webhook-endpoints/{id}/test`), signed and ' +
              'delivered as every message is.'
            : 'Sent to every endpoint subscribed to this type whose owner is entitled to it, signed per ' +
              'Standard Webhooks v1. Messages about one purchase arrive in order.',
        security: [],
        parameters: [
          header('WebhookId'),
          header('WebhookTimestamp'),
          header('WebhookSignature'),
          header('Traceparent'),
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref(messageSchemaName(type)) } },
        },
        responses: {
          '2XX': { description: 'Received; answer fast and process afterwards (`WEBHOOK_TIMEOUT_MS`)' },
          '410': { description: 'Gone: disables the endpoint until it is enabled again' },
          default: {
            description:
              'Any other answer, a timeout or a network error: retried on `WEBHOOK_RETRY_SCHEDULE`, ' +
              'no sooner than a `Retry-After` on 429 and 503',
          },
        },
      },
    } satisfies oas.PathItemObject,
  ]),
);
