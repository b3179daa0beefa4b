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

/** Books seats of an event and waits for the outcome. */
export const book = (
  api: Target,
  actor: Pick<Actor, 'auth'>,
  eventId: string,
  body: object,
  options: Omit<SubmitOptions, 'kind'> = {},
) => decideBooking(api, actor, eventId, body, { ...options, kind: 'book' });

/** Holds seats of an event and waits for the outcome. */
export const hold = (
  api: Target,
  actor: Pick<Actor, 'auth'>,
  eventId: string,
  body: object,
  options: Omit<SubmitOptions, 'kind'> = {},
) => decideBooking(api, actor, eventId, body, { ...options, kind: 'hold' });

/** Cancels a booking (a `cancel` request) and waits for the outcome. */
export const cancelBooking = (
  api: Target,
  actor: Pick<Actor, 'auth'>,
  bookingId: string,
  options: Omit<SubmitOptions, 'kind'> = {},
) => decideBooking(api, actor, bookingId, {}, { ...options, kind: 'cancel' });

/** Confirms a hold (a `confirm_hold` request) and waits for the outcome. */
export const confirmHold = (
  api: Target,
  actor: Pick<Actor, 'auth'>,
  holdId: string,
  options: Omit<SubmitOptions, 'kind'> = {},
) => decideBooking(api, actor, holdId, {}, { ...options, kind: 'confirm_hold' });

/** Releases a hold (a `release_hold` request) and waits for the outcome. */
export const releaseHold = (
  api: Target,
  actor: Pick<Actor, 'auth'>,
  holdId: string,
  options: Omit<SubmitOptions, 'kind'> = {},
) => decideBooking(api, actor, holdId, {}, { ...options, kind: 'release_hold' });
