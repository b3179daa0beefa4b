import type * as oas from 'openapi3-ts/oas31';

/**
 * Example bodies of the seating, hold and waitlist flows, shared by the path files. They are
 * checked against their schemas nowhere but here: keep every field the schema requires.
 */

const EVENT = '5b1f3c2a-7d4e-4f6a-9b8c-0d1e2f3a4b5c';
const USER = '0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';
const REQUEST = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
const CONFIRM_REQUEST = '8b7c6d5e-4f3a-4b2c-8d9e-0f1a2b3c4d5e';
const BOOKING = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const HOLD = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
const ENTRY = 'c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f';
/** Seats A 12-15 and A 12-16 of the "section A, rows 1-20, seats 1-30" map. */
const SEAT_IDS = ['3f1c2b9e-8a4d-4c1e-9b7a-2d5e6f708192', '4a2d3c0f-9b5e-4d2f-8c8b-3e6f70819203'];
const SEATS = [
  { id: SEAT_IDS[0], section: 'A', row: '12', number: 15 },
  { id: SEAT_IDS[1], section: 'A', row: '12', number: 16 },
];
const QUEUED_AT = '2030-04-01T10:00:00.000Z';
const DECIDED_AT = '2030-04-01T10:00:00.120Z';

const example = (summary: string, value: unknown): oas.ExampleObject => ({ summary, value });

const links = (id: string) => ({ self: `/booking-requests/${id}`, event: `/events/${EVENT}` });

/** The event every example is for, as history names it. */
const event = { id: EVENT, name: 'Jazz Night', venue: 'Blue Hall', startsAt: '2030-05-01T19:00:00.000Z' };
/** The partner's reference the example purchase was given. */
const reference = { externalReference: 'ORD-10042', metadata: { channel: 'web', customer: 'c_8812' } };

const booking = (fields: { requestId?: string; holdId?: string | null } = {}) => ({
  id: BOOKING,
  eventId: EVENT,
  event,
  userId: USER,
  requestId: fields.requestId ?? REQUEST,
  ...reference,
  status: 'confirmed',
  quantity: 2,
  seats: SEATS,
  holdId: fields.holdId ?? null,
  createdAt: DECIDED_AT,
  cancelledAt: null,
  links: { self: `/bookings/${BOOKING}`, event: `/events/${EVENT}` },
});

const hold = (status: 'active' | 'confirmed') => ({
  id: HOLD,
  eventId: EVENT,
  event,
  userId: USER,
  requestId: REQUEST,
  ...reference,
  status,
  quantity: 2,
  seats: SEATS,
  expiresAt: '2030-04-01T10:10:00.120Z',
  bookingId: status === 'confirmed' ? BOOKING : null,
  createdAt: DECIDED_AT,
  endedAt: status === 'confirmed' ? '2030-04-01T10:04:31.000Z' : null,
  links: {
    self: `/holds/${HOLD}`,
    confirm: `/holds/${HOLD}/confirm`,
    release: `/holds/${HOLD}/release`,
    event: `/events/${EVENT}`,
  },
});

const waitlistEntry = {
  id: ENTRY,
  eventId: EVENT,
  event,
  userId: USER,
  requestId: REQUEST,
  ...reference,
  status: 'waiting',
  position: 4,
  quantity: 2,
  minQuantity: 2,
  section: null,
  bookingId: null,
  holdId: null,
  createdAt: DECIDED_AT,
  endedAt: null,
  links: { self: `/waitlist/${ENTRY}`, leave: `/waitlist/${ENTRY}/leave`, event: `/events/${EVENT}` },
};

/** A booking request as the API presents it; `fields` override the queued defaults. */
const bookingRequest = (fields: Record<string, unknown>) => ({
  id: REQUEST,
  kind: 'book',
  eventId: EVENT,
  event,
  status: 'queued',
  reason: null,
  reasonDetails: null,
  position: 1,
  payload: { quantity: 2 },
  ...reference,
  booking: null,
  hold: null,
  waitlistEntry: null,
  queuedAt: QUEUED_AT,
  decidedAt: null,
  links: links(REQUEST),
  ...fields,
});

const decided = { position: null, decidedAt: DECIDED_AT };

export const examples = {
  seatIds: SEAT_IDS,
  /** Request bodies of `POST /events/{id}/bookings`. */
  bookBodies: {
    quantity: example('Two places (general admission, or best available in the whole map)', {
      quantity: 2,
    }),
    specificSeats: example('Exactly these two seats, or none', { seats: SEAT_IDS }),
    bestAvailableInSection: example('The best 4 seats in section A, or as few as 2', {
      quantity: 4,
      section: 'A',
      minQuantity: 2,
    }),
    waitlist: example('Two seats, or a place in the waitlist when sold out', { quantity: 2, waitlist: true }),
    withReference: example('A partner’s order: two places, with its own reference and metadata', {
      quantity: 2,
      ...reference,
    }),
  },
  /** Answers of `POST /events/{id}/bookings` (202). */
  bookAccepted: {
    queued: example(
      'Accepted: third in the event’s queue',
      bookingRequest({ position: 3, payload: { quantity: 2, seats: SEAT_IDS } }),
    ),
  },
  /** Answers of `GET /booking-requests/{id}`, once decided. */
  bookOutcomes: {
    confirmed: example(
      'Specific seats booked',
      bookingRequest({
        ...decided,
        status: 'confirmed',
        payload: { quantity: 2, seats: SEAT_IDS },
        booking: booking(),
      }),
    ),
    seatTaken: example(
      'Rejected: one of the seats was taken first',
      bookingRequest({
        ...decided,
        status: 'rejected',
        reason: 'seat_taken',
        reasonDetails: { seats: [SEAT_IDS[1]] },
        payload: { quantity: 2, seats: SEAT_IDS },
      }),
    ),
    waitlisted: example(
      'Sold out: fourth in the waitlist',
      bookingRequest({
        ...decided,
        status: 'waitlisted',
        payload: { quantity: 2, waitlist: true },
        waitlistEntry,
      }),
    ),
    held: example(
      'A hold made (poll it until `held`, then confirm it)',
      bookingRequest({
        ...decided,
        kind: 'hold',
        status: 'held',
        payload: { quantity: 2, section: 'A' },
        hold: hold('active'),
      }),
    ),
    holdConfirmed: example(
      'The hold confirmed: its seats are booked',
      bookingRequest({
        ...decided,
        id: CONFIRM_REQUEST,
        kind: 'confirm_hold',
        // A confirm has no reference of its own; its booking shows the purchase's.
        externalReference: null,
        metadata: {},
        status: 'confirmed',
        payload: { holdId: HOLD },
        booking: booking({ holdId: HOLD }),
        hold: hold('confirmed'),
        queuedAt: '2030-04-01T10:04:30.900Z',
        decidedAt: '2030-04-01T10:04:31.000Z',
        links: links(CONFIRM_REQUEST),
      }),
    ),
  },
  /** Request bodies of `POST /events/{id}/holds`. */
  holdBodies: {
    bestAvailableInSection: example('Hold the best 2 seats in section A', { quantity: 2, section: 'A' }),
    specificSeats: example('Hold exactly these two seats', { seats: SEAT_IDS }),
    quantity: example('Hold 2 places (general admission)', { quantity: 2 }),
  },
  /** Answers of `POST /events/{id}/holds` (202). */
  holdAccepted: {
    queued: example(
      'Accepted: the hold is decided in the event’s queue',
      bookingRequest({ kind: 'hold', payload: { quantity: 2, section: 'A' } }),
    ),
  },
  /** Answers of `POST /holds/{id}/confirm` (202). */
  confirmAccepted: {
    queued: example(
      'Accepted: poll Location for the booking',
      bookingRequest({
        id: CONFIRM_REQUEST,
        kind: 'confirm_hold',
        // A confirm has no reference of its own; its booking shows the purchase's.
        externalReference: null,
        metadata: {},
        payload: { holdId: HOLD },
        queuedAt: '2030-04-01T10:04:30.900Z',
        links: links(CONFIRM_REQUEST),
      }),
    ),
  },
  hold: { active: example('An active hold on two seats', hold('active')) },
  waitlistEntry: { waiting: example('Fourth in line for two seats', waitlistEntry) },
  seatBlocks: {
    numbered: example('Section A, rows 1-20, seats 1-30 (600 seats)', {
      blocks: [{ section: 'A', rows: { from: 1, to: 20 }, seats: { from: 1, to: 30 } }],
    }),
    lettersAndLabels: example('A lettered section and two named boxes', {
      blocks: [
        { section: 'Balcony', rows: { from: 'A', to: 'F' }, seats: { from: 101, to: 124 } },
        { section: 'Boxes', rows: ['North', 'South'], seats: { from: 1, to: 4 } },
      ],
    }),
  },
};
