import Joi from 'joi';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { SeatLabel } from '../../shared/domain.js';
import { decodeCursor, encodeCursor, type KeysetPage } from '../pagination.js';
import { isoDateString, likeEscape, uuid } from '../schemas.js';

/**
 * An event's attendee list: its bookings, newest first, each with its purchase's reference and
 * its user. One SQL statement per page, shared by the JSON list and the CSV export (which reads
 * it in batches). Keyset order is (created_at, id) descending, walked backwards on
 * `bookings_event_created_at_id_idx` (migration 0017): a page costs the same at any depth, and
 * there is no OFFSET and no total count.
 */

export const ATTENDEE_STATUSES = ['confirmed', 'cancelled'] as const;
export type AttendeeStatus = (typeof ATTENDEE_STATUSES)[number];

export interface AttendeeFilter {
  eventId: string;
  status?: AttendeeStatus;
  /**
   * A partner's reference (exact) or the start of the user's email (any letter case): bookings
   * matching either.
   */
  q?: string;
}

/** Where a page starts: strictly after this booking in list order. */
export interface AttendeePosition {
  createdAt: string;
  id: string;
}

export interface Attendee {
  id: string;
  status: AttendeeStatus;
  quantity: number;
  seats: SeatLabel[] | null;
  externalReference: string | null;
  metadata: Record<string, string>;
  createdAt: Date;
  user: { id: string; email: string; name: string };
}

interface AttendeeRow extends Omit<Attendee, 'user' | 'metadata'> {
  metadata: Record<string, string> | null;
  userId: string;
  email: string;
  name: string;
}

/**
 * The search is a union of two indexed lookups rather than an OR over the joined tables (which
 * PostgreSQL can only answer by reading all the event's bookings): accounts whose lower-cased
 * email starts with the term (`users_email_prefix_idx`) and their bookings of this event, plus
 * the event's requests with that reference and their bookings. A prefix, not a substring: a
 * btree answers it in proportion to the accounts that match; a term matching tens of thousands
 * of this event's attendees costs a few hundred ms (README, measured).
 */
const SEARCH = `b.id IN (
    SELECT sb.id FROM users su JOIN bookings sb ON sb.user_id = su.id
     WHERE lower(su.email) LIKE $emailPrefix AND sb.event_id = $eventId
    UNION ALL
    SELECT rb.id FROM booking_requests rr JOIN bookings rb ON rb.request_id = rr.id
     WHERE rr.event_id = $eventId AND rr.external_reference = $q)`;

/** Up to `limit` attendees after `after` (from the newest without it), in list order. */
export async function readAttendees(
  sequelize: Sequelize,
  filter: AttendeeFilter,
  limit: number,
  after?: AttendeePosition,
): Promise<Attendee[]> {
  const where = ['b.event_id = $eventId'];
  const bind: Record<string, unknown> = { eventId: filter.eventId, limit };
  if (filter.status) {
    where.push('b.status = $status');
    bind.status = filter.status;
  }
  if (after) {
    where.push('(b.created_at, b.id) < ($afterAt::timestamptz, $afterId::uuid)');
    bind.afterAt = after.createdAt;
    bind.afterId = after.id;
  }
  if (filter.q) {
    where.push(SEARCH);
    bind.q = filter.q;
    bind.emailPrefix = `${likeEscape(filter.q.toLowerCase())}%`;
  }
  const rows = await sequelize.query<AttendeeRow>(
    `SELECT b.id, b.status, b.quantity, b.seats, b.created_at AS "createdAt",
            r.external_reference AS "externalReference", r.metadata,
            u.id AS "userId", u.email, u.name
       FROM bookings b
       JOIN booking_requests r ON r.id = b.request_id
       JOIN users u ON u.id = b.user_id
      WHERE ${where.join(' AND ')}
      ORDER BY b.created_at DESC, b.id DESC
      LIMIT $limit`,
    { bind, type: QueryTypes.SELECT },
  );
  return rows.map(({ userId, email, name, metadata, ...booking }) => ({
    ...booking,
    metadata: metadata ?? {},
    user: { id: userId, email, name },
  }));
}

export const positionOf = (a: Attendee): AttendeePosition => ({
  createdAt: a.createdAt.toISOString(),
  id: a.id,
});

const CURSOR_FIELDS = { createdAt: isoDateString, id: uuid };

/** One page of the JSON list: `limit` attendees and the cursor of the next page, if any. */
export async function attendeePage(
  sequelize: Sequelize,
  filter: AttendeeFilter,
  { limit, cursor }: { limit: number; cursor?: string },
): Promise<KeysetPage<Attendee>> {
  const after = cursor ? decodeCursor(cursor, CURSOR_FIELDS) : undefined;
  const rows = await readAttendees(sequelize, filter, limit + 1, after);
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return {
    data,
    next: rows.length > limit && last ? encodeCursor({ ...positionOf(last) }) : null,
  };
}

/**
 * Every attendee matching `filter`, in list order, read `batchSize` at a time: each batch is
 * one short query on a pooled connection, released before the batch is handed on, so a slow
 * download holds no connection while the client reads. Not a snapshot: a booking created after
 * the export began is newer than its first row and is not included; one cancelled meanwhile may
 * appear either way.
 */
export async function* attendeeBatches(
  sequelize: Sequelize,
  filter: AttendeeFilter,
  batchSize: number,
): AsyncGenerator<Attendee[]> {
  let after: AttendeePosition | undefined;
  for (;;) {
    const batch = await readAttendees(sequelize, filter, batchSize, after);
    if (batch.length > 0) yield batch;
    if (batch.length < batchSize) return;
    after = positionOf(batch.at(-1)!);
  }
}

/** The list's and the CSV's filters, as a query string gives them. */
export type AttendeeQuery = Omit<AttendeeFilter, 'eventId'>;

export const attendeeQuery = {
  status: Joi.string()
    .valid(...ATTENDEE_STATUSES)
    .description('Only bookings in this status'),
  q: Joi.string()
    .trim()
    .min(1)
    .max(254)
    .pattern(/^[^\p{Cc}]*$/u)
    .messages({ 'string.pattern.base': '{{#label}} must not contain control characters' })
    .description(
      'A partner’s `externalReference` (exact), or the start of the attendee’s email (any letter case; ' +
        '`%` and `_` are plain text): bookings matching either',
    ),
};
