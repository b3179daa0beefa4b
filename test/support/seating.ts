import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Actor } from './actors.js';

/** A seat as GET /events/:id/seats lists it. */
export interface ListedSeat {
  id: string;
  section: string;
  row: string;
  number: number;
  state: 'free' | 'held' | 'booked';
}

/** A reserved-seating event a test owns, with its seat map from `blocks`. */
export async function createSeatedEvent(
  baseUrl: string,
  admin: Actor,
  blocks: unknown[],
  fields: Record<string, unknown> = {},
): Promise<{ id: string; capacity: number; version: number }> {
  const res = await request(baseUrl)
    .post('/events')
    .set(admin.auth)
    .send({
      name: `Seated ${randomUUID().slice(0, 8)}`,
      venue: 'Test Arena',
      startsAt: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(),
      seatMap: { blocks },
      ...fields,
    });
  if (res.status !== 201)
    throw new Error(`create seated event failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Every seat of an event, following the pages. */
export async function listSeats(baseUrl: string, eventId: string, query: Record<string, string> = {}) {
  const seats: ListedSeat[] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await request(baseUrl)
      .get(`/events/${eventId}/seats`)
      .query({ limit: '5000', ...query, ...(cursor ? { cursor } : {}) });
    if (res.status !== 200) throw new Error(`list seats failed: ${res.status} ${JSON.stringify(res.body)}`);
    seats.push(...res.body.data);
    cursor = res.body.next;
  } while (cursor);
  return seats;
}

/** `Section Row-Number`, the way a ticket prints a seat. */
export const label = (s: { section: string; row: string; number: number }) =>
  `${s.section} ${s.row}-${s.number}`;
