import { QueryTypes, type Sequelize } from 'sequelize';

export interface EventCounters {
  capacity: number;
  booked: number;
  held: number;
  bookedFromRows: number;
  confirmedBookings: number;
  heldFromRows: number;
  activeHolds: number;
  /** Seats in an active booking or hold (reserved seating; 0 for general admission). */
  assignedSeats: number;
  /** Seats of the map; 0 for general admission. */
  mapSeats: number;
  /** Seats in more than one active booking or hold: must always be 0. */
  doublyAssignedSeats: number;
  /** Active assignments whose booking is cancelled or whose hold is no longer active: must be 0. */
  staleAssignments: number;
  waiting: number;
}

/** The event's counters next to the same figures recomputed from its rows. */
export async function eventCounters(sequelize: Sequelize, eventId: string): Promise<EventCounters> {
  const [row] = await sequelize.query<EventCounters>(
    `SELECT e.capacity, e.booked, e.held,
            (SELECT COALESCE(SUM(quantity), 0) FROM bookings WHERE event_id = e.id AND status = 'confirmed')::int
              AS "bookedFromRows",
            (SELECT count(*) FROM bookings WHERE event_id = e.id AND status = 'confirmed')::int AS "confirmedBookings",
            (SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE event_id = e.id AND status = 'active')::int
              AS "heldFromRows",
            (SELECT count(*) FROM holds WHERE event_id = e.id AND status = 'active')::int AS "activeHolds",
            (SELECT count(*) FROM seat_assignments WHERE event_id = e.id AND released_at IS NULL)::int
              AS "assignedSeats",
            (SELECT count(*) FROM seats WHERE event_id = e.id)::int AS "mapSeats",
            (SELECT count(*) FROM (SELECT seat_id FROM seat_assignments WHERE event_id = e.id
                                     AND released_at IS NULL GROUP BY seat_id HAVING count(*) > 1) d)::int
              AS "doublyAssignedSeats",
            (SELECT count(*) FROM seat_assignments a
               LEFT JOIN bookings b ON b.id = a.booking_id LEFT JOIN holds h ON h.id = a.hold_id
              WHERE a.event_id = e.id AND a.released_at IS NULL
                AND NOT (b.status = 'confirmed' OR (a.booking_id IS NULL AND h.status = 'active')))::int
              AS "staleAssignments",
            (SELECT count(*) FROM waitlist_entries WHERE event_id = e.id AND status = 'waiting')::int AS waiting
       FROM events e WHERE e.id = $eventId`,
    { bind: { eventId }, type: QueryTypes.SELECT },
  );
  if (!row) throw new Error(`no event ${eventId}`);
  return row;
}

/**
 * Seats booked and held never exceed capacity, the counters equal their rows, and with a seat
 * map every seat is in at most one active booking or hold, exactly those of the live rows.
 */
export async function expectEventInvariants(sequelize: Sequelize, eventId: string): Promise<EventCounters> {
  const counters = await eventCounters(sequelize, eventId);
  expect(counters.booked + counters.held).toBeLessThanOrEqual(counters.capacity);
  expect(counters.booked).toBe(counters.bookedFromRows);
  expect(counters.held).toBe(counters.heldFromRows);
  expect(counters.doublyAssignedSeats).toBe(0);
  expect(counters.staleAssignments).toBe(0);
  if (counters.mapSeats > 0) {
    expect(counters.capacity).toBe(counters.mapSeats);
    expect(counters.assignedSeats).toBe(counters.booked + counters.held);
  }
  return counters;
}
