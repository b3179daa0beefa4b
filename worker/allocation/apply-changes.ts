import type { Sequelize, Transaction } from 'sequelize';
import { appendToOutbox } from '../../shared/db/outbox.js';
import { seatLabel } from '../../shared/domain.js';
import type { Changes } from './ledger-types.js';
import type { Seat } from './seat-inventory.js';

const seatsJson = (seats: readonly Seat[]) =>
  seats.length > 0 ? JSON.stringify(seats.map(seatLabel)) : null;

/** One event's step to write: its changes, and its counters as the step read them. */
export interface EventChanges {
  eventId: string;
  before: { booked: number; held: number };
  changes: Changes;
}

/** Each row of `steps`' changes of one kind, with the event it belongs to. */
const rowsOf = <T>(steps: readonly EventChanges[], pick: (c: Changes) => readonly T[]) =>
  steps.flatMap((s) => pick(s.changes).map((row) => ({ eventId: s.eventId, row })));

/**
 * Writes the changes of one or more events' steps, set-wise (one statement per kind of change,
 * whatever the number of events and requests), in the steps' transaction. Order matters only for
 * foreign keys: holds before the bookings that confirm them, both before the seat assignments and
 * waitlist rows naming them.
 */
export async function applyChanges(
  sequelize: Sequelize,
  transaction: Transaction,
  steps: readonly EventChanges[],
): Promise<void> {
  const run = (sql: string, bind: Record<string, unknown>) => sequelize.query(sql, { bind, transaction });

  const holds = rowsOf(steps, (c) => c.holds);
  if (holds.length > 0) {
    await run(
      `INSERT INTO holds (id, event_id, user_id, request_id, quantity, seats, expires_at)
       SELECT id, event_id, user_id, request_id, quantity, seats, expires_at
         FROM unnest($ids::uuid[], $eventIds::uuid[], $userIds::uuid[], $requestIds::uuid[], $quantities::int[],
                     $seats::jsonb[], $expiresAt::timestamptz[])
           AS h(id, event_id, user_id, request_id, quantity, seats, expires_at)`,
      {
        ids: holds.map(({ row }) => row.id),
        eventIds: holds.map(({ eventId }) => eventId),
        userIds: holds.map(({ row }) => row.userId),
        requestIds: holds.map(({ row }) => row.requestId),
        quantities: holds.map(({ row }) => row.quantity),
        seats: holds.map(({ row }) => seatsJson(row.seats)),
        expiresAt: holds.map(({ row }) => row.expiresAt.toISOString()),
      },
    );
  }
  const bookings = rowsOf(steps, (c) => c.bookings);
  if (bookings.length > 0) {
    await run(
      `INSERT INTO bookings (id, event_id, user_id, request_id, quantity, seats, hold_id)
       SELECT id, event_id, user_id, request_id, quantity, seats, hold_id
         FROM unnest($ids::uuid[], $eventIds::uuid[], $userIds::uuid[], $requestIds::uuid[], $quantities::int[],
                     $seats::jsonb[], $holdIds::uuid[])
           AS b(id, event_id, user_id, request_id, quantity, seats, hold_id)`,
      {
        ids: bookings.map(({ row }) => row.id),
        eventIds: bookings.map(({ eventId }) => eventId),
        userIds: bookings.map(({ row }) => row.userId),
        requestIds: bookings.map(({ row }) => row.requestId),
        quantities: bookings.map(({ row }) => row.quantity),
        seats: bookings.map(({ row }) => seatsJson(row.seats)),
        holdIds: bookings.map(({ row }) => row.holdId),
      },
    );
  }
  const cancelled = rowsOf(steps, (c) => c.cancelledBookings);
  if (cancelled.length > 0) {
    await run(`UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = ANY($ids::uuid[])`, {
      ids: cancelled.map(({ row }) => row.id),
    });
  }
  const ended = rowsOf(steps, (c) => c.endedHolds);
  if (ended.length > 0) {
    await run(
      `UPDATE holds h SET status = e.status, booking_id = e.booking_id, ended_at = now()
         FROM unnest($ids::uuid[], $statuses::text[], $bookingIds::uuid[]) AS e(id, status, booking_id)
        WHERE h.id = e.id AND h.status = 'active'`,
      {
        ids: ended.map(({ row }) => row.hold.id),
        statuses: ended.map(({ row }) => row.status),
        bookingIds: ended.map(({ row }) => row.bookingId),
      },
    );
  }
  await applySeatAssignments(run, steps);
  await applyWaitlist(run, steps);

  const requests = rowsOf(steps, (c) => c.requests).map(({ row }) => row);
  if (requests.length > 0) {
    await run(
      `UPDATE booking_requests r
          SET status = d.status, reason = d.reason, reason_details = d.details, booking_id = d.booking_id,
              hold_id = d.hold_id, decided_at = COALESCE(r.decided_at, now())
         FROM unnest($ids::uuid[], $statuses::text[], $reasons::text[], $details::jsonb[], $bookingIds::uuid[],
                     $holdIds::uuid[]) AS d(id, status, reason, details, booking_id, hold_id)
        WHERE r.id = d.id AND r.status IN ('queued', 'waitlisted')`,
      {
        ids: requests.map((r) => r.requestId),
        statuses: requests.map((r) => r.status),
        reasons: requests.map((r) => r.reason),
        details: requests.map((r) => (r.details ? JSON.stringify(r.details) : null)),
        bookingIds: requests.map((r) => r.bookingId),
        holdIds: requests.map((r) => r.holdId),
      },
    );
  }
  const counted = steps.filter(
    (s) => s.changes.booked !== s.before.booked || s.changes.held !== s.before.held,
  );
  if (counted.length > 0) {
    await run(
      `UPDATE events e SET booked = c.booked, held = c.held, updated_at = now()
         FROM unnest($ids::uuid[], $booked::int[], $held::int[]) AS c(id, booked, held)
        WHERE e.id = c.id`,
      {
        ids: counted.map((s) => s.eventId),
        booked: counted.map((s) => s.changes.booked),
        held: counted.map((s) => s.changes.held),
      },
    );
  }
  await appendToOutbox(
    sequelize,
    transaction,
    steps.flatMap((s) => s.changes.outbox),
  );
}

type Run = (sql: string, bind: Record<string, unknown>) => Promise<unknown>;

/** The unique index on active assignments makes any double-booking fail the whole step here. */
async function applySeatAssignments(run: Run, steps: readonly EventChanges[]): Promise<void> {
  const released = [
    ...rowsOf(steps, (c) => c.cancelledBookings)
      .filter(({ row }) => row.seats.length > 0)
      .map(({ row }) => ({ booking: row.id, hold: null })),
    ...rowsOf(steps, (c) => c.endedHolds)
      .filter(({ row }) => row.status !== 'confirmed' && row.hold.seats.length > 0)
      .map(({ row }) => ({ booking: null, hold: row.hold.id })),
  ];
  if (released.length > 0) {
    await run(
      `UPDATE seat_assignments SET released_at = now()
        WHERE released_at IS NULL AND (booking_id = ANY($bookings::uuid[]) OR hold_id = ANY($holds::uuid[]))`,
      {
        bookings: released.flatMap((r) => (r.booking ? [r.booking] : [])),
        holds: released.flatMap((r) => (r.hold ? [r.hold] : [])),
      },
    );
  }
  const confirmedHolds = rowsOf(steps, (c) => c.endedHolds)
    .map(({ row }) => row)
    .filter((e) => e.status === 'confirmed' && e.hold.seats.length > 0);
  if (confirmedHolds.length > 0) {
    await run(
      `UPDATE seat_assignments a SET booking_id = c.booking_id
         FROM unnest($holds::uuid[], $bookings::uuid[]) AS c(hold_id, booking_id)
        WHERE a.hold_id = c.hold_id AND a.released_at IS NULL`,
      { holds: confirmedHolds.map((e) => e.hold.id), bookings: confirmedHolds.map((e) => e.bookingId) },
    );
  }
  const assigned = [
    ...rowsOf(steps, (c) => c.bookings)
      .filter(({ row }) => !row.holdId)
      .flatMap(({ eventId, row }) => row.seats.map((s) => [s.id, eventId, row.id, null] as const)),
    ...rowsOf(steps, (c) => c.holds).flatMap(({ eventId, row }) =>
      row.seats.map((s) => [s.id, eventId, null, row.id] as const),
    ),
  ];
  if (assigned.length > 0) {
    await run(
      `INSERT INTO seat_assignments (seat_id, event_id, booking_id, hold_id)
       SELECT seat_id, event_id, booking_id, hold_id
         FROM unnest($seats::uuid[], $eventIds::uuid[], $bookings::uuid[], $holds::uuid[])
           AS a(seat_id, event_id, booking_id, hold_id)`,
      {
        seats: assigned.map((a) => a[0]),
        eventIds: assigned.map((a) => a[1]),
        bookings: assigned.map((a) => a[2]),
        holds: assigned.map((a) => a[3]),
      },
    );
  }
}

async function applyWaitlist(run: Run, steps: readonly EventChanges[]): Promise<void> {
  const joined = rowsOf(steps, (c) => c.joinedWaitlist);
  if (joined.length > 0) {
    await run(
      `INSERT INTO waitlist_entries (id, event_id, user_id, request_id, seq, quantity, min_quantity, section)
       SELECT id, event_id, user_id, request_id, seq, quantity, min_quantity, section
         FROM unnest($ids::uuid[], $eventIds::uuid[], $userIds::uuid[], $requestIds::uuid[], $seqs::bigint[],
                     $quantities::int[], $minQuantities::int[], $sections::text[])
           AS w(id, event_id, user_id, request_id, seq, quantity, min_quantity, section)`,
      {
        ids: joined.map(({ row }) => row.id),
        eventIds: joined.map(({ eventId }) => eventId),
        userIds: joined.map(({ row }) => row.userId),
        requestIds: joined.map(({ row }) => row.requestId),
        seqs: joined.map(({ row }) => row.seq),
        quantities: joined.map(({ row }) => row.quantity),
        minQuantities: joined.map(({ row }) => row.minQuantity),
        sections: joined.map(({ row }) => row.section),
      },
    );
  }
  const promoted = rowsOf(steps, (c) => c.promoted).map(({ row }) => row);
  if (promoted.length > 0) {
    await run(
      `UPDATE waitlist_entries w SET status = 'promoted', booking_id = p.booking_id, hold_id = p.hold_id,
              ended_at = now()
         FROM unnest($ids::uuid[], $bookingIds::uuid[], $holdIds::uuid[]) AS p(id, booking_id, hold_id)
        WHERE w.id = p.id AND w.status = 'waiting'`,
      {
        ids: promoted.map((p) => p.entry.id),
        bookingIds: promoted.map((p) => p.bookingId),
        holdIds: promoted.map((p) => p.holdId),
      },
    );
  }
}
