import { bookingRefusal, cancellationRefusal, canTakeBookings } from '../../shared/booking-rules.js';
import type { NewOutboxMessage } from '../../shared/db/outbox.js';
import {
  type BookPayload,
  type HoldStatus,
  type PurchaseReference,
  REJECTION_REASONS,
  type RejectionReason,
} from '../../shared/domain.js';
import * as messages from '../../shared/webhooks/messages.js';
import { BuyerLimits, type BuyerState } from './buyer-limits.js';
import type {
  BookingState,
  Changes,
  EventState,
  HoldState,
  NewBooking,
  NewHold,
  PendingRequest,
  RequestOf,
  RequestUpdate,
  WaitlistEntryState,
} from './ledger-types.js';
import type { Seat, SeatInventory } from './seat-inventory.js';

export interface LedgerInput {
  eventId: string;
  event: EventState;
  /** The seat map with its free seats; null for general admission. */
  seats: SeatInventory | null;
  /** Bookings that cancel requests of this step name. */
  bookings: ReadonlyMap<string, BookingState>;
  /** Holds that requests of this step name, and the active holds already past their expiry. */
  holds: ReadonlyMap<string, HoldState>;
  /** The head of the waitlist, in line order. */
  waitlist: readonly WaitlistEntryState[];
  /** False when the line is longer than `waitlist`: new entries are then not promoted this step. */
  waitlistComplete: boolean;
  /** Entries each requesting user already has waiting for this event. */
  waitingPerUser: ReadonlyMap<string, number>;
  waitlistLimit: number;
  /** Tickets and holds each buyer with a book or hold request in this step already has. */
  buyers: ReadonlyMap<string, BuyerState>;
  /** Active holds one buyer may have (MAX_HOLDS_PER_USER). */
  maxHoldsPerUser: number;
  /**
   * Requests to set aside: each is rejected `processing_failed` when its turn comes, without
   * being looked at (it made earlier steps fail; worker/allocation/poison-requests.ts). None if absent.
   */
  setAside?: ReadonlySet<string>;
  now: Date;
  newId: () => string;
}

/** Whose a new booking or hold is: its purchase's first request, owner and reference. */
interface Owner {
  id: string;
  userId: string;
  reference: PurchaseReference;
}

type Allotment =
  | { quantity: number; seats: Seat[] }
  | { reason: RejectionReason; details?: Record<string, unknown> };

/**
 * The seat-allocation rules, and nothing else: pure, so every rule is testable without a
 * database. One step, in order: holds past their time expire, freed seats go to the waitlist,
 * then the queued requests are decided in arrival order; every change that frees seats offers
 * them to the head of the waitlist first. The caller writes the returned Changes in the same
 * transaction that read the input.
 */
export function runLedger(input: LedgerInput, requests: readonly PendingRequest[]): Changes {
  const ledger = new Ledger(input);
  ledger.expireDueHolds(confirmedInTime(input.holds, requests));
  ledger.promote();
  for (const request of requests) ledger.decide(request);
  return ledger.changes();
}

/**
 * Holds with a confirm in `requests` that was accepted before the hold's `expiresAt`: a buyer
 * who confirmed in time gets the seats even if the confirm waited in a long queue.
 */
function confirmedInTime(
  holds: ReadonlyMap<string, HoldState>,
  requests: readonly PendingRequest[],
): Set<string> {
  const spared = new Set<string>();
  for (const r of requests) {
    if (r.kind !== 'confirm_hold') continue;
    const hold = holds.get(r.payload.holdId);
    if (hold && r.queuedAt < hold.expiresAt) spared.add(hold.id);
  }
  return spared;
}

class Ledger {
  private booked: number;
  private held: number;
  private readonly holdStatus = new Map<string, { status: HoldStatus; bookingId: string | null }>();
  private readonly cancelled = new Set<string>();
  private readonly line: WaitlistEntryState[];
  private readonly waiting: Map<string, number>;
  private readonly limits: BuyerLimits;
  private readonly requests = new Map<string, RequestUpdate>();
  private readonly out: Omit<Changes, 'booked' | 'held' | 'requests'> = {
    bookings: [],
    cancelledBookings: [],
    holds: [],
    endedHolds: [],
    joinedWaitlist: [],
    promoted: [],
    outbox: [],
  };

  constructor(private readonly input: LedgerInput) {
    this.booked = input.event.booked;
    this.held = input.event.held;
    this.line = [...input.waitlist];
    this.waiting = new Map(input.waitingPerUser);
    this.limits = new BuyerLimits(input.buyers, {
      maxTickets: input.event.maxTicketsPerUser,
      maxHolds: input.maxHoldsPerUser,
    });
  }

  changes(): Changes {
    return { ...this.out, requests: [...this.requests.values()], booked: this.booked, held: this.held };
  }

  /** Expires active holds past their time, except those a confirm in `spared` will decide. */
  expireDueHolds(spared: ReadonlySet<string>): void {
    for (const hold of this.input.holds.values()) {
      if (spared.has(hold.id)) continue;
      if (this.currentHold(hold).status === 'active' && hold.expiresAt <= this.input.now)
        this.expireHold(hold);
    }
  }

  decide(request: PendingRequest): void {
    if (this.input.setAside?.has(request.id)) {
      this.reject(request, REJECTION_REASONS.processingFailed);
      return;
    }
    switch (request.kind) {
      case 'book':
      case 'hold': {
        this.bookOrHold(request);
        return;
      }
      case 'cancel': {
        this.cancel(request);
        return;
      }
      case 'confirm_hold': {
        this.confirmHold(request);
        return;
      }
      case 'release_hold': {
        this.releaseHold(request);
        return;
      }
    }
  }

  /** Offers free seats to the line in order, skipping entries they cannot satisfy. */
  promote(): void {
    if (!canTakeBookings(this.input.event, this.input.now)) return;
    for (let i = 0; i < this.line.length && this.available() > 0; ) {
      const entry = this.line[i]!;
      const offerHold = this.input.event.waitlistPromotion === 'hold';
      // An offer hold counts against the buyer's hold cap: at the cap, the entry waits its turn.
      const overHoldCap = offerHold && this.limits.atHoldCap(entry.userId);
      const allotment = overHoldCap
        ? null
        : this.allot(entry.quantity, entry.minQuantity, entry.section ?? undefined);
      if (!allotment || 'reason' in allotment) {
        i++;
        continue;
      }
      this.line.splice(i, 1);
      this.waiting.set(entry.userId, (this.waiting.get(entry.userId) ?? 1) - 1);
      // A partial fit gives up the tickets it waited for but did not get.
      this.limits.adjust(entry.userId, allotment.quantity - entry.quantity, offerHold ? 1 : 0);
      const owner = { id: entry.requestId, userId: entry.userId, reference: entry.reference };
      if (offerHold) {
        const hold = this.createHold(owner, allotment);
        this.out.promoted.push({ entry, bookingId: null, holdId: hold.id });
        this.update({ requestId: entry.requestId, status: 'held', holdId: hold.id, decided: false });
        this.out.outbox.push(messages.waitlistPromoted(this.input.eventId, entry, { hold }));
      } else {
        const booking = this.createBooking(owner, allotment, null);
        this.out.promoted.push({ entry, bookingId: booking.id, holdId: null });
        this.update({
          requestId: entry.requestId,
          status: 'confirmed',
          bookingId: booking.id,
          decided: false,
        });
        this.out.outbox.push(messages.waitlistPromoted(this.input.eventId, entry, { booking }));
      }
    }
  }

  private bookOrHold(request: RequestOf<'book' | 'hold'>): void {
    const asked = request.payload;
    const blocked = bookingRefusal(this.input.event, this.input.now);
    if (blocked) {
      this.reject(request, blocked);
      return;
    }
    const needed = asked.seats ? asked.seats.length : (asked.minQuantity ?? asked.quantity);
    const allowance = this.limits.allowance(request.userId, request.kind, needed);
    if ('reason' in allowance) {
      this.reject(request, allowance.reason, allowance.details);
      return;
    }
    // Within the buyer's allowance: `minQuantity` already lets the request take fewer.
    const payload = { ...asked, quantity: Math.min(asked.quantity, allowance.tickets) };
    const allotment = payload.seats
      ? this.allotSeats(payload.seats)
      : this.allot(payload.quantity, payload.minQuantity ?? payload.quantity, payload.section);
    if (!('reason' in allotment)) {
      const owner = { id: request.id, userId: request.userId, reference: request.reference };
      this.limits.adjust(request.userId, allotment.quantity, request.kind === 'hold' ? 1 : 0);
      if (request.kind === 'hold') {
        const hold = this.createHold(owner, allotment);
        this.update({ requestId: request.id, status: 'held', holdId: hold.id, decided: true });
        this.out.outbox.push(messages.holdCreated(this.input.eventId, hold, request));
      } else {
        const booking = this.createBooking(owner, allotment, null);
        this.update({ requestId: request.id, status: 'confirmed', bookingId: booking.id, decided: true });
        this.out.outbox.push(messages.bookingConfirmed(this.input.eventId, booking, request));
      }
      return;
    }
    if (request.kind === 'book' && payload.waitlist && allotment.reason === REJECTION_REASONS.soldOut) {
      this.joinWaitlist(request, payload);
      return;
    }
    this.reject(request, allotment.reason, allotment.details);
  }

  private joinWaitlist(request: PendingRequest, payload: BookPayload): void {
    const waiting = this.waiting.get(request.userId) ?? 0;
    if (waiting >= this.input.waitlistLimit) {
      this.reject(request, REJECTION_REASONS.waitlistLimit, { limit: this.input.waitlistLimit });
      return;
    }
    const entry: WaitlistEntryState = {
      id: this.input.newId(),
      userId: request.userId,
      requestId: request.id,
      reference: request.reference,
      seq: request.seq,
      quantity: payload.quantity,
      minQuantity: payload.minQuantity ?? payload.quantity,
      section: payload.section ?? null,
    };
    this.waiting.set(request.userId, waiting + 1);
    this.limits.adjust(request.userId, entry.quantity, 0);
    // Entries beyond the loaded head of a long line are ahead of this one: promote it later.
    if (this.input.waitlistComplete) this.line.push(entry);
    this.out.joinedWaitlist.push(entry);
    this.update({ requestId: request.id, status: 'waitlisted', decided: true });
    this.out.outbox.push(messages.bookingWaitlisted(this.input.eventId, entry));
  }

  private cancel(request: RequestOf<'cancel'>): void {
    const { bookingId } = request.payload;
    const booking = this.input.bookings.get(bookingId);
    if (!booking) {
      this.reject(request, REJECTION_REASONS.bookingNotFound);
      return;
    }
    if (booking.status === 'cancelled' || this.cancelled.has(booking.id)) {
      this.reject(request, REJECTION_REASONS.alreadyCancelled);
      return;
    }
    const closed = cancellationRefusal(this.input.event, this.input.now);
    if (closed) {
      this.reject(request, closed);
      return;
    }
    this.cancelled.add(booking.id);
    this.booked -= booking.quantity;
    this.limits.adjust(booking.userId, -booking.quantity, 0);
    this.input.seats?.release(booking.seats.map((s) => s.id));
    this.out.cancelledBookings.push(booking);
    this.update({ requestId: request.id, status: 'cancelled', bookingId: booking.id, decided: true });
    this.out.outbox.push(messages.bookingCancelled(this.input.eventId, booking, request));
    this.promote();
  }

  private confirmHold(request: RequestOf<'confirm_hold'>): void {
    const { holdId } = request.payload;
    const hold = this.input.holds.get(holdId);
    if (!hold) {
      this.reject(request, REJECTION_REASONS.holdNotFound);
      return;
    }
    const current = this.currentHold(hold);
    switch (current.status) {
      case 'confirmed':
        // Confirming twice gives the same booking, and no second webhook.
        this.update({
          requestId: request.id,
          status: 'confirmed',
          bookingId: current.bookingId,
          holdId,
          decided: true,
        });
        return;
      case 'expired': {
        this.reject(request, REJECTION_REASONS.holdExpired, null, 'expired');
        return;
      }
      case 'released': {
        this.reject(request, REJECTION_REASONS.holdReleased);
        return;
      }
    }
    if (request.queuedAt >= hold.expiresAt) {
      // Accepted too late; the hold lived on only for an earlier confirm that is not this one.
      this.expireHold(hold);
      this.reject(request, REJECTION_REASONS.holdExpired, null, 'expired');
      return;
    }
    const blocked = bookingRefusal(this.input.event, this.input.now);
    if (blocked) {
      this.reject(request, blocked);
      return;
    }
    this.held -= hold.quantity;
    this.limits.adjust(hold.userId, 0, -1);
    const booking = this.createBooking(
      { id: hold.requestId, userId: hold.userId, reference: hold.reference },
      hold,
      hold.id,
    );
    this.holdStatus.set(hold.id, { status: 'confirmed', bookingId: booking.id });
    this.out.endedHolds.push({ hold, status: 'confirmed', bookingId: booking.id });
    this.update({ requestId: request.id, status: 'confirmed', bookingId: booking.id, holdId, decided: true });
    this.out.outbox.push(messages.holdConfirmed(this.input.eventId, hold, booking, request));
  }

  private releaseHold(request: RequestOf<'release_hold'>): void {
    const { holdId } = request.payload;
    const hold = this.input.holds.get(holdId);
    if (!hold) {
      this.reject(request, REJECTION_REASONS.holdNotFound);
      return;
    }
    const { status } = this.currentHold(hold);
    if (status === 'confirmed') {
      this.reject(request, REJECTION_REASONS.holdConfirmed);
      return;
    }
    if (status === 'expired') {
      this.reject(request, REJECTION_REASONS.holdExpired);
      return;
    }
    if (status === 'released') {
      this.reject(request, REJECTION_REASONS.holdReleased);
      return;
    }
    this.update({ requestId: request.id, status: 'cancelled', holdId, decided: true });
    this.endHold(hold, 'released', messages.holdReleased(this.input.eventId, hold, request));
  }

  private expireHold(hold: HoldState): void {
    this.endHold(hold, 'expired', messages.holdExpired(this.input.eventId, hold));
  }

  /** Ends an active hold that did not become a booking: its seats are free again. */
  private endHold(hold: HoldState, status: 'expired' | 'released', message: NewOutboxMessage): void {
    this.holdStatus.set(hold.id, { status, bookingId: null });
    this.held -= hold.quantity;
    this.limits.adjust(hold.userId, -hold.quantity, -1);
    this.input.seats?.release(hold.seats.map((s) => s.id));
    this.out.endedHolds.push({ hold, status, bookingId: null });
    this.out.outbox.push(message);
    this.promote();
  }

  private createBooking(
    owner: Owner,
    allotment: { quantity: number; seats: Seat[] },
    holdId: string | null,
  ): NewBooking {
    const booking: NewBooking = {
      id: this.input.newId(),
      userId: owner.userId,
      requestId: owner.id,
      reference: owner.reference,
      quantity: allotment.quantity,
      seats: allotment.seats,
      holdId,
    };
    // A hold's seats are already taken (by the hold); they change owner in place.
    if (!holdId) this.input.seats?.take(allotment.seats.map((s) => s.id));
    this.booked += allotment.quantity;
    this.out.bookings.push(booking);
    return booking;
  }

  private createHold(owner: Owner, allotment: { quantity: number; seats: Seat[] }): NewHold {
    const hold: NewHold = {
      id: this.input.newId(),
      userId: owner.userId,
      requestId: owner.id,
      reference: owner.reference,
      quantity: allotment.quantity,
      seats: allotment.seats,
      expiresAt: new Date(this.input.now.getTime() + this.input.event.holdTtlSeconds * 1000),
    };
    this.input.seats?.take(allotment.seats.map((s) => s.id));
    this.held += allotment.quantity;
    this.out.holds.push(hold);
    return hold;
  }

  /** `quantity` seats, or as few as `minQuantity` when fewer are free (in `section`). */
  private allot(quantity: number, minQuantity: number, section?: string): Allotment {
    const { seats } = this.input;
    const free = seats ? seats.freeCount(section) : this.available();
    const n = Math.min(quantity, free);
    if (n < 1 || n < minQuantity) return { reason: REJECTION_REASONS.soldOut };
    return { quantity: n, seats: seats ? seats.bestAvailable(n, section)! : [] };
  }

  /** Exactly these seats, or none (the API has checked they belong to the event). */
  private allotSeats(ids: readonly string[]): Allotment {
    const { seats } = this.input;
    if (!seats) return { reason: REJECTION_REASONS.soldOut };
    const taken = ids.filter((id) => !seats.isFree(id));
    if (taken.length > 0) return { reason: REJECTION_REASONS.seatTaken, details: { seats: taken } };
    return { quantity: ids.length, seats: ids.map((id) => seats.seat(id)!) };
  }

  private available(): number {
    const { capacity } = this.input.event;
    return this.input.seats ? this.input.seats.freeCount() : capacity - this.booked - this.held;
  }

  private currentHold(hold: HoldState): { status: HoldStatus; bookingId: string | null } {
    return this.holdStatus.get(hold.id) ?? { status: hold.status, bookingId: hold.bookingId };
  }

  private reject(
    request: PendingRequest,
    reason: RejectionReason,
    details: Record<string, unknown> | null = null,
    status: 'rejected' | 'expired' = 'rejected',
  ): void {
    this.update({ requestId: request.id, status, reason, details, decided: true });
    this.out.outbox.push(
      messages.bookingRejected(
        this.input.eventId,
        request,
        status,
        reason,
        details,
        this.purchaseOf(request),
      ),
    );
  }

  /**
   * The purchase a request acts on (its first request, with the partner's reference), so its news
   * is ordered with it and names it; a request whose booking or hold is unknown stands for itself.
   */
  private purchaseOf(request: PendingRequest): { requestId: string; reference: PurchaseReference } {
    const acted =
      request.kind === 'confirm_hold' || request.kind === 'release_hold'
        ? this.input.holds.get(request.payload.holdId)
        : request.kind === 'cancel'
          ? this.input.bookings.get(request.payload.bookingId)
          : undefined;
    return acted ?? { requestId: request.id, reference: request.reference };
  }

  /** A request promoted in the step that waitlisted it gets one update: the latest, still "decided". */
  private update(update: Partial<RequestUpdate> & Pick<RequestUpdate, 'requestId' | 'status' | 'decided'>) {
    const earlier = this.requests.get(update.requestId);
    this.requests.set(update.requestId, {
      reason: null,
      details: null,
      bookingId: null,
      holdId: null,
      ...update,
      decided: update.decided || (earlier?.decided ?? false),
    });
  }
}
