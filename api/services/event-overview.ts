import { QueryTypes, type Sequelize } from 'sequelize';
import { type Event, User } from '../../shared/db/models/index.js';

/** What an admin watching a sale wants next to an event's own counters (booked, held, capacity). */
export interface EventFigures {
  /** Booking requests of any kind still `queued`: the event's queue depth. */
  pendingRequests: number;
  /** Waitlist entries still `waiting`, and the tickets they ask for. */
  waitlisted: number;
  waitlistedTickets: number;
}

/**
 * The live figures of a page of events, in one query: each is a count over a partial index of
 * rows still pending (booking_requests_queued_idx, waitlist_line_idx), so a page costs the same
 * however many bookings the events have.
 */
export async function eventFigures(
  sequelize: Sequelize,
  ids: readonly string[],
): Promise<Map<string, EventFigures>> {
  if (ids.length === 0) return new Map();
  const rows = await sequelize.query<{ id: string; pending: number; waitlisted: number; tickets: number }>(
    `SELECT e.id,
            (SELECT count(*)::int FROM booking_requests r
              WHERE r.event_id = e.id AND r.status = 'queued') AS pending,
            w.waitlisted, w.tickets
       FROM unnest($ids::uuid[]) AS e(id),
            LATERAL (SELECT count(*)::int AS waitlisted, coalesce(sum(quantity), 0)::int AS tickets
                       FROM waitlist_entries WHERE event_id = e.id AND status = 'waiting') w`,
    { bind: { ids }, type: QueryTypes.SELECT },
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { pendingRequests: r.pending, waitlisted: r.waitlisted, waitlistedTickets: r.tickets },
    ]),
  );
}

/** An event as the admins' list shows it: the event, and its live figures. */
export async function withFigures(sequelize: Sequelize, events: Event[]) {
  const figures = await eventFigures(
    sequelize,
    events.map((e) => e.id),
  );
  return events.map((e) => ({ ...e.toJSON(), ...figures.get(e.id)! }));
}

/** Who a hold or a waitlist entry is for, as an admin recognises them. */
export interface UserSummary {
  id: string;
  email: string;
  name: string;
}

/**
 * Adds each row's user (`userId`) as `user`, read in one query for the page. A user deleted since
 * is null (no row of theirs should outlive them, but a list must not fail on one).
 */
export async function withUsers<T extends { userId: string }>(
  rows: T[],
): Promise<(T & { user: UserSummary | null })[]> {
  const ids = [...new Set(rows.map((r) => r.userId))];
  const users =
    ids.length === 0 ? [] : await User.findAll({ where: { id: ids }, attributes: ['id', 'email', 'name'] });
  const byId = new Map(users.map((u) => [u.id, { id: u.id, email: u.email, name: u.name }]));
  return rows.map((r) => ({ ...r, user: byId.get(r.userId) ?? null }));
}
