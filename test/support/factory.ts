import request from 'supertest';
import type { Actor } from './actors.js';
import { outcomeOf } from './harness.js';

/**
 * The data factory: every test makes its own users, events and booking requests through the API,
 * as a client would. Users and events come from `actors.ts` and `seating.ts`; booking requests
 * from here.
 */
export { createActor, createEvent, registerUser, uniqueEmail } from './actors.js';
export { createSeatedEvent } from './seating.js';

/** Where the API is: a `TestApi`, a `StartedApi` or anything with its base URL. */
export interface Target {
  readonly baseUrl: string;
}

/** A booking request's kind (glossary); each has its route. */
export type BookingRequestKind = 'book' | 'hold' | 'cancel' | 'confirm_hold' | 'release_hold';

const ROUTES: Record<BookingRequestKind, (id: string) => string> = {
  book: (eventId) => `/events/${eventId}/bookings`,
  hold: (eventId) => `/events/${eventId}/holds`,
  cancel: (bookingId) => `/bookings/${bookingId}/cancel`,
  confirm_hold: (holdId) => `/holds/${holdId}/confirm`,
  release_hold: (holdId) => `/holds/${holdId}/release`,
};

export interface SubmitOptions {
  /** `book` by default. */
  kind?: BookingRequestKind;
  idempotencyKey?: string;
}

/**
 * Submits a booking request as `actor` and returns the API's answer as it is. `id` is what the
 * route names: the event (`book`, `hold`), the booking (`cancel`) or the hold (`confirm_hold`,
 * `release_hold`).
 */
export function submitBooking(
  api: Target,
  actor: Pick<Actor, 'auth'>,
  id: string,
  body: object = {},
  { kind = 'book', idempotencyKey }: SubmitOptions = {},
) {
  const req = request(api.baseUrl).post(ROUTES[kind](id)).set(actor.auth);
  if (idempotencyKey !== undefined) req.set('Idempotency-Key', idempotencyKey);
  return req.send(body);
}

/** Submits a booking request that must be accepted (202, queued): its id. */
export async function queueBooking(
  api: Target,
  actor: Pick<Actor, 'auth'>,
  id: string,
  body: object = {},
  options: SubmitOptions = {},
): Promise<string> {
  const res = await submitBooking(api, actor, id, body, options);
  expect(res.status).toBe(202);
  return res.body.id as string;
}

/** Submits a booking request that must be accepted and waits for its decision (`outcomeOf`). */
export async function decideBooking(
  api: Target,
  actor: Pick<Actor, 'auth'>,
  id: string,
  body: object = {},
  options: SubmitOptions = {},
) {
  return outcomeOf(api.baseUrl, actor, await queueBooking(api, actor, id, body, options));
}

type Decide<Body> = (
  api: Target,
  actor: Pick<Actor, 'auth'>,
  id: string,
  ...rest: Body extends object
    ? [body: Body, options?: Omit<SubmitOptions, 'kind'>]
    : [options?: Omit<SubmitOptions, 'kind'>]
) => ReturnType<typeof decideBooking>;

function withBody(kind: BookingRequestKind): Decide<object> {
  return (api, actor, id, body, options = {}) => decideBooking(api, actor, id, body, { ...options, kind });
}

function withoutBody(kind: BookingRequestKind): Decide<undefined> {
  return (api, actor, id, options = {}) => decideBooking(api, actor, id, {}, { ...options, kind });
}

/** Books seats of an event (`{ quantity }` or `{ seats }`, ...) and waits for the outcome. */
export const book = withBody('book');
/** Holds seats of an event and waits for the outcome. */
export const hold = withBody('hold');
/** Cancels a booking and waits for the outcome. */
export const cancelBooking = withoutBody('cancel');
/** Confirms a hold and waits for the outcome. */
export const confirmHold = withoutBody('confirm_hold');
/** Releases a hold and waits for the outcome. */
export const releaseHold = withoutBody('release_hold');
