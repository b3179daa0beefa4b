import { QueryTypes, type Sequelize } from 'sequelize';

export interface EventCounters {
  capacity: number;
  booked: number;
  held: number;
  bookedFromRows: number;
  confirmedBookings: number;
}

/** The event's counters next to the same figures recomputed from its booking rows. */
export async function eventCounters(sequelize: Sequelize, eventId: string): Promise<EventCounters> {
  const [row] = await sequelize.query<EventCounters>(
    `SELECT e.capacity, e.booked, e.held,
            COALESCE(SUM(b.quantity) FILTER (WHERE b.status = 'confirmed'), 0)::int AS "bookedFromRows",
            COUNT(b.id) FILTER (WHERE b.status = 'confirmed')::int AS "confirmedBookings"
       FROM events e LEFT JOIN bookings b ON b.event_id = e.id
      WHERE e.id = $eventId
      GROUP BY e.id`,
    { bind: { eventId }, type: QueryTypes.SELECT },
  );
  if (!row) throw new Error(`no event ${eventId}`);
  return row;
}

/** Seats booked never exceed capacity, and the counter equals the sum of confirmed bookings. */
export async function expectEventInvariants(sequelize: Sequelize, eventId: string): Promise<EventCounters> {
  const counters = await eventCounters(sequelize, eventId);
  expect(counters.booked + counters.held).toBeLessThanOrEqual(counters.capacity);
  expect(counters.booked).toBe(counters.bookedFromRows);
  return counters;
}
