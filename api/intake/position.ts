import { QueryTypes, type Sequelize } from 'sequelize';
import type { BookingRequest } from '../../shared/db/models/index.js';

/** Counting further than this costs more than the number is worth to a client. */
export const POSITION_CAP = 100;

/**
 * 1-based place of a queued request among its event's queued requests (arrival order), or null
 * once decided. Counted over the partial index of queued rows and capped at POSITION_CAP.
 */
export async function queuePosition(sequelize: Sequelize, request: BookingRequest): Promise<number | null> {
  if (request.status !== 'queued') return null;
  const [row] = await sequelize.query<{ ahead: string }>(
    `SELECT count(*) AS ahead FROM (
       SELECT 1 FROM booking_requests
        WHERE event_id = $eventId AND status = 'queued' AND seq < $seq
        LIMIT ${POSITION_CAP - 1}) AS ahead`,
    { bind: { eventId: request.eventId, seq: request.seq }, type: QueryTypes.SELECT },
  );
  return Number(row?.ahead ?? 0) + 1;
}
