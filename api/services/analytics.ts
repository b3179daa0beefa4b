import { QueryTypes, type Sequelize } from 'sequelize';
import { NotFound, ValidationFailed } from '../../shared/errors.js';

/**
 * Admin figures over bookings, booking requests and events. Every figure is an SQL aggregate
 * (rows never travel to Node) over the indexes of migrations 0004 and 0008. Booking requests
 * still `queued` are reported as pending next to the decided figures, never left out.
 */

/** PostgreSQL returns bigint and numeric as strings; counts here fit a double exactly. */
const num = (value: string | number | null | undefined): number => Number(value ?? 0);

/** A share rounded to 4 decimal places, 0 when there is nothing to divide. */
export const ratio = (part: number, whole: number): number =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : 0;

export interface Summary {
  eventId: string | null;
  totalBookings: number;
  totalTickets: number;
  confirmedBookings: number;
  confirmedTickets: number;
  cancelledBookings: number;
  cancelledTickets: number;
  pendingRequests: number;
  pendingBookingRequests: number;
  pendingCancellationRequests: number;
  pendingTickets: number;
  held: number;
  waitlisted: number;
  cancellationRate: number;
  generatedAt: string;
}

interface SummaryRow {
  total_bookings: string;
  total_tickets: string;
  confirmed_bookings: string;
  confirmed_tickets: string;
  cancelled_bookings: string;
  cancelled_tickets: string;
  pending_requests: string;
  pending_book: string;
  pending_cancel: string;
  pending_tickets: string;
  held: string;
  waitlisted: string;
}

/** Throws NotFound for an event id that does not exist (a typo must not read as "all zeros"). */
export async function assertEventExists(sequelize: Sequelize, eventId: string): Promise<void> {
  const rows = await sequelize.query('SELECT 1 FROM events WHERE id = $eventId', {
    bind: { eventId },
    type: QueryTypes.SELECT,
  });
  if (rows.length === 0) throw new NotFound('Event');
}

/** Totals over all bookings, or over one event's. */
export async function summary(sequelize: Sequelize, { eventId }: { eventId?: string }): Promise<Summary> {
  if (eventId) await assertEventExists(sequelize, eventId);
  const byEvent = (column: string) => (eventId ? `WHERE ${column} = $eventId` : '');
  const [row] = await sequelize.query<SummaryRow>(
    `SELECT b.*, r.*, e.*, w.*
       FROM (SELECT count(*) AS total_bookings,
                    coalesce(sum(quantity), 0) AS total_tickets,
                    count(*) FILTER (WHERE status = 'confirmed') AS confirmed_bookings,
                    coalesce(sum(quantity) FILTER (WHERE status = 'confirmed'), 0) AS confirmed_tickets,
                    count(*) FILTER (WHERE status = 'cancelled') AS cancelled_bookings,
                    coalesce(sum(quantity) FILTER (WHERE status = 'cancelled'), 0) AS cancelled_tickets
               FROM bookings ${byEvent('event_id')}) b,
            (SELECT count(*) AS pending_requests,
                    count(*) FILTER (WHERE kind IN ('book', 'hold')) AS pending_book,
                    count(*) FILTER (WHERE kind = 'cancel') AS pending_cancel,
                    coalesce(sum((payload ->> 'quantity')::int) FILTER (WHERE kind IN ('book', 'hold')), 0)
                      AS pending_tickets
               FROM booking_requests
              WHERE status = 'queued' ${eventId ? 'AND event_id = $eventId' : ''}) r,
            (SELECT coalesce(sum(held), 0) AS held FROM events ${byEvent('id')}) e,
            (SELECT count(*) AS waitlisted FROM waitlist_entries
              WHERE status = 'waiting' ${eventId ? 'AND event_id = $eventId' : ''}) w`,
    { bind: eventId ? { eventId } : {}, type: QueryTypes.SELECT },
  );
  const r = row!;
  const totalBookings = num(r.total_bookings);
  const cancelledBookings = num(r.cancelled_bookings);
  return {
    eventId: eventId ?? null,
    totalBookings,
    totalTickets: num(r.total_tickets),
    confirmedBookings: num(r.confirmed_bookings),
    confirmedTickets: num(r.confirmed_tickets),
    cancelledBookings,
    cancelledTickets: num(r.cancelled_tickets),
    pendingRequests: num(r.pending_requests),
    pendingBookingRequests: num(r.pending_book),
    pendingCancellationRequests: num(r.pending_cancel),
    pendingTickets: num(r.pending_tickets),
    held: num(r.held),
    waitlisted: num(r.waitlisted),
    cancellationRate: ratio(cancelledBookings, totalBookings),
    generatedAt: new Date().toISOString(),
  };
}

export const EVENT_SORTS = ['booked', 'utilisation', 'cancellations'] as const;
export type EventSort = (typeof EVENT_SORTS)[number];

export interface EventsQuery {
  sort: EventSort;
  order: 'asc' | 'desc';
  limit: number;
  from?: string;
  to?: string;
}

export interface EventFigures {
  id: string;
  name: string;
  venue: string;
  status: string;
  startsAt: Date;
  capacity: number;
  booked: number;
  held: number;
  available: number;
  utilisation: number;
  confirmedBookings: number;
  cancelledBookings: number;
  cancellationRate: number;
  pendingRequests: number;
}

interface EventRow {
  id: string;
  name: string;
  venue: string;
  status: string;
  starts_at: Date;
  capacity: number;
  booked: number;
  held: number;
  available: number;
  confirmed_bookings: string;
  cancelled_bookings: string;
  pending_requests: string;
}

/** Fixed SQL per sort key; the chosen key is never spliced in from the request. */
const SORT_KEY: Record<EventSort, string> = {
  booked: 'booked',
  utilisation: '(booked + held)::float8 / capacity',
  cancellations: 'cancelled_bookings',
};

/**
 * Events ranked by seats booked, capacity utilisation ((booked + held) / capacity) or
 * cancellations. `booked` and `held` are the events' own counters, kept in the same
 * transaction as the booking rows, so ranking by them needs no scan of bookings: only the
 * `limit` events shown get their booking and request counts. Ranking by cancellations counts
 * them for every event in range, over the partial index of cancelled bookings.
 */
export async function eventsReport(
  sequelize: Sequelize,
  query: EventsQuery,
): Promise<{ data: EventFigures[]; generatedAt: string }> {
  const where: string[] = [];
  if (query.from) where.push('starts_at >= $from');
  if (query.to) where.push('starts_at <= $to');
  const inRange = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  // Own keys only: a name from the query never reaches Object.prototype's members.
  if (!Object.hasOwn(SORT_KEY, query.sort)) {
    throw new ValidationFailed('Invalid query', [{ in: 'query', path: 'sort', message: 'not a sort key' }]);
  }
  const orderBy = `ORDER BY ${SORT_KEY[query.sort]} ${direction}, starts_at, id`;
  const cancelled = `(SELECT count(*) FROM bookings c WHERE c.event_id = e.id AND c.status = 'cancelled')`;

  const ranked =
    query.sort === 'cancellations'
      ? `SELECT e.*, ${cancelled} AS cancelled_bookings FROM events e ${inRange} ${orderBy} LIMIT $limit`
      : `SELECT e.*, ${cancelled} AS cancelled_bookings
           FROM (SELECT * FROM events ${inRange} ${orderBy} LIMIT $limit) e`;

  const rows = await sequelize.query<EventRow>(
    `SELECT t.id, t.name, t.venue, t.status, t.starts_at, t.capacity, t.booked, t.held,
            CASE WHEN t.status IN ('on_sale', 'draft') THEN t.capacity - t.booked - t.held ELSE 0 END
              AS available,
            (SELECT count(*) FROM bookings b WHERE b.event_id = t.id AND b.status = 'confirmed')
              AS confirmed_bookings,
            t.cancelled_bookings,
            (SELECT count(*) FROM booking_requests r WHERE r.event_id = t.id AND r.status = 'queued')
              AS pending_requests
       FROM (${ranked}) t
      ${orderBy}`,
    {
      bind: {
        limit: query.limit,
        ...(query.from ? { from: new Date(query.from) } : {}),
        ...(query.to ? { to: new Date(query.to) } : {}),
      },
      type: QueryTypes.SELECT,
    },
  );
  return {
    data: rows.map((r) => {
      const confirmedBookings = num(r.confirmed_bookings);
      const cancelledBookings = num(r.cancelled_bookings);
      return {
        id: r.id,
        name: r.name,
        venue: r.venue,
        status: r.status,
        startsAt: r.starts_at,
        capacity: r.capacity,
        booked: r.booked,
        held: r.held,
        available: r.available,
        utilisation: ratio(r.booked + r.held, r.capacity),
        confirmedBookings,
        cancelledBookings,
        cancellationRate: ratio(cancelledBookings, confirmedBookings + cancelledBookings),
        pendingRequests: num(r.pending_requests),
      };
    }),
    generatedAt: new Date().toISOString(),
  };
}
