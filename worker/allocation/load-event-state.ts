import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { decodePayload, decodeReference, type SeatLabel } from '../../shared/domain.js';
import type { AllocationRules } from './allocation-rules.js';
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

/**
 * A queued request, how long it has waited (seconds, PostgreSQL's clock) and how many failed
 * steps it was found to cause (`processing_attempts`, worker/allocation/poison-requests.ts).
 */
export type QueuedRequest = PendingRequest & { waited: number; processingAttempts: number };

export interface LoadedState {
  event: EventState;
  requests: QueuedRequest[];
  seats: SeatInventory | null;
  bookings: Map<string, BookingState>;
  holds: Map<string, HoldState>;
  waitlist: WaitlistEntryState[];
  waitlistComplete: boolean;
  waitingPerUser: Map<string, number>;
  buyers: Map<string, BuyerState>;
  /**
   * The stored trace context (`trace_context`) of the queued requests and waitlist entries read,
   * by request id, for those that have one: the step parents each decision to it (decision-spans.ts).
   */
  traceContexts: Map<string, string>;
}

type Select = <T extends object>(sql: string, bind: Record<string, unknown>) => Promise<T[]>;

/**
 * Reads, and locks, what the allocation steps of several events (taken together in one
 * transaction) need, in this order (the order locks are taken in): the events' rows, in id order;
 * their queued requests up to each one's `horizon`; then, event by event in id order, what only
 * some steps need: the seat map, the bookings cancel requests name, the holds (named, or past
 * their time), the head of the waitlist, and what the requesting users already have. The first
 * two are one query for every event; the rest is read only where needed. An event that is gone
 * has no entry.
 */
export async function loadEventStates(
  sequelize: Sequelize,
  transaction: Transaction,
  horizons: ReadonlyMap<string, string | null>,
  limit: number,
  now: Date,
  rules: AllocationRules,
): Promise<Map<string, LoadedState>> {
  const select: Select = (sql, bind) => sequelize.query(sql, { bind, transaction, type: QueryTypes.SELECT });
  const eventIds = [...horizons.keys()].sort();
  const rows = await loadEvents(select, eventIds, rules);
  const queued = await loadQueuedRequests(
    select,
    eventIds.filter((id) => rows.has(id) && horizons.get(id) !== null),
    horizons,
    limit,
  );
  const states = new Map<string, LoadedState>();
  for (const eventId of eventIds) {
    const row = rows.get(eventId);
    if (!row) continue;
    const { requests, traceContexts } = queued.get(eventId) ?? { requests: [], traceContexts: new Map() };
    const seats = row.event.seating === 'reserved' ? await loadSeats(select, eventId) : null;
    const bookings = await loadBookingsToCancel(select, eventId, requests, seats);
    const holds = await loadHolds(select, eventId, requests, row.event.held, now, seats);
    const waitlist = row.hasWaitlist ? await loadWaitlistHead(select, eventId, traceContexts) : [];
    const waitingPerUser = await loadWaitingPerUser(select, eventId, requests);
    const buyers = await loadBuyers(select, eventId, requests, waitlist, row);
    states.set(eventId, {
      event: row.event,
      requests,
      seats,
      bookings,
      holds,
      waitlist,
      waitlistComplete: waitlist.length < WAITLIST_HEAD,
      waitingPerUser,
      buyers,
      traceContexts,
    });
  }
  return states;
}

interface EventRow {
  event: EventState;
  /** Whether any entry is waiting: most events have no line, and their steps skip reading it. */
  hasWaitlist: boolean;
  /** Whether the per-buyer limits apply to partners and admins too. */
  limitPartners: boolean;
}

/**
 * The event rows, FOR NO KEY UPDATE in id order (every step locks in the same order): serializes
 * allocators (and admin edits) without blocking intake's foreign-key check, which takes FOR KEY
 * SHARE.
 */
async function loadEvents(
  select: Select,
  eventIds: readonly string[],
  rules: AllocationRules,
): Promise<Map<string, EventRow>> {
  const rows = await select<{
    id: string;
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
    `SELECT id, status, capacity, booked, held, starts_at, seating, waitlist_promotion, hold_ttl_seconds,
            max_tickets_per_user, limit_partners,
            EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.event_id = e.id AND w.status = 'waiting') AS has_waitlist
       FROM events e WHERE id = ANY($eventIds::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
    { eventIds },
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        event: {
          status: row.status,
          capacity: row.capacity,
          booked: row.booked,
          held: row.held,
          startsAt: row.starts_at,
          seating: row.seating,
          waitlistPromotion: row.waitlist_promotion,
          holdTtlSeconds: Math.min(row.hold_ttl_seconds ?? rules.holdTtlSeconds, rules.maxHoldTtlSeconds),
          maxTicketsPerUser: row.max_tickets_per_user,
        },
        hasWaitlist: row.has_waitlist,
        limitPartners: row.limit_partners,
      },
    ]),
  );
}

/**
 * Up to `limit` queued requests of each event with `seq <=` its horizon, oldest first, FOR
 * UPDATE, by event; payloads decoded; and their stored trace contexts.
 */
async function loadQueuedRequests(
  select: Select,
  eventIds: readonly string[],
  horizons: ReadonlyMap<string, string | null>,
  limit: number,
): Promise<Map<string, { requests: QueuedRequest[]; traceContexts: Map<string, string> }>> {
  const byEvent = new Map<string, { requests: QueuedRequest[]; traceContexts: Map<string, string> }>();
  if (eventIds.length === 0) return byEvent;
  const rows = await select<{
    id: string;
    event_id: string;
    seq: string;
    user_id: string;
    kind: string;
    payload: unknown;
    queued_at: Date;
    external_reference: string | null;
    metadata: unknown;
    waited: number;
    processing_attempts: number;
    trace_context: string | null;
  }>(
    `SELECT q.* FROM unnest($eventIds::uuid[], $horizons::bigint[]) AS e(id, horizon)
       CROSS JOIN LATERAL (
         SELECT id, event_id, seq, user_id, kind, payload, queued_at, external_reference, metadata,
                processing_attempts, trace_context, EXTRACT(EPOCH FROM now() - queued_at)::float8 AS waited
           FROM booking_requests
          WHERE event_id = e.id AND status = 'queued' AND seq <= e.horizon
          ORDER BY seq LIMIT $limit FOR UPDATE) q`,
    { eventIds, horizons: eventIds.map((id) => horizons.get(id)), limit },
  );
  for (const r of rows) {
    const loaded = byEvent.get(r.event_id) ?? { requests: [], traceContexts: new Map<string, string>() };
    byEvent.set(r.event_id, loaded);
    if (r.trace_context) loaded.traceContexts.set(r.id, r.trace_context);
    loaded.requests.push({
      id: r.id,
      seq: r.seq,
      userId: r.user_id,
      ...decodePayload(r.kind, r.payload),
      queuedAt: new Date(r.queued_at),
      reference: decodeReference(r.external_reference, r.metadata),
      waited: Number(r.waited),
      processingAttempts: r.processing_attempts,
    });
  }
  return byEvent;
}

/** The whole seat map with each seat's state: one indexed scan, ~20,000 rows for a stadium. */
async function loadSeats(select: Select, eventId: string): Promise<SeatInventory> {
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

/**
 * A booking's, hold's or waitlist entry's reference lives on its purchase's first request
 * (`request_id`): read by a join on that primary key, the one place it is stored. The joined
 * request row is not locked (`FOR UPDATE OF` the row itself): it is never changed after intake.
 */
/** The reference columns of the joined purchase request, named `p` in every query. */
const REFERENCE_COLUMNS = 'p.external_reference, p.metadata';
interface ReferenceColumns {
  external_reference: string | null;
  metadata: unknown;
}
const referenceOf = (row: ReferenceColumns) => decodeReference(row.external_reference, row.metadata);

/** The seats of the map that a booking's or hold's stored labels name (none without a map). */
const seatsNamed = (seats: SeatInventory | null, labels: SeatLabel[] | null): Seat[] =>
  (labels ?? []).map((l) => seats?.seat(l.id) as Seat);

/** The bookings this step's cancel requests name, FOR UPDATE (only this event's). */
async function loadBookingsToCancel(
  select: Select,
  eventId: string,
  requests: readonly PendingRequest[],
  seats: SeatInventory | null,
): Promise<Map<string, BookingState>> {
  const ids = requests.flatMap((r) => (r.kind === 'cancel' ? [r.payload.bookingId] : []));
  if (ids.length === 0) return new Map();
  const rows = await select<
    {
      id: string;
      user_id: string;
      request_id: string;
      status: BookingState['status'];
      quantity: number;
      seats: SeatLabel[] | null;
    } & ReferenceColumns
  >(
    `SELECT b.id, b.user_id, b.request_id, b.status, b.quantity, b.seats, ${REFERENCE_COLUMNS}
       FROM bookings b JOIN booking_requests p ON p.id = b.request_id
      WHERE b.id = ANY($ids::uuid[]) AND b.event_id = $eventId FOR UPDATE OF b`,
    { ids, eventId },
  );
  return new Map(
    rows.map((b) => [
      b.id,
      {
        id: b.id,
        userId: b.user_id,
        requestId: b.request_id,
        reference: referenceOf(b),
        status: b.status,
        quantity: b.quantity,
        seats: seatsNamed(seats, b.seats),
      },
    ]),
  );
}

/**
 * The holds this step's confirm and release requests name, and every active hold past its time
 * (the step expires them), FOR UPDATE. A hold whose confirm was accepted in time and still waits
 * its turn is not due. No held seats and no hold named: nothing to read (most steps).
 */
async function loadHolds(
  select: Select,
  eventId: string,
  requests: readonly PendingRequest[],
  held: number,
  now: Date,
  seats: SeatInventory | null,
): Promise<Map<string, HoldState>> {
  const ids = requests.flatMap((r) =>
    r.kind === 'confirm_hold' || r.kind === 'release_hold' ? [r.payload.holdId] : [],
  );
  if (held === 0 && ids.length === 0) return new Map();
  const rows = await select<
    {
      id: string;
      user_id: string;
      request_id: string;
      status: HoldState['status'];
      quantity: number;
      seats: SeatLabel[] | null;
      expires_at: Date;
      booking_id: string | null;
    } & ReferenceColumns
  >(
    `SELECT h.id, h.user_id, h.request_id, h.status, h.quantity, h.seats, h.expires_at, h.booking_id,
            ${REFERENCE_COLUMNS}
       FROM holds h JOIN booking_requests p ON p.id = h.request_id
      WHERE h.event_id = $eventId
        AND (h.id = ANY($ids::uuid[])
             OR (h.status = 'active' AND h.expires_at <= $now::timestamptz
                 -- A confirm accepted in time, still waiting its turn, keeps the hold alive.
                 AND NOT EXISTS (SELECT 1 FROM booking_requests r
                                  WHERE r.event_id = h.event_id AND r.status = 'queued'
                                    AND r.kind = 'confirm_hold' AND r.payload ->> 'holdId' = h.id::text
                                    AND r.queued_at < h.expires_at)))
      ORDER BY h.expires_at, h.id FOR UPDATE OF h`,
    { eventId, ids, now: now.toISOString() },
  );
  return new Map(
    rows.map((h) => [
      h.id,
      {
        id: h.id,
        userId: h.user_id,
        requestId: h.request_id,
        reference: referenceOf(h),
        status: h.status,
        quantity: h.quantity,
        seats: seatsNamed(seats, h.seats),
        expiresAt: new Date(h.expires_at),
        bookingId: h.booking_id,
      },
    ]),
  );
}

/**
 * The first WAITLIST_HEAD waiting entries in line order, FOR UPDATE (a leave waits for the step);
 * their requests' trace contexts go into `traceContexts` (a promotion is that request's decision).
 */
async function loadWaitlistHead(
  select: Select,
  eventId: string,
  traceContexts: Map<string, string>,
): Promise<WaitlistEntryState[]> {
  const rows = await select<
    {
      id: string;
      user_id: string;
      request_id: string;
      seq: string;
      quantity: number;
      min_quantity: number;
      section: string | null;
      trace_context: string | null;
    } & ReferenceColumns
  >(
    `SELECT w.id, w.user_id, w.request_id, w.seq, w.quantity, w.min_quantity, w.section, p.trace_context,
            ${REFERENCE_COLUMNS}
       FROM waitlist_entries w JOIN booking_requests p ON p.id = w.request_id
      WHERE w.event_id = $eventId AND w.status = 'waiting' ORDER BY w.seq LIMIT ${WAITLIST_HEAD} FOR UPDATE OF w`,
    { eventId },
  );
  for (const w of rows) if (w.trace_context) traceContexts.set(w.request_id, w.trace_context);
  return rows.map((w) => ({
    id: w.id,
    userId: w.user_id,
    requestId: w.request_id,
    reference: referenceOf(w),
    seq: w.seq,
    quantity: w.quantity,
    minQuantity: w.min_quantity,
    section: w.section,
  }));
}

/** For users whose book request may join the line: how many entries each already has waiting. */
async function loadWaitingPerUser(
  select: Select,
  eventId: string,
  requests: readonly PendingRequest[],
): Promise<Map<string, number>> {
  const joining = new Set(
    requests.flatMap((r) => (r.kind === 'book' && r.payload.waitlist ? [r.userId] : [])),
  );
  if (joining.size === 0) return new Map();
  const counts = await select<{ user_id: string; n: number }>(
    `SELECT user_id, count(*)::int AS n FROM waitlist_entries
      WHERE event_id = $eventId AND status = 'waiting' AND user_id = ANY($users::uuid[])
      GROUP BY user_id`,
    { eventId, users: [...joining] },
  );
  return new Map(counts.map((c) => [c.user_id, c.n]));
}

/**
 * What each buyer who may get seats in this step already has at the event (tickets confirmed,
 * held and waiting; active holds), for the per-buyer limits: those with a book or hold request,
 * and, where the waitlist is promoted to holds, those at its head (a promotion must not take a
 * buyer past the hold cap either). Read only when a limit can apply: the event caps tickets, or
 * a hold may be made (holds are always capped).
 */
async function loadBuyers(
  select: Select,
  eventId: string,
  requests: readonly PendingRequest[],
  waitlist: readonly WaitlistEntryState[],
  { event, limitPartners }: EventRow,
): Promise<Map<string, BuyerState>> {
  const buying = requests.filter((r) => r.kind === 'book' || r.kind === 'hold');
  const capped = event.maxTicketsPerUser !== null;
  const promotingToHolds = event.waitlistPromotion === 'hold' && waitlist.length > 0;
  const holdsAsked = buying.some((r) => r.kind === 'hold');
  if (!promotingToHolds && (buying.length === 0 || (!capped && !holdsAsked))) return new Map();
  const users = new Set([
    ...buying.map((r) => r.userId),
    ...(promotingToHolds ? waitlist.map((w) => w.userId) : []),
  ]);
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
    { eventId, users: [...users] },
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        limited: r.role === 'user' || limitPartners,
        tickets: Number(r.tickets),
        holds: Number(r.holds),
      },
    ]),
  );
}
