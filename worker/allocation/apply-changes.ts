import type { Sequelize, Transaction } from 'sequelize';
import { appendToOutbox } from '../../shared/db/outbox.js';
import { seatLabel } from '../../shared/domain.js';
import type { Changes } from './ledger-types.js';
import type { Seat } from './seat-inventory.js';

const seatsJson = (seats: readonly Seat[]) =>
  seats.length > 0 ? JSON.stringify(seats.map(seatLabel)) : null;

/**
 * Writes one step's changes, set-wise (one statement per kind of change, whatever the batch
 * size), in the step's transaction. Order matters only for foreign keys: holds before the
 * bookings that confirm them, both before the seat assignments and waitlist rows naming them.
 */
export async function applyChanges(
  sequelize: Sequelize,
  transaction: Transaction,
  eventId: string,
  before: { booked: number; held: number },
  changes: Changes,
): Promise<void> {
  const run = (sql: string, bind: Record<string, unknown>) => sequelize.query(sql, { bind, transaction });

  if (changes.holds.length > 0) {
    await run(
      `INSERT INTO holds (id, event_id, user_id, request_id, quantity, seats, expires_at)
       SELECT id, $eventId, user_id, request_id, quantity, seats, expires_at
         FROM unnest($ids::uuid[], $userIds::uuid[], $requestIds::uuid[], $quantities::int[],
                     $seats::jsonb[], $expiresAt::timestamptz[])
           AS h(id, user_id, request_id, quantity, seats, expires_at)`,
      {
        eventId,
        ids: changes.holds.map((h) => h.id),
        userIds: changes.holds.map((h) => h.userId),
        requestIds: changes.holds.map((h) => h.requestId),
        quantities: changes.holds.map((h) => h.quantity),
        seats: changes.holds.map((h) => seatsJson(h.seats)),
        expiresAt: changes.holds.map((h) => h.expiresAt.toISOString()),
      },
    );
  }
  if (changes.bookings.length > 0) {
    await run(
      `INSERT INTO bookings (id, event_id, user_id, request_id, quantity, seats, hold_id)
       SELECT id, $eventId, user_id, request_id, quantity, seats, hold_id
         FROM unnest($ids::uuid[], $userIds::uuid[], $requestIds::uuid[], $quantities::int[],
                     $seats::jsonb[], $holdIds::uuid[])
           AS b(id, user_id, request_id, quantity, seats, hold_id)`,
      {
        eventId,
        ids: changes.bookings.map((b) => b.id),
        userIds: changes.bookings.map((b) => b.userId),
        requestIds: changes.bookings.map((b) => b.requestId),
        quantities: changes.bookings.map((b) => b.quantity),
        seats: changes.bookings.map((b) => seatsJson(b.seats)),
        holdIds: changes.bookings.map((b) => b.holdId),
      },
    );
  }
  if (changes.cancelledBookings.length > 0) {
    await run(`UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = ANY($ids::uuid[])`, {
      ids: changes.cancelledBookings.map((b) => b.id),
    });
  }
  if (changes.endedHolds.length > 0) {
    await run(
      `UPDATE holds h SET status = e.status, booking_id = e.booking_id, ended_at = now()
         FROM unnest($ids::uuid[], $statuses::text[], $bookingIds::uuid[]) AS e(id, status, booking_id)
        WHERE h.id = e.id AND h.status = 'active'`,
      {
        ids: changes.endedHolds.map((e) => e.hold.id),
        statuses: changes.endedHolds.map((e) => e.status),
        bookingIds: changes.endedHolds.map((e) => e.bookingId),
      },
    );
  }
  await applySeatAssignments(run, eventId, changes);
  await applyWaitlist(run, eventId, changes);

  const requests = changes.requests;
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
  if (changes.booked !== before.booked || changes.held !== before.held) {
    await run('UPDATE events SET booked = $booked, held = $held, updated_at = now() WHERE id = $eventId', {
      booked: changes.booked,
      held: changes.held,
      eventId,
    });
  }
  await appendToOutbox(sequelize, transaction, changes.outbox);
}

type Run = (sql: string, bind: Record<string, unknown>) => Promise<unknown>;

/** The unique index on active assignments makes any double-booking fail the whole step here. */
async function applySeatAssignments(run: Run, eventId: string, changes: Changes): Promise<void> {
  const released = [
    ...changes.cancelledBookings
      .filter((b) => b.seats.length > 0)
      .map((b) => ({ booking: b.id, hold: null })),
    ...changes.endedHolds
      .filter((e) => e.status !== 'confirmed' && e.hold.seats.length > 0)
      .map((e) => ({ booking: null, hold: e.hold.id })),
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
  const confirmedHolds = changes.endedHolds.filter(
    (e) => e.status === 'confirmed' && e.hold.seats.length > 0,
  );
  if (confirmedHolds.length > 0) {
    await run(
      `UPDATE seat_assignments a SET booking_id = c.booking_id
         FROM unnest($holds::uuid[], $bookings::uuid[]) AS c(hold_id, booking_id)
        WHERE a.hold_id = c.hold_id AND a.released_at IS NULL`,
      { holds: confirmedHolds.map((e) => e.hold.id), bookings: confirmedHolds.map((e) => e.bookingId) },
    );
  }
  const assigned = [
    ...changes.bookings
      .filter((b) => !b.holdId)
      .flatMap((b) => b.seats.map((s) => [s.id, b.id, null] as const)),
    ...changes.holds.flatMap((h) => h.seats.map((s) => [s.id, null, h.id] as const)),
  ];
  if (assigned.length > 0) {
    await run(
      `INSERT INTO seat_assignments (seat_id, event_id, booking_id, hold_id)
       SELECT seat_id, $eventId, booking_id, hold_id
         FROM unnest($seats::uuid[], $bookings::uuid[], $holds::uuid[]) AS a(seat_id, booking_id, hold_id)`,
      {
        eventId,
        seats: assigned.map((a) => a[0]),
        bookings: assigned.map((a) => a[1]),
        holds: assigned.map((a) => a[2]),
      },
    );
  }
}

async function applyWaitlist(run: Run, eventId: string, changes: Changes): Promise<void> {
  const joined = changes.joinedWaitlist;
  if (joined.length > 0) {
    await run(
      `INSERT INTO waitlist_entries (id, event_id, user_id, request_id, seq, quantity, min_quantity, section)
       SELECT id, $eventId, user_id, request_id, seq, quantity, min_quantity, section
         FROM unnest($ids::uuid[], $userIds::uuid[], $requestIds::uuid[], $seqs::bigint[], $quantities::int[],
                     $minQuantities::int[], $sections::text[])
           AS w(id, user_id, request_id, seq, quantity, min_quantity, section)`,
      {
        eventId,
        ids: joined.map((w) => w.id),
        userIds: joined.map((w) => w.userId),
        requestIds: joined.map((w) => w.requestId),
        seqs: joined.map((w) => w.seq),
        quantities: joined.map((w) => w.quantity),
        minQuantities: joined.map((w) => w.minQuantity),
        sections: joined.map((w) => w.section),
      },
    );
  }
  const promoted = changes.promoted;
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
