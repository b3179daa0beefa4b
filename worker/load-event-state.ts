import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Config } from '../shared/config.js';
import type { BookPayload, CancelPayload, HoldActionPayload } from '../shared/domain.js';
import type { BuyerState } from './buyer-limits.js';
import type {
  BookingState,
  EventState,
  HoldState,
  PendingRequest,
  WaitlistEntryState,
} from './ledger-types.js';
import { type Seat, SeatInventory } from './seat-inventory.js';

/** How much of the waitlist one step reads; a longer line is served over several steps. */
export const WAITLIST_HEAD = 1000;

export interface StepRules {
  /** Hold time when the event sets none (HOLD_TTL_SECONDS). */
  holdTtlSeconds: number;
  /** Waiting entries one user may have per event (WAITLIST_MAX_PER_USER). */
  waitlistLimit: number;
  /** Active holds one buyer may have per event (MAX_HOLDS_PER_USER). */
  maxHoldsPerUser: number;
}

export const stepRules = (
  config: Pick<Config, 'holdTtlSeconds' | 'waitlistMaxPerUser' | 'maxHoldsPerUser'>,
): StepRules => ({
  holdTtlSeconds: config.holdTtlSeconds,
  waitlistLimit: config.waitlistMaxPerUser,
  maxHoldsPerUser: config.maxHoldsPerUser,
});

export interface LoadedState {
  event: EventState;
  requests: (PendingRequest & { waited: number })[];
  seats: SeatInventory | null;
  bookings: Map<string, BookingState>;
  holds: Map<string, HoldState>;
  waitlist: WaitlistEntryState[];
  waitlistComplete: boolean;
  waitingPerUser: Map<string, number>;
  buyers: Map<string, BuyerState>;
}

interface SeatLabel {
  id: string;
}

/**
 * Reads, and locks, what one allocation step of an event needs: the event row (FOR NO KEY UPDATE:
 * serializes allocators without blocking intake's foreign-key check), the queued requests up to
 * `horizon`, the seat map, the bookings and holds the requests name, holds past their time and
 * the head of the waitlist.
 */
export async function loadEventState(
  sequelize: Sequelize,
  transaction: Transaction,
  eventId: string,
  horizon: string | null,
  limit: number,
  now: Date,
  rules: StepRules,
): Promise<LoadedState | null> {
  const select = <T extends object>(sql: string, bind: Record<string, unknown>) =>
    sequelize.query<T>(sql, { bind, transaction, type: QueryTypes.SELECT });

  const [event] = await select<{
    status: EventState['status'];
    capacity: number;
    booked: number;
    held: number;
    starts_at: Date;
    seating: EventState['seating'];
    waitlist_promotion: EventState['waitlistPromotion'];
    hold_ttl_seconds: number | null;
    max_tickets_per_user: number | null;
    limit_partners: boolean;
    has_waitlist: boolean;
  }>(
    // Whether anyone waits is read here, not by a separate query: most steps have no line.
    `SELECT status, capacity, booked, held, starts_at, seating, waitlist_promotion, hold_ttl_seconds,
            max_tickets_per_user, limit_partners,
            EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.event_id = e.id AND w.status = 'waiting') AS has_waitlist
       FROM events e WHERE id = $eventId FOR NO KEY UPDATE`,
    { eventId },
  );
  if (!event) return null;

  const requests =
    horizon === null
      ? []
      : (
          await select<{
            id: string;
            seq: string;
            principal_id: string;
            kind: PendingRequest['kind'];
            payload: PendingRequest['payload'];
            queued_at: Date;
            waited: number;
          }>(
            `SELECT id, seq, principal_id, kind, payload, queued_at,
                    EXTRACT(EPOCH FROM now() - queued_at)::float8 AS waited
               FROM booking_requests
              WHERE event_id = $eventId AND status = 'queued' AND seq <= $horizon
              ORDER BY seq LIMIT $limit FOR UPDATE`,
            { eventId, horizon, limit },
          )
        ).map((r) => ({
          id: r.id,
          seq: r.seq,
          principalId: r.principal_id,
          kind: r.kind,
          payload: r.payload,
          queuedAt: new Date(r.queued_at),
          waited: Number(r.waited),
        }));

  const seats = event.seating === 'reserved' ? await loadSeats(select, eventId) : null;
  const seatsOf = (labels: SeatLabel[] | null) => (labels ?? []).map((l) => seats?.seat(l.id) as Seat);

  const bookingIds = requests
    .filter((r) => r.kind === 'cancel')
    .map((r) => (r.payload as CancelPayload).bookingId);
  const bookings = new Map<string, BookingState>();
  if (bookingIds.length > 0) {
    const rows = await select<{
      id: string;
      user_id: string;
      request_id: string;
      status: BookingState['status'];
      quantity: number;
      seats: SeatLabel[] | null;
    }>(
      `SELECT id, user_id, request_id, status, quantity, seats FROM bookings
        WHERE id = ANY($ids::uuid[]) AND event_id = $eventId FOR UPDATE`,
      { ids: bookingIds, eventId },
    );
    for (const b of rows) {
      bookings.set(b.id, {
        id: b.id,
        userId: b.user_id,
        requestId: b.request_id,
        status: b.status,
        quantity: b.quantity,
        seats: seatsOf(b.seats),
      });
    }
  }

  const holdIds = requests
    .filter((r) => r.kind === 'confirm_hold' || r.kind === 'release_hold')
    .map((r) => (r.payload as HoldActionPayload).holdId);
  // No held seats and no hold named: no hold to read (most steps of most events).
  const holdRows =
    event.held === 0 && holdIds.length === 0
      ? []
      : await select<{
          id: string;
          user_id: string;
          request_id: string;
          status: HoldState['status'];
          quantity: number;
          seats: SeatLabel[] | null;
          expires_at: Date;
          booking_id: string | null;
        }>(
          `SELECT id, user_id, request_id, status, quantity, seats, expires_at, booking_id FROM holds h
      WHERE event_id = $eventId
        AND (id = ANY($ids::uuid[])
             OR (status = 'active' AND expires_at <= $now::timestamptz
                 -- A confirm accepted in time, still waiting its turn, keeps the hold alive.
                 AND NOT EXISTS (SELECT 1 FROM booking_requests r
                                  WHERE r.event_id = h.event_id AND r.status = 'queued'
                                    AND r.kind = 'confirm_hold' AND r.payload ->> 'holdId' = h.id::text
                                    AND r.queued_at < h.expires_at)))
      ORDER BY expires_at, id FOR UPDATE`,
          { eventId, ids: holdIds, now: now.toISOString() },
        );
  const holds = new Map<string, HoldState>(
    holdRows.map((h) => [
      h.id,
      {
        id: h.id,
        userId: h.user_id,
        requestId: h.request_id,
        status: h.status,
        quantity: h.quantity,
        seats: seatsOf(h.seats),
        expiresAt: new Date(h.expires_at),
        bookingId: h.booking_id,
      },
    ]),
  );

  const waitlistRows = !event.has_waitlist
    ? []
    : await select<{
        id: string;
        user_id: string;
        request_id: string;
        seq: string;
        quantity: number;
        min_quantity: number;
        section: string | null;
      }>(
        `SELECT id, user_id, request_id, seq, quantity, min_quantity, section FROM waitlist_entries
      WHERE event_id = $eventId AND status = 'waiting' ORDER BY seq LIMIT ${WAITLIST_HEAD} FOR UPDATE`,
        { eventId },
      );

  const joining = [
    ...new Set(
      requests
        .filter((r) => r.kind === 'book' && (r.payload as BookPayload).waitlist)
        .map((r) => r.principalId),
    ),
  ];
  const waitingPerUser = new Map<string, number>();
  if (joining.length > 0) {
    const counts = await select<{ user_id: string; n: number }>(
      `SELECT user_id, count(*)::int AS n FROM waitlist_entries
        WHERE event_id = $eventId AND status = 'waiting' AND user_id = ANY($users::uuid[])
        GROUP BY user_id`,
      { eventId, users: joining },
    );
    for (const c of counts) waitingPerUser.set(c.user_id, c.n);
  }

  const buyers = await loadBuyers(select, eventId, requests, event);

  return {
    event: {
      status: event.status,
      capacity: event.capacity,
      booked: event.booked,
      held: event.held,
      startsAt: event.starts_at,
      seating: event.seating,
      waitlistPromotion: event.waitlist_promotion,
      holdTtlSeconds: event.hold_ttl_seconds ?? rules.holdTtlSeconds,
      maxTicketsPerUser: event.max_tickets_per_user,
    },
    requests,
    seats,
    bookings,
    holds,
    waitlist: waitlistRows.map((w) => ({
      id: w.id,
      userId: w.user_id,
      requestId: w.request_id,
      seq: w.seq,
      quantity: w.quantity,
      minQuantity: w.min_quantity,
      section: w.section,
    })),
    waitlistComplete: waitlistRows.length < WAITLIST_HEAD,
    waitingPerUser,
    buyers,
  };
}

type Select = <T extends object>(sql: string, bind: Record<string, unknown>) => Promise<T[]>;

/**
 * What each buyer with a book or hold request in this step already has at the event (tickets
 * confirmed, held and waiting; active holds), for the per-buyer limits. Read only when a limit
 * can apply: the event caps tickets, or someone asks for a hold (holds are always capped).
 */
async function loadBuyers(
  select: Select,
  eventId: string,
  requests: readonly PendingRequest[],
  event: { max_tickets_per_user: number | null; limit_partners: boolean },
): Promise<Map<string, BuyerState>> {
  const buying = requests.filter((r) => r.kind === 'book' || r.kind === 'hold');
  const capped = event.max_tickets_per_user !== null;
  if (buying.length === 0 || (!capped && !buying.some((r) => r.kind === 'hold'))) return new Map();
  const rows = await select<{ id: string; role: string; tickets: number; holds: number }>(
    `SELECT u.id, u.role,
            (SELECT coalesce(sum(quantity), 0) FROM bookings b
              WHERE b.event_id = $eventId AND b.user_id = u.id AND b.status = 'confirmed')
          + (SELECT coalesce(sum(quantity), 0) FROM waitlist_entries w
              WHERE w.event_id = $eventId AND w.user_id = u.id AND w.status = 'waiting')
          + h.tickets AS tickets,
            h.holds
       FROM users u,
            LATERAL (SELECT coalesce(sum(quantity), 0) AS tickets, count(*) AS holds FROM holds
                      WHERE event_id = $eventId AND user_id = u.id AND status = 'active') h
      WHERE u.id = ANY ($users::uuid[])`,
    { eventId, users: [...new Set(buying.map((r) => r.principalId))] },
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        limited: r.role === 'user' || event.limit_partners,
        tickets: Number(r.tickets),
        holds: Number(r.holds),
      },
    ]),
  );
}

/** The whole seat map with each seat's state: one indexed scan, ~20,000 rows for a stadium. */
async function loadSeats(
  select: <T extends object>(sql: string, bind: Record<string, unknown>) => Promise<T[]>,
  eventId: string,
): Promise<SeatInventory> {
  const rows = await select<{
    id: string;
    section: string;
    row_label: string;
    number: number;
    section_rank: number;
    row_rank: number;
    free: boolean;
  }>(
    `SELECT s.id, s.section, s.row_label, s.number, s.section_rank, s.row_rank, a.id IS NULL AS free
       FROM seats s LEFT JOIN seat_assignments a ON a.seat_id = s.id AND a.released_at IS NULL
      WHERE s.event_id = $eventId`,
    { eventId },
  );
  return new SeatInventory(
    rows.map((r) => ({
      id: r.id,
      section: r.section,
      row: r.row_label,
      number: r.number,
      sectionRank: r.section_rank,
      rowRank: r.row_rank,
    })),
    rows.filter((r) => r.free).map((r) => r.id),
  );
}
