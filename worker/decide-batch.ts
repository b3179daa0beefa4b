import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { INTAKE_LOCK_KEY_SQL } from '../shared/db/intake-lock.js';
import { appendToOutbox, type OutboxMessage } from '../shared/db/outbox.js';
import type { BookingRequestKind, BookingStatus, EventStatus } from '../shared/domain.js';
import {
  type Allocation,
  allocate,
  type BookingState,
  type Decision,
  type PendingRequest,
} from './allocate.js';

interface EventRow {
  status: EventStatus;
  capacity: number;
  booked: number;
  held: number;
  starts_at: Date;
}

interface RequestRow {
  id: string;
  principal_id: string;
  waited: number;
  kind: BookingRequestKind;
  payload: { quantity?: number; bookingId?: string };
}

interface BookingRow {
  id: string;
  user_id: string;
  status: BookingStatus;
  quantity: number;
}

export interface DecidedRequest {
  requestId: string;
  outcome: Decision['outcome'];
  /** From queued to this decision, seconds (PostgreSQL's clock at both ends). */
  waitedSeconds: number;
}

/**
 * Waits until every request of the event that has drawn a `seq` has committed, then returns
 * the highest queued `seq` (see shared/db/intake-lock.ts). The lock is released at once.
 */
async function arrivalHorizon(sequelize: Sequelize, eventId: string): Promise<string | null> {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query(`SELECT pg_advisory_xact_lock(${INTAKE_LOCK_KEY_SQL})`, {
      bind: { eventId },
      transaction,
    });
    const [row] = await sequelize.query<{ horizon: string | null }>(
      `SELECT max(seq) AS horizon FROM booking_requests WHERE event_id = $eventId AND status = 'queued'`,
      { bind: { eventId }, transaction, type: QueryTypes.SELECT },
    );
    return row?.horizon ?? null;
  });
}

/**
 * Decides the next `limit` queued requests of one event, oldest first, in one transaction:
 * bookings, request outcomes, the event's counter and the webhook outbox commit together or
 * not at all. Safe to run concurrently with itself (the event row lock serializes it) and to
 * repeat (only `queued` rows are read).
 */
export async function decideNextBatch(
  sequelize: Sequelize,
  eventId: string,
  limit: number,
): Promise<DecidedRequest[]> {
  const horizon = await arrivalHorizon(sequelize, eventId);
  if (horizon === null) return [];

  return sequelize.transaction(async (transaction) => {
    const [event] = await sequelize.query<EventRow>(
      // NO KEY UPDATE: serializes allocators without blocking intake's foreign-key check (KEY SHARE).
      'SELECT status, capacity, booked, held, starts_at FROM events WHERE id = $eventId FOR NO KEY UPDATE',
      { bind: { eventId }, transaction, type: QueryTypes.SELECT },
    );
    if (!event) throw new Error(`event ${eventId} has queued requests but does not exist`);

    const rows = await sequelize.query<RequestRow>(
      `SELECT id, principal_id, kind, payload, EXTRACT(EPOCH FROM now() - queued_at)::float8 AS waited
         FROM booking_requests
        WHERE event_id = $eventId AND status = 'queued' AND seq <= $horizon
        ORDER BY seq LIMIT $limit FOR UPDATE`,
      { bind: { eventId, horizon, limit }, transaction, type: QueryTypes.SELECT },
    );
    if (rows.length === 0) return [];

    const requests: PendingRequest[] = rows.map((r) => ({
      id: r.id,
      principalId: r.principal_id,
      kind: r.kind,
      quantity: r.payload.quantity,
      bookingId: r.payload.bookingId,
    }));
    const bookings = await lockBookingsToCancel(sequelize, transaction, eventId, requests);
    const allocation = allocate(
      {
        status: event.status,
        capacity: event.capacity,
        booked: event.booked,
        held: event.held,
        startsAt: event.starts_at,
      },
      requests,
      bookings,
      new Date(),
      randomUUID,
    );
    const principals = new Map(requests.map((r) => [r.id, r.principalId]));
    await applyAllocation(sequelize, transaction, eventId, event.booked, allocation, principals);
    const waited = new Map(rows.map((r) => [r.id, Number(r.waited)]));
    return allocation.decisions.map((d) => ({
      requestId: d.requestId,
      outcome: d.outcome,
      waitedSeconds: waited.get(d.requestId) ?? 0,
    }));
  });
}

async function lockBookingsToCancel(
  sequelize: Sequelize,
  transaction: Transaction,
  eventId: string,
  requests: PendingRequest[],
): Promise<Map<string, BookingState>> {
  const ids = requests.filter((r) => r.kind === 'cancel' && r.bookingId).map((r) => r.bookingId!);
  if (ids.length === 0) return new Map();
  const rows = await sequelize.query<BookingRow>(
    `SELECT id, user_id, status, quantity FROM bookings
      WHERE id = ANY($ids::uuid[]) AND event_id = $eventId FOR UPDATE`,
    { bind: { ids, eventId }, transaction, type: QueryTypes.SELECT },
  );
  return new Map(
    rows.map((b) => [b.id, { id: b.id, userId: b.user_id, status: b.status, quantity: b.quantity }]),
  );
}

async function applyAllocation(
  sequelize: Sequelize,
  transaction: Transaction,
  eventId: string,
  bookedBefore: number,
  { decisions, booked }: Allocation,
  principals: ReadonlyMap<string, string>,
): Promise<void> {
  const confirmed = decisions.filter((d) => d.outcome === 'confirmed');
  const cancelled = decisions.filter((d) => d.outcome === 'cancelled');

  if (confirmed.length > 0) {
    await sequelize.query(
      `INSERT INTO bookings (id, event_id, user_id, request_id, quantity)
       SELECT id, $eventId, user_id, request_id, quantity
         FROM unnest($ids::uuid[], $userIds::uuid[], $requestIds::uuid[], $quantities::int[])
           AS b(id, user_id, request_id, quantity)`,
      {
        bind: {
          eventId,
          ids: confirmed.map((d) => d.booking.id),
          userIds: confirmed.map((d) => d.booking.userId),
          requestIds: confirmed.map((d) => d.requestId),
          quantities: confirmed.map((d) => d.booking.quantity),
        },
        transaction,
      },
    );
  }
  if (cancelled.length > 0) {
    await sequelize.query(
      `UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = ANY($ids::uuid[])`,
      { bind: { ids: cancelled.map((d) => d.booking.id) }, transaction },
    );
  }
  await sequelize.query(
    `UPDATE booking_requests r
        SET status = d.status, reason = d.reason, booking_id = d.booking_id, decided_at = now()
       FROM unnest($ids::uuid[], $statuses::text[], $reasons::text[], $bookingIds::uuid[])
         AS d(id, status, reason, booking_id)
      WHERE r.id = d.id AND r.status = 'queued'`,
    {
      bind: {
        ids: decisions.map((d) => d.requestId),
        statuses: decisions.map((d) => d.outcome),
        reasons: decisions.map((d) => (d.outcome === 'rejected' ? d.reason : null)),
        bookingIds: decisions.map((d) => (d.outcome === 'rejected' ? null : d.booking.id)),
      },
      transaction,
    },
  );
  if (booked !== bookedBefore) {
    await sequelize.query('UPDATE events SET booked = $booked, updated_at = now() WHERE id = $eventId', {
      bind: { booked, eventId },
      transaction,
    });
  }
  await appendToOutbox(
    sequelize,
    transaction,
    decisions.map((d) => outboxMessage(eventId, d, principals.get(d.requestId)!)),
  );
}

function outboxMessage(eventId: string, decision: Decision, principalId: string): OutboxMessage {
  const request = { id: decision.requestId, status: decision.outcome };
  if (decision.outcome === 'rejected') {
    // A rejection concerns whoever asked.
    return {
      type: 'booking.rejected',
      eventId,
      principalId,
      data: { eventId, bookingRequest: { ...request, reason: decision.reason }, booking: null },
    };
  }
  const booking = {
    id: decision.booking.id,
    status: decision.outcome === 'confirmed' ? 'confirmed' : 'cancelled',
    quantity: decision.booking.quantity,
  };
  return {
    type: decision.outcome === 'confirmed' ? 'booking.confirmed' : 'booking.cancelled',
    eventId,
    // A booking's news goes to its owner, also when an admin cancelled it.
    principalId: decision.booking.userId,
    data: { eventId, bookingRequest: request, booking },
  };
}
