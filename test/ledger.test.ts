import { type BookPayload, decodePayload, NO_REFERENCE } from '../shared/domain.js';
import {
  type BookingState,
  type Changes,
  type EventState,
  type HoldState,
  type LedgerInput,
  type PendingRequest,
  runLedger,
  type Seat,
  SeatInventory,
  type WaitlistEntryState,
} from '../worker/allocation/index.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = new Date('2030-06-01T00:00:00Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

function event(overrides: Partial<EventState> = {}): EventState {
  return {
    status: 'on_sale',
    capacity: 5,
    booked: 0,
    held: 0,
    startsAt: LATER,
    seating: 'general',
    waitlistPromotion: 'book',
    holdTtlSeconds: 600,
    maxTicketsPerUser: null,
    ...overrides,
  };
}

/** A fresh input; ids come from a counter: id-1, id-2, ... */
function input(overrides: Partial<LedgerInput> = {}): LedgerInput {
  let n = 0;
  return {
    eventId: 'ev',
    event: event(),
    seats: null,
    bookings: new Map(),
    holds: new Map(),
    waitlist: [],
    waitlistComplete: true,
    waitingPerUser: new Map(),
    waitlistLimit: 2,
    buyers: new Map(),
    maxHoldsPerUser: 2,
    now: NOW,
    newId: () => `id-${++n}`,
    ...overrides,
  };
}

const request = (
  id: string,
  kind: PendingRequest['kind'],
  payload: PendingRequest['payload'],
  userId?: string,
): PendingRequest => ({
  id,
  userId: userId ?? `user-${id}`,
  ...decodePayload(kind, payload),
  seq: id,
  queuedAt: NOW,
  reference: NO_REFERENCE,
});
const book = (id: string, quantity: number, more: Partial<BookPayload> = {}, userId?: string) =>
  request(id, 'book', { quantity, ...more }, userId);
const hold = (id: string, quantity: number, more: Partial<BookPayload> = {}) =>
  request(id, 'hold', { quantity, ...more });
const bookSeats = (id: string, seats: string[]) => request(id, 'book', { quantity: seats.length, seats });
const cancel = (id: string, bookingId: string) => request(id, 'cancel', { bookingId });
const confirmHold = (id: string, holdId: string) => request(id, 'confirm_hold', { holdId });
const releaseHold = (id: string, holdId: string) => request(id, 'release_hold', { holdId });

const bookingState = (id: string, quantity: number, more: Partial<BookingState> = {}): BookingState => ({
  id,
  userId: `owner-${id}`,
  requestId: `req-${id}`,
  reference: NO_REFERENCE,
  status: 'confirmed',
  quantity,
  seats: [],
  ...more,
});
const holdState = (id: string, quantity: number, more: Partial<HoldState> = {}): HoldState => ({
  id,
  userId: `holder-${id}`,
  requestId: `req-${id}`,
  reference: NO_REFERENCE,
  status: 'active',
  quantity,
  seats: [],
  expiresAt: at(60),
  bookingId: null,
  ...more,
});
const entry = (id: string, quantity: number, more: Partial<WaitlistEntryState> = {}): WaitlistEntryState => ({
  id,
  userId: `waiter-${id}`,
  requestId: `wreq-${id}`,
  reference: NO_REFERENCE,
  seq: id,
  quantity,
  minQuantity: quantity,
  section: null,
  ...more,
});
const byId = <T extends { id: string }>(...items: T[]) => new Map(items.map((x) => [x.id, x]));

/** Reserved seating: section A (best) and B, one row of 10 each; all free except `taken`. */
function seatMap(taken: string[] = []): { seats: SeatInventory; seat: (id: string) => Seat } {
  const map = ['A', 'B'].flatMap((section, rank) =>
    Array.from({ length: 10 }, (_, i) => ({
      id: `${section}${i + 1}`,
      section,
      row: '1',
      number: i + 1,
      sectionRank: rank,
      rowRank: 0,
    })),
  );
  const seats = new SeatInventory(
    map,
    map.map((s) => s.id).filter((id) => !taken.includes(id)),
  );
  return { seats, seat: (id) => seats.seat(id)! };
}
const reserved = (overrides: Partial<EventState> = {}) =>
  event({ seating: 'reserved', capacity: 20, ...overrides });
const seatIds = (seats: readonly Seat[]) => seats.map((s) => s.id);

/** [requestId, status, reason] of each request update. */
const outcomes = (changes: Changes) => changes.requests.map((r) => [r.requestId, r.status, r.reason]);
const types = (changes: Changes) => changes.outbox.map((m) => m.type);

describe('runLedger: general admission', () => {
  test('confirms in arrival order until capacity, then sold_out; a later smaller request may still fit', () => {
    const changes = runLedger(input(), [book('a', 2), book('b', 2), book('c', 2), book('d', 1)]);
    expect(outcomes(changes)).toEqual([
      ['a', 'confirmed', null],
      ['b', 'confirmed', null],
      ['c', 'rejected', 'sold_out'],
      ['d', 'confirmed', null],
    ]);
    expect(changes.booked).toBe(5);
    expect(types(changes)).toEqual([
      'booking.confirmed',
      'booking.confirmed',
      'booking.rejected',
      'booking.confirmed',
    ]);
  });

  test('a request set aside is rejected processing_failed unseen, taking nothing, and the rest go on in order', () => {
    const changes = runLedger(input({ setAside: new Set(['b']) }), [
      book('a', 2),
      book('b', 2),
      book('c', 2),
    ]);
    expect(outcomes(changes)).toEqual([
      ['a', 'confirmed', null],
      ['b', 'rejected', 'processing_failed'],
      ['c', 'confirmed', null],
    ]);
    expect(changes.booked).toBe(4);
    expect(types(changes)).toEqual(['booking.confirmed', 'booking.rejected', 'booking.confirmed']);
  });

  test('the booking belongs to the principal that asked, with the quantity asked', () => {
    const changes = runLedger(input(), [book('a', 3)]);
    expect(changes.bookings.map(({ reference: _, ...b }) => b)).toEqual([
      { id: 'id-1', userId: 'user-a', requestId: 'a', quantity: 3, seats: [], holdId: null },
    ]);
    expect(changes.requests).toEqual([
      {
        requestId: 'a',
        status: 'confirmed',
        reason: null,
        details: null,
        bookingId: 'id-1',
        holdId: null,
        decided: true,
      },
    ]);
    expect(changes.outbox[0]).toMatchObject({
      type: 'booking.confirmed',
      eventId: 'ev',
      userId: 'user-a',
    });
  });

  test('held seats count against capacity', () => {
    const changes = runLedger(input({ event: event({ held: 4 }) }), [book('a', 2), book('b', 1)]);
    expect(outcomes(changes)).toEqual([
      ['a', 'rejected', 'sold_out'],
      ['b', 'confirmed', null],
    ]);
    expect([changes.booked, changes.held]).toEqual([1, 4]);
  });

  test('minQuantity accepts fewer seats when fewer are free, but never fewer than minQuantity', () => {
    const changes = runLedger(input({ event: event({ booked: 2 }) }), [
      book('a', 4, { minQuantity: 2 }),
      book('b', 2, { minQuantity: 1 }),
    ]);
    expect(outcomes(changes)).toEqual([
      ['a', 'confirmed', null],
      ['b', 'rejected', 'sold_out'],
    ]);
    expect(changes.bookings.map((b) => b.quantity)).toEqual([3]);

    const tooFew = runLedger(input({ event: event({ booked: 4 }) }), [book('a', 4, { minQuantity: 2 })]);
    expect(outcomes(tooFew)).toEqual([['a', 'rejected', 'sold_out']]);
  });

  test.each([
    ['cancelled', event({ status: 'cancelled' }), 'event_cancelled'],
    ['draft', event({ status: 'draft' }), 'event_not_on_sale'],
    ['completed', event({ status: 'completed' }), 'event_not_on_sale'],
    ['started', event({ startsAt: NOW }), 'event_started'],
  ])('a %s event rejects books and holds', (_, state, reason) => {
    const changes = runLedger(input({ event: state }), [book('a', 1), hold('b', 1)]);
    expect(outcomes(changes)).toEqual([
      ['a', 'rejected', reason],
      ['b', 'rejected', reason],
    ]);
    expect([changes.booked, changes.held, changes.bookings.length, changes.holds.length]).toEqual([
      0, 0, 0, 0,
    ]);
    expect(types(changes)).toEqual(['booking.rejected', 'booking.rejected']);
  });

  test('the same input gives the same changes (deterministic)', () => {
    const requests = [book('a', 2), hold('b', 4), book('c', 3, { waitlist: true }), book('d', 1)];
    expect(runLedger(input(), requests)).toEqual(runLedger(input(), requests));
  });
});

describe('runLedger: cancel', () => {
  test('a cancellation frees its seats for requests behind it; a second cancel in the same batch is already_cancelled', () => {
    const b1 = bookingState('b1', 5);
    const changes = runLedger(input({ event: event({ booked: 5 }), bookings: byId(b1) }), [
      book('x', 1),
      cancel('c1', 'b1'),
      cancel('c2', 'b1'),
      book('y', 5),
    ]);
    expect(outcomes(changes)).toEqual([
      ['x', 'rejected', 'sold_out'],
      ['c1', 'cancelled', null],
      ['c2', 'rejected', 'already_cancelled'],
      ['y', 'confirmed', null],
    ]);
    expect(changes.cancelledBookings).toEqual([b1]);
    expect(changes.requests[1]).toMatchObject({ bookingId: 'b1', decided: true });
    expect(changes.booked).toBe(5);
    // A booking's news goes to its owner; a rejection to whoever asked.
    expect(changes.outbox.map((m) => [m.type, m.userId])).toEqual([
      ['booking.rejected', 'user-x'],
      ['booking.cancelled', 'owner-b1'],
      ['booking.rejected', 'user-c2'],
      ['booking.confirmed', 'user-y'],
    ]);
  });

  test('cancelling an unknown or already cancelled booking changes nothing', () => {
    const changes = runLedger(
      input({ event: event({ booked: 1 }), bookings: byId(bookingState('b1', 2, { status: 'cancelled' })) }),
      [cancel('c1', 'nope'), cancel('c2', 'b1')],
    );
    expect(outcomes(changes)).toEqual([
      ['c1', 'rejected', 'booking_not_found'],
      ['c2', 'rejected', 'already_cancelled'],
    ]);
    expect(changes.cancelledBookings).toEqual([]);
    expect(changes.booked).toBe(1);
  });

  test('cancelling a reserved booking frees its seats', () => {
    const { seats, seat } = seatMap(['A5', 'A6']);
    const b1 = bookingState('b1', 2, { seats: [seat('A5'), seat('A6')] });
    const changes = runLedger(input({ event: reserved({ booked: 2 }), seats, bookings: byId(b1) }), [
      bookSeats('x', ['A5']),
      cancel('c1', 'b1'),
      bookSeats('y', ['A5', 'A6']),
    ]);
    expect(outcomes(changes)).toEqual([
      ['x', 'rejected', 'seat_taken'],
      ['c1', 'cancelled', null],
      ['y', 'confirmed', null],
    ]);
    expect(seatIds(changes.bookings[0]!.seats)).toEqual(['A5', 'A6']);
    expect(changes.booked).toBe(2);
  });
});

describe('runLedger: reserved seating', () => {
  test('asked-for seats are all or nothing: seat_taken names exactly the taken ones', () => {
    const { seats } = seatMap(['A3', 'A4']);
    const changes = runLedger(input({ event: reserved({ booked: 2 }), seats }), [
      bookSeats('a', ['A2', 'A3', 'A4']),
      bookSeats('b', ['A2']),
    ]);
    expect(changes.requests[0]).toMatchObject({
      status: 'rejected',
      reason: 'seat_taken',
      details: { seats: ['A3', 'A4'] },
    });
    expect(changes.outbox[0]).toMatchObject({
      type: 'booking.rejected',
      data: { bookingRequest: { reason: 'seat_taken', details: { seats: ['A3', 'A4'] } } },
    });
    // A2 was not taken by the rejected request.
    expect(outcomes(changes)[1]).toEqual(['b', 'confirmed', null]);
    expect(changes.bookings.map((b) => seatIds(b.seats))).toEqual([['A2']]);
    expect(changes.booked).toBe(3);
  });

  test('two requests for overlapping seats in one batch: the first wins, the second is rejected', () => {
    const { seats } = seatMap();
    const changes = runLedger(input({ event: reserved(), seats }), [
      bookSeats('a', ['A1', 'A2']),
      bookSeats('b', ['A2', 'A3']),
    ]);
    expect(outcomes(changes)).toEqual([
      ['a', 'confirmed', null],
      ['b', 'rejected', 'seat_taken'],
    ]);
    expect(changes.requests[1]!.details).toEqual({ seats: ['A2'] });
    expect(changes.bookings.map((b) => [b.requestId, seatIds(b.seats)])).toEqual([['a', ['A1', 'A2']]]);
    expect(seats.isFree('A3')).toBe(true);
  });

  test('a quantity (in a section) gets adjacent best-available seats, which are then taken', () => {
    const { seats } = seatMap();
    const changes = runLedger(input({ event: reserved(), seats }), [
      book('a', 2),
      book('b', 3, { section: 'B' }),
      hold('c', 2),
      book('d', 1, { section: 'Z' }),
    ]);
    expect(outcomes(changes)).toEqual([
      ['a', 'confirmed', null],
      ['b', 'confirmed', null],
      ['c', 'held', null],
      ['d', 'rejected', 'sold_out'],
    ]);
    expect(changes.bookings.map((b) => seatIds(b.seats))).toEqual([
      ['A5', 'A6'],
      ['B4', 'B5', 'B6'],
    ]);
    expect(seatIds(changes.holds[0]!.seats)).toEqual(['A3', 'A4']);
    expect(['A3', 'A4', 'A5', 'A6', 'B4', 'B5', 'B6'].some((id) => seats.isFree(id))).toBe(false);
    expect(changes.outbox[0]).toMatchObject({
      data: { booking: { seats: [{ id: 'A5', section: 'A', row: '1', number: 5 }, { id: 'A6' }] } },
    });
  });
});

describe('runLedger: holds', () => {
  test('a hold request is held for holdTtlSeconds and counted as held', () => {
    const changes = runLedger(input({ event: event({ held: 1, holdTtlSeconds: 90 }) }), [hold('h', 2)]);
    expect(changes.holds.map(({ reference: _, ...h }) => h)).toEqual([
      { id: 'id-1', userId: 'user-h', requestId: 'h', quantity: 2, seats: [], expiresAt: at(90) },
    ]);
    expect(changes.requests).toEqual([
      {
        requestId: 'h',
        status: 'held',
        reason: null,
        details: null,
        bookingId: null,
        holdId: 'id-1',
        decided: true,
      },
    ]);
    expect([changes.booked, changes.held]).toEqual([0, 3]);
    expect(types(changes)).toEqual(['hold.created']);
    expect(changes.outbox[0]!.data).toMatchObject({ hold: { id: 'id-1', expiresAt: at(90).toISOString() } });
  });

  test("confirming an active hold books the hold's seats for the hold's purchase", () => {
    const { seats, seat } = seatMap(['A5', 'A6']);
    const h1 = holdState('h1', 2, { seats: [seat('A5'), seat('A6')] });
    const changes = runLedger(input({ event: reserved({ held: 2, booked: 1 }), seats, holds: byId(h1) }), [
      confirmHold('c', 'h1'),
    ]);
    expect(changes.bookings.map(({ reference: _, ...b }) => b)).toEqual([
      { id: 'id-1', userId: 'holder-h1', requestId: 'req-h1', quantity: 2, seats: h1.seats, holdId: 'h1' },
    ]);
    expect(changes.endedHolds).toEqual([{ hold: h1, status: 'confirmed', bookingId: 'id-1' }]);
    expect(changes.requests).toEqual([
      {
        requestId: 'c',
        status: 'confirmed',
        reason: null,
        details: null,
        bookingId: 'id-1',
        holdId: 'h1',
        decided: true,
      },
    ]);
    expect([changes.booked, changes.held]).toEqual([3, 0]);
    expect(types(changes)).toEqual(['hold.confirmed']);
    expect(seats.isFree('A5') || seats.isFree('A6')).toBe(false);
  });

  test.each([
    ['at', 0],
    ['past', -1],
  ])(
    'confirming a hold %s its expiry expires it: status expired, reason hold_expired, seats freed',
    (_, s) => {
      const { seats, seat } = seatMap(['A5', 'A6']);
      const h1 = holdState('h1', 2, { seats: [seat('A5'), seat('A6')], expiresAt: at(s) });
      const changes = runLedger(input({ event: reserved({ held: 2 }), seats, holds: byId(h1) }), [
        confirmHold('c', 'h1'),
      ]);
      expect(outcomes(changes)).toEqual([['c', 'expired', 'hold_expired']]);
      expect(changes.endedHolds).toEqual([{ hold: h1, status: 'expired', bookingId: null }]);
      expect(changes.bookings.map(({ reference: _, ...b }) => b)).toEqual([]);
      expect([changes.booked, changes.held]).toEqual([0, 0]);
      expect(seats.isFree('A5') && seats.isFree('A6')).toBe(true);
      expect(types(changes)).toEqual(['hold.expired', 'booking.rejected']);
      expect(changes.outbox[1]!.data).toMatchObject({
        bookingRequest: { status: 'expired', reason: 'hold_expired' },
      });
    },
  );

  test('a confirm accepted before expiresAt but decided after it still books: the hold is not expired first', () => {
    const { seats, seat } = seatMap(['A5', 'A6']);
    const h1 = holdState('h1', 2, { seats: [seat('A5'), seat('A6')], expiresAt: at(-5) });
    const inTime = { ...confirmHold('c', 'h1'), queuedAt: at(-10) };
    const late = { ...confirmHold('d', 'h1'), queuedAt: at(-1) };
    const changes = runLedger(input({ event: reserved({ held: 2 }), seats, holds: byId(h1) }), [
      inTime,
      late,
    ]);
    expect(outcomes(changes)).toEqual([
      ['c', 'confirmed', null],
      ['d', 'confirmed', null],
    ]);
    expect(changes.endedHolds).toEqual([
      { hold: h1, status: 'confirmed', bookingId: changes.bookings[0]!.id },
    ]);
    expect([changes.booked, changes.held]).toEqual([2, 0]);
  });

  test('a confirm accepted after expiresAt is expired, even when the hold was kept for another confirm', () => {
    const h1 = holdState('h1', 2, { expiresAt: at(-5) });
    const late = { ...confirmHold('d', 'h1'), queuedAt: at(-1) };
    const changes = runLedger(input({ event: event({ held: 2 }), holds: byId(h1) }), [late]);
    expect(outcomes(changes)).toEqual([['d', 'expired', 'hold_expired']]);
    expect(changes.endedHolds).toEqual([{ hold: h1, status: 'expired', bookingId: null }]);
    expect(changes.held).toBe(0);
  });

  test('confirming an already confirmed hold gives its booking again, with no new booking and no message', () => {
    const h1 = holdState('h1', 2, { status: 'confirmed', bookingId: 'bk-1' });
    const changes = runLedger(input({ event: event({ booked: 2 }), holds: byId(h1) }), [
      confirmHold('c', 'h1'),
    ]);
    expect(changes.requests).toEqual([
      {
        requestId: 'c',
        status: 'confirmed',
        reason: null,
        details: null,
        bookingId: 'bk-1',
        holdId: 'h1',
        decided: true,
      },
    ]);
    expect([changes.bookings, changes.endedHolds, changes.outbox]).toEqual([[], [], []]);
    expect([changes.booked, changes.held]).toEqual([2, 0]);
  });

  test('confirming a hold twice in one batch makes one booking and one message', () => {
    const h1 = holdState('h1', 2);
    const changes = runLedger(input({ event: event({ held: 2 }), holds: byId(h1) }), [
      confirmHold('c1', 'h1'),
      confirmHold('c2', 'h1'),
    ]);
    expect(changes.requests.map((r) => [r.requestId, r.status, r.bookingId])).toEqual([
      ['c1', 'confirmed', 'id-1'],
      ['c2', 'confirmed', 'id-1'],
    ]);
    expect(changes.bookings).toHaveLength(1);
    expect(types(changes)).toEqual(['hold.confirmed']);
    expect([changes.booked, changes.held]).toEqual([2, 0]);
  });

  test('releasing an active hold cancels it and frees its seats', () => {
    const { seats, seat } = seatMap(['A5', 'A6']);
    const h1 = holdState('h1', 2, { seats: [seat('A5'), seat('A6')] });
    const changes = runLedger(input({ event: reserved({ held: 2 }), seats, holds: byId(h1) }), [
      releaseHold('r', 'h1'),
      bookSeats('x', ['A5', 'A6']),
    ]);
    expect(changes.requests[0]).toEqual({
      requestId: 'r',
      status: 'cancelled',
      reason: null,
      details: null,
      bookingId: null,
      holdId: 'h1',
      decided: true,
    });
    expect(changes.endedHolds).toEqual([{ hold: h1, status: 'released', bookingId: null }]);
    expect(outcomes(changes)[1]).toEqual(['x', 'confirmed', null]);
    expect([changes.booked, changes.held]).toEqual([2, 0]);
    expect(types(changes)).toEqual(['hold.released', 'booking.confirmed']);
    expect(changes.outbox[0]).toMatchObject({
      userId: 'holder-h1',
      data: { bookingRequest: { id: 'r', status: 'cancelled' }, hold: { id: 'h1', status: 'released' } },
    });
  });

  test.each([
    ['releasing', 'a confirmed', 'hold_confirmed', { status: 'confirmed', bookingId: 'bk-1' }],
    ['releasing', 'a released', 'hold_released', { status: 'released' }],
    ['releasing', 'an expired', 'hold_expired', { status: 'expired' }],
    ['confirming', 'a released', 'hold_released', { status: 'released' }],
  ] as const)('%s %s hold is rejected %s', (action, _, reason, state) => {
    const h1 = holdState('h1', 2, state);
    const make = action === 'releasing' ? releaseHold : confirmHold;
    const changes = runLedger(input({ holds: byId(h1) }), [make('r', 'h1')]);
    expect(outcomes(changes)).toEqual([['r', 'rejected', reason]]);
    expect([changes.endedHolds, changes.bookings]).toEqual([[], []]);
    expect(types(changes)).toEqual(['booking.rejected']);
  });

  test('confirming or releasing an unknown hold is hold_not_found', () => {
    const changes = runLedger(input(), [confirmHold('c', 'nope'), releaseHold('r', 'nope')]);
    expect(outcomes(changes)).toEqual([
      ['c', 'rejected', 'hold_not_found'],
      ['r', 'rejected', 'hold_not_found'],
    ]);
  });

  test('due holds are expired at the start of the step, even with no requests', () => {
    const { seats, seat } = seatMap(['A1', 'A2', 'A3']);
    const due = holdState('h1', 2, { seats: [seat('A1'), seat('A2')], expiresAt: at(0) });
    const notDue = holdState('h2', 1, { seats: [seat('A3')], expiresAt: at(1) });
    const changes = runLedger(input({ event: reserved({ held: 3 }), seats, holds: byId(due, notDue) }), []);
    expect(changes.endedHolds).toEqual([{ hold: due, status: 'expired', bookingId: null }]);
    expect(changes.held).toBe(1);
    expect(changes.requests).toEqual([]);
    expect([seats.isFree('A1'), seats.isFree('A2'), seats.isFree('A3')]).toEqual([true, true, false]);
    expect(changes.outbox).toEqual([
      expect.objectContaining({ type: 'hold.expired', userId: 'holder-h1', orderingKey: 'req-h1' }),
    ]);
    expect(changes.outbox[0]!.data).toMatchObject({ bookingRequest: null, hold: { status: 'expired' } });
  });
});

describe('runLedger: waitlist', () => {
  const full = (overrides: Partial<EventState> = {}) => event({ capacity: 2, booked: 2, ...overrides });

  test('a book with waitlist on a full event joins the line; without it (or as a hold) it is sold_out', () => {
    const changes = runLedger(input({ event: full() }), [
      book('a', 2, { waitlist: true, minQuantity: 1, section: 'floor' }),
      book('b', 1),
      hold('c', 1, { waitlist: true }),
    ]);
    expect(outcomes(changes)).toEqual([
      ['a', 'waitlisted', null],
      ['b', 'rejected', 'sold_out'],
      ['c', 'rejected', 'sold_out'],
    ]);
    expect(changes.joinedWaitlist).toEqual([
      {
        id: 'id-1',
        userId: 'user-a',
        requestId: 'a',
        reference: NO_REFERENCE,
        seq: 'a',
        quantity: 2,
        minQuantity: 1,
        section: 'floor',
      },
    ]);
    expect(changes.requests[0]).toMatchObject({ bookingId: null, holdId: null, decided: true });
    expect(types(changes)).toEqual(['booking.waitlisted', 'booking.rejected', 'booking.rejected']);
  });

  test('a user at the waitlist limit is rejected waitlist_limit_reached', () => {
    const changes = runLedger(input({ event: full(), waitingPerUser: new Map([['u', 1]]) }), [
      book('a', 1, { waitlist: true }, 'u'),
      book('b', 1, { waitlist: true }, 'u'),
      book('c', 1, { waitlist: true }, 'v'),
    ]);
    expect(outcomes(changes)).toEqual([
      ['a', 'waitlisted', null],
      ['b', 'rejected', 'waitlist_limit_reached'],
      ['c', 'waitlisted', null],
    ]);
    expect(changes.requests[1]!.details).toEqual({ limit: 2 });
  });

  test('freed seats go to the line strictly in order; each promotion books, updates its request and sends a message', () => {
    const changes = runLedger(
      input({
        event: event({ capacity: 6, booked: 6 }),
        bookings: byId(bookingState('b1', 2), bookingState('b2', 3)),
        waitlist: [entry('e1', 2), entry('e2', 1), entry('e3', 2)],
      }),
      [cancel('c1', 'b1'), cancel('c2', 'b2')],
    );
    expect(changes.promoted.map((p) => [p.entry.id, p.bookingId, p.holdId])).toEqual([
      ['e1', 'id-1', null],
      ['e2', 'id-2', null],
      ['e3', 'id-3', null],
    ]);
    expect(changes.bookings.map((b) => [b.id, b.userId, b.requestId, b.quantity])).toEqual([
      ['id-1', 'waiter-e1', 'wreq-e1', 2],
      ['id-2', 'waiter-e2', 'wreq-e2', 1],
      ['id-3', 'waiter-e3', 'wreq-e3', 2],
    ]);
    expect(changes.requests.map((r) => [r.requestId, r.status, r.bookingId, r.decided])).toEqual([
      ['c1', 'cancelled', 'b1', true],
      ['wreq-e1', 'confirmed', 'id-1', false],
      ['c2', 'cancelled', 'b2', true],
      ['wreq-e2', 'confirmed', 'id-2', false],
      ['wreq-e3', 'confirmed', 'id-3', false],
    ]);
    expect(types(changes)).toEqual([
      'booking.cancelled',
      'waitlist.promoted',
      'booking.cancelled',
      'waitlist.promoted',
      'waitlist.promoted',
    ]);
    expect(changes.outbox[1]).toMatchObject({
      userId: 'waiter-e1',
      orderingKey: 'wreq-e1',
      data: { waitlistEntry: { id: 'e1', status: 'promoted' }, booking: { id: 'id-1' }, hold: null },
    });
    expect(changes.booked).toBe(6);
  });

  test('with waitlistPromotion "hold", a promotion creates a hold instead of a booking', () => {
    const changes = runLedger(
      input({
        event: full({ waitlistPromotion: 'hold', holdTtlSeconds: 30 }),
        bookings: byId(bookingState('b1', 2)),
        waitlist: [entry('e1', 2)],
      }),
      [cancel('c1', 'b1')],
    );
    expect(changes.bookings.map(({ reference: _, ...b }) => b)).toEqual([]);
    expect(changes.holds.map(({ reference: _, ...h }) => h)).toEqual([
      { id: 'id-1', userId: 'waiter-e1', requestId: 'wreq-e1', quantity: 2, seats: [], expiresAt: at(30) },
    ]);
    expect(changes.promoted).toEqual([{ entry: entry('e1', 2), bookingId: null, holdId: 'id-1' }]);
    expect(changes.requests[1]).toMatchObject({
      requestId: 'wreq-e1',
      status: 'held',
      holdId: 'id-1',
      decided: false,
    });
    expect(changes.outbox[1]).toMatchObject({
      type: 'waitlist.promoted',
      data: { bookingRequest: { status: 'held' }, booking: null, hold: { id: 'id-1' } },
    });
    expect([changes.booked, changes.held]).toEqual([0, 2]);
  });

  test('an offer hold respects the hold cap: a buyer at the cap keeps waiting, the next entry gets the seats', () => {
    const changes = runLedger(
      input({
        event: full({ waitlistPromotion: 'hold' }),
        bookings: byId(bookingState('b1', 2)),
        waitlist: [entry('e1', 2), entry('e2', 2)],
        buyers: new Map([
          ['waiter-e1', { limited: true, tickets: 4, holds: 2 }],
          ['waiter-e2', { limited: true, tickets: 2, holds: 1 }],
        ]),
        maxHoldsPerUser: 2,
      }),
      [cancel('c1', 'b1')],
    );
    expect(changes.promoted.map((p) => p.entry.id)).toEqual(['e2']);
    expect(changes.holds.map((h) => h.userId)).toEqual(['waiter-e2']);
  });

  test('an entry that does not fit is skipped and a later, smaller one is promoted', () => {
    const changes = runLedger(
      input({
        event: full(),
        bookings: byId(bookingState('b1', 2)),
        waitlist: [entry('e1', 3), entry('e2', 2), entry('e3', 1)],
      }),
      [cancel('c1', 'b1')],
    );
    expect(changes.promoted.map((p) => p.entry.id)).toEqual(['e2']);
    expect(changes.booked).toBe(2);
  });

  test('minQuantity lets an entry be promoted with fewer seats than it wants', () => {
    const changes = runLedger(
      input({
        event: event({ capacity: 5, booked: 5 }),
        bookings: byId(bookingState('b1', 3)),
        waitlist: [entry('e1', 4, { minQuantity: 4 }), entry('e2', 4, { minQuantity: 2 })],
      }),
      [cancel('c1', 'b1')],
    );
    expect(changes.promoted.map((p) => p.entry.id)).toEqual(['e2']);
    expect(changes.bookings.map((b) => b.quantity)).toEqual([3]);
    expect(changes.booked).toBe(5);
  });

  test('in a reserved event, an entry gets seats only in its section', () => {
    const all = (section: string) => Array.from({ length: 10 }, (_, i) => `${section}${i + 1}`);
    const { seats, seat } = seatMap([...all('A'), ...all('B').filter((id) => id !== 'B5')]);
    const changes = runLedger(
      input({
        event: reserved({ booked: 19 }),
        seats,
        bookings: byId(bookingState('b1', 2, { seats: [seat('A1'), seat('A2')] })),
        waitlist: [entry('e1', 1, { section: 'A' }), entry('e2', 1, { section: 'B' })],
      }),
      [cancel('c1', 'b1')],
    );
    // At the start only B5 is free: e1 waits for section A, e2 gets B5; the cancellation frees A1-A2 for e1.
    expect(changes.promoted.map((p) => p.entry.id)).toEqual(['e2', 'e1']);
    expect(changes.bookings.map((b) => [b.requestId, seatIds(b.seats)])).toEqual([
      ['wreq-e2', ['B5']],
      ['wreq-e1', ['A2']],
    ]);
  });

  test('a request waitlisted and promoted in the same step gets one update: confirmed, decided', () => {
    const changes = runLedger(input({ event: full(), bookings: byId(bookingState('b1', 2)) }), [
      book('a', 2, { waitlist: true }),
      cancel('c1', 'b1'),
    ]);
    expect(changes.requests).toEqual([
      {
        requestId: 'a',
        status: 'confirmed',
        reason: null,
        details: null,
        bookingId: 'id-2',
        holdId: null,
        decided: true,
      },
      {
        requestId: 'c1',
        status: 'cancelled',
        reason: null,
        details: null,
        bookingId: 'b1',
        holdId: null,
        decided: true,
      },
    ]);
    expect(changes.joinedWaitlist.map((e) => e.id)).toEqual(['id-1']);
    expect(changes.promoted.map((p) => p.entry.id)).toEqual(['id-1']);
    expect(types(changes)).toEqual(['booking.waitlisted', 'booking.cancelled', 'waitlist.promoted']);
  });

  test('a promotion frees a place under the per-user waitlist limit', () => {
    const changes = runLedger(
      input({
        event: full(),
        bookings: byId(bookingState('b1', 2)),
        waitlist: [entry('e1', 2, { userId: 'u' })],
        waitingPerUser: new Map([['u', 2]]),
      }),
      [book('a', 1, { waitlist: true }, 'u'), cancel('c1', 'b1'), book('b', 1, { waitlist: true }, 'u')],
    );
    expect(outcomes(changes)).toEqual([
      ['a', 'rejected', 'waitlist_limit_reached'],
      ['c1', 'cancelled', null],
      ['wreq-e1', 'confirmed', null],
      ['b', 'waitlisted', null],
    ]);
  });

  test('when the loaded line is incomplete, a new entry is not promoted in its step', () => {
    const changes = runLedger(
      input({ event: full(), bookings: byId(bookingState('b1', 2)), waitlistComplete: false }),
      [book('a', 2, { waitlist: true }), cancel('c1', 'b1')],
    );
    expect(outcomes(changes)).toEqual([
      ['a', 'waitlisted', null],
      ['c1', 'cancelled', null],
    ]);
    expect(changes.joinedWaitlist).toHaveLength(1);
    expect([changes.promoted, changes.bookings]).toEqual([[], []]);
    expect(changes.booked).toBe(0);
  });

  test.each([
    ['draft', { status: 'draft' }],
    ['cancelled', { status: 'cancelled' }],
  ] as const)('nothing is promoted while the event is %s', (_, state) => {
    const changes = runLedger(
      input({
        event: full({ held: 1, capacity: 3, ...state }),
        bookings: byId(bookingState('b1', 2)),
        holds: byId(holdState('h1', 1, { expiresAt: at(-1) })),
        waitlist: [entry('e1', 1)],
      }),
      [cancel('c1', 'b1')],
    );
    expect(changes.endedHolds.map((e) => e.status)).toEqual(['expired']);
    expect(changes.cancelledBookings).toHaveLength(1);
    expect([changes.promoted, changes.bookings]).toEqual([[], []]);
    expect([changes.booked, changes.held]).toEqual([0, 0]);
  });

  test('once the event has started nothing is promoted, and its bookings can no longer be cancelled', () => {
    const changes = runLedger(
      input({
        event: full({ held: 1, capacity: 3, startsAt: NOW }),
        bookings: byId(bookingState('b1', 2)),
        holds: byId(holdState('h1', 1, { expiresAt: at(-1) })),
        waitlist: [entry('e1', 1)],
      }),
      [cancel('c1', 'b1')],
    );
    expect(changes.endedHolds.map((e) => e.status)).toEqual(['expired']);
    expect(outcomes(changes)).toEqual([['c1', 'rejected', 'event_started']]);
    expect(changes.cancelledBookings).toEqual([]);
    expect([changes.promoted, changes.bookings]).toEqual([[], []]);
    expect([changes.booked, changes.held]).toEqual([2, 0]);
  });

  test('a purchase’s reference is carried to its booking, hold, waitlist entry and every message about it', () => {
    const ref = (externalReference: string) => ({
      externalReference,
      metadata: { order: externalReference },
    });
    const changes = runLedger(
      input({
        event: full({ capacity: 4, booked: 1, held: 2 }),
        bookings: byId(bookingState('b1', 1, { reference: ref('B1') })),
        holds: byId(
          holdState('h1', 1, { reference: ref('H1') }),
          holdState('h2', 1, { reference: ref('H2'), expiresAt: at(-1) }),
        ),
        waitlist: [entry('e1', 1, { reference: ref('E1') })],
      }),
      [
        { ...book('a', 1), reference: ref('A') },
        { ...book('w', 1, { waitlist: true }), reference: ref('W') },
        confirmHold('c', 'h1'),
        cancel('x', 'b1'),
        cancel('y', 'b1'),
      ],
    );
    const newRefs = (rows: readonly { reference: { externalReference: string | null } }[]) =>
      rows.map((r) => r.reference.externalReference);
    expect(newRefs(changes.bookings)).toEqual(['E1', 'A', 'H1', 'W']);
    expect(newRefs(changes.joinedWaitlist)).toEqual(['W']);
    expect(
      changes.outbox.map((m) => [
        m.type,
        m.data.externalReference,
        (m.data.metadata as { order: string }).order,
      ]),
    ).toEqual([
      ['hold.expired', 'H2', 'H2'],
      ['waitlist.promoted', 'E1', 'E1'],
      ['booking.confirmed', 'A', 'A'],
      ['booking.waitlisted', 'W', 'W'],
      ['hold.confirmed', 'H1', 'H1'],
      ['booking.cancelled', 'B1', 'B1'],
      ['waitlist.promoted', 'W', 'W'],
      // A rejected cancel names the purchase it acted on.
      ['booking.rejected', 'B1', 'B1'],
    ]);
  });

  test('seats of a hold expiring at the start of the step go to the head of the line', () => {
    const changes = runLedger(
      input({
        event: full({ capacity: 3, held: 1 }),
        holds: byId(holdState('h1', 1, { expiresAt: at(-1) })),
        waitlist: [entry('e1', 1)],
      }),
      [book('a', 1)],
    );
    expect(changes.promoted.map((p) => p.entry.id)).toEqual(['e1']);
    expect(outcomes(changes)).toEqual([
      ['wreq-e1', 'confirmed', null],
      ['a', 'rejected', 'sold_out'],
    ]);
    expect(types(changes)).toEqual(['hold.expired', 'waitlist.promoted', 'booking.rejected']);
    expect([changes.booked, changes.held]).toEqual([3, 0]);
  });
});

describe('runLedger: counters and outbox', () => {
  test('booked and held move by exactly the changes of the step, with one message per outcome', () => {
    const changes = runLedger(
      input({
        event: event({ capacity: 10, booked: 4, held: 3 }),
        bookings: byId(bookingState('b1', 2)),
        holds: byId(holdState('h1', 1), holdState('h2', 2)),
      }),
      [
        book('a', 1), // booked +1
        hold('h', 2), // held +2
        cancel('c', 'b1'), // booked -2
        confirmHold('ch', 'h1'), // held -1, booked +1
        releaseHold('rh', 'h2'), // held -2
        book('z', 100), // sold out: 4 free
        book('y', 4), // fits exactly
      ],
    );
    expect(outcomes(changes)).toEqual([
      ['a', 'confirmed', null],
      ['h', 'held', null],
      ['c', 'cancelled', null],
      ['ch', 'confirmed', null],
      ['rh', 'cancelled', null],
      ['z', 'rejected', 'sold_out'],
      ['y', 'confirmed', null],
    ]);
    expect(changes.booked).toBe(4 + 1 - 2 + 1 + 4);
    expect(changes.held).toBe(3 + 2 - 1 - 2);
    expect(types(changes)).toEqual([
      'booking.confirmed',
      'hold.created',
      'booking.cancelled',
      'hold.confirmed',
      'hold.released',
      'booking.rejected',
      'booking.confirmed',
    ]);
    expect(changes.outbox.every((m) => m.eventId === 'ev')).toBe(true);
  });
});

describe('runLedger: limits per buyer', () => {
  const buyer = (tickets = 0, holds = 0, limited = true) => ({ limited, tickets, holds });
  const capped = (max: number, buyers: Record<string, ReturnType<typeof buyer>>, more = {}) =>
    input({
      event: event({ capacity: 100, maxTicketsPerUser: max }),
      buyers: new Map(Object.entries(buyers)),
      ...more,
    });

  test('a buyer is stopped at maxTicketsPerUser within one step, counting what the step gave; others are not', () => {
    const changes = runLedger(capped(4, { ann: buyer(1), bob: buyer() }), [
      book('a1', 2, {}, 'ann'), // 1 + 2 = 3
      book('a2', 2, {}, 'ann'), // 3 + 2 > 4
      book('b1', 4, {}, 'bob'), // bob has his own 4
      book('a3', 1, {}, 'ann'), // 3 + 1 = 4
    ]);
    expect(outcomes(changes)).toEqual([
      ['a1', 'confirmed', null],
      ['a2', 'rejected', 'ticket_limit_reached'],
      ['b1', 'confirmed', null],
      ['a3', 'confirmed', null],
    ]);
    expect(changes.requests.find((r) => r.requestId === 'a2')!.details).toEqual({ limit: 4, counted: 3 });
    expect(changes.booked).toBe(2 + 4 + 1);
  });

  test('minQuantity lets a request take what is left of the allowance; seats must all fit', () => {
    const changes = runLedger(capped(4, { ann: buyer(2), bob: buyer(3) }), [
      book('a1', 4, { minQuantity: 1 }, 'ann'), // 2 left: gets 2
      book('b1', 2, { minQuantity: 2 }, 'bob'), // 1 left < 2
    ]);
    expect(outcomes(changes)).toEqual([
      ['a1', 'confirmed', null],
      ['b1', 'rejected', 'ticket_limit_reached'],
    ]);
    expect(changes.bookings.map((b) => b.quantity)).toEqual([2]);
  });

  test('held and waitlisted tickets count; a cancel or a release in the same step gives them back', () => {
    const changes = runLedger(
      capped(
        3,
        { ann: buyer(3, 1) },
        {
          bookings: byId(bookingState('b1', 2, { userId: 'ann' })),
          holds: byId(holdState('h1', 1, { userId: 'ann' })),
        },
      ),
      [
        book('a1', 1, {}, 'ann'), // 3 counted: over
        request('c1', 'cancel', { bookingId: 'b1' }, 'ann'), // 1 counted
        book('a2', 2, { waitlist: true }, 'ann'), // 3 counted
        request('r1', 'release_hold', { holdId: 'h1' }, 'ann'), // 2 counted
        book('a3', 1, {}, 'ann'), // 3 counted
        book('a4', 1, {}, 'ann'), // over
      ],
    );
    expect(outcomes(changes)).toEqual([
      ['a1', 'rejected', 'ticket_limit_reached'],
      ['c1', 'cancelled', null],
      ['a2', 'confirmed', null],
      ['r1', 'cancelled', null],
      ['a3', 'confirmed', null],
      ['a4', 'rejected', 'ticket_limit_reached'],
    ]);
  });

  test('active holds are capped per buyer (MAX_HOLDS_PER_USER), with or without a ticket cap', () => {
    const changes = runLedger(
      input({ event: event({ capacity: 100 }), buyers: new Map([['ann', buyer(0, 1)]]), maxHoldsPerUser: 2 }),
      [request('h1', 'hold', { quantity: 1 }, 'ann'), request('h2', 'hold', { quantity: 1 }, 'ann')],
    );
    expect(outcomes(changes)).toEqual([
      ['h1', 'held', null],
      ['h2', 'rejected', 'hold_limit_reached'],
    ]);
    expect(changes.requests[1]!.details).toEqual({ limit: 2, counted: 2 });
  });

  test('buyers who are not limited (partners and admins, unless the event says so) are not stopped', () => {
    const changes = runLedger(capped(2, { partner: buyer(10, 5, false) }), [
      book('p1', 5, {}, 'partner'),
      request('p2', 'hold', { quantity: 5 }, 'partner'),
    ]);
    expect(outcomes(changes)).toEqual([
      ['p1', 'confirmed', null],
      ['p2', 'held', null],
    ]);
  });
});
