import { QueryTypes, type Sequelize } from 'sequelize';
import { ValidationFailed } from '../../shared/errors.js';

export const SEAT_STATES = ['free', 'held', 'booked'] as const;
export type SeatState = (typeof SEAT_STATES)[number];

/** A seat's state from its active assignment `a`, if any (seat_assignments is the truth). */
const IS: Record<SeatState, string> = {
  free: 'a.id IS NULL',
  held: 'a.id IS NOT NULL AND a.booking_id IS NULL',
  booked: 'a.booking_id IS NOT NULL',
};
/** `IS[state]` for a state named in a request: own keys only, never Object.prototype's members. */
function isState(state: string): string {
  if (!Object.hasOwn(IS, state)) {
    throw new ValidationFailed('Invalid query', [
      { in: 'query', path: 'state', message: 'not a seat state' },
    ]);
  }
  return IS[state as SeatState];
}
const SEATS_WITH_ASSIGNMENT = `seats s LEFT JOIN seat_assignments a ON a.seat_id = s.id AND a.released_at IS NULL`;

export interface ListedSeat {
  id: string;
  section: string;
  row: string;
  number: number;
  state: SeatState;
  ordinal: number;
}

/** Up to `limit` seats of an event's map after `after` (an ordinal), in map order. */
export function listSeats(
  sequelize: Sequelize,
  eventId: string,
  { after, limit, section, state }: { after: number; limit: number; section?: string; state?: SeatState },
): Promise<ListedSeat[]> {
  const filters = [section ? 'AND s.section = $section' : '', state ? `AND ${isState(state)}` : ''].join(' ');
  return sequelize.query<ListedSeat>(
    `SELECT s.id, s.section, s.row_label AS row, s.number, s.ordinal,
            CASE WHEN ${IS.free} THEN 'free' WHEN ${IS.booked} THEN 'booked' ELSE 'held' END AS state
       FROM ${SEATS_WITH_ASSIGNMENT}
      WHERE s.event_id = $eventId AND s.ordinal > $after ${filters}
      ORDER BY s.ordinal LIMIT $limit`,
    { bind: { eventId, after, limit, ...(section ? { section } : {}) }, type: QueryTypes.SELECT },
  );
}

/** Rows, seats and seats in each state, per section, best section first. */
export function sectionTotals(sequelize: Sequelize, eventId: string) {
  return sequelize.query(
    `SELECT s.section, count(DISTINCT s.row_label)::int AS rows, count(*)::int AS seats,
            count(*) FILTER (WHERE ${IS.free})::int AS free,
            count(*) FILTER (WHERE ${IS.held})::int AS held,
            count(*) FILTER (WHERE ${IS.booked})::int AS booked
       FROM ${SEATS_WITH_ASSIGNMENT}
      WHERE s.event_id = $eventId
      GROUP BY s.section ORDER BY min(s.section_rank)`,
    { bind: { eventId }, type: QueryTypes.SELECT },
  );
}
