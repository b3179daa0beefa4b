import { allocate, type BookingState, type EventState, type PendingRequest } from '../worker/allocate.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = new Date('2030-06-01T00:00:00Z');

function event(overrides: Partial<EventState> = {}): EventState {
  return { status: 'on_sale', capacity: 5, booked: 0, held: 0, startsAt: LATER, ...overrides };
}

const book = (id: string, quantity: number): PendingRequest => ({
  id,
  principalId: `user-${id}`,
  kind: 'book',
  quantity,
});
const cancel = (id: string, bookingId: string): PendingRequest => ({
  id,
  principalId: 'u',
  kind: 'cancel',
  bookingId,
});

function ids() {
  let n = 0;
  return () => `booking-${++n}`;
}

describe('allocate (pure seat-allocation decision)', () => {
  test('confirms in order until capacity, then rejects as sold out; a later smaller request may still fit', () => {
    const result = allocate(
      event(),
      [book('a', 2), book('b', 2), book('c', 2), book('d', 1)],
      new Map(),
      NOW,
      ids(),
    );
    expect(result.decisions.map((d) => [d.requestId, d.outcome])).toEqual([
      ['a', 'confirmed'],
      ['b', 'confirmed'],
      ['c', 'rejected'],
      ['d', 'confirmed'],
    ]);
    expect(result.decisions[2]).toMatchObject({ reason: 'sold_out' });
    expect(result.booked).toBe(5);
  });

  test('held seats count against capacity', () => {
    const result = allocate(event({ held: 4 }), [book('a', 2), book('b', 1)], new Map(), NOW, ids());
    expect(result.decisions.map((d) => d.outcome)).toEqual(['rejected', 'confirmed']);
    expect(result.booked).toBe(1);
  });

  test('the booking belongs to the principal that asked, with the quantity asked', () => {
    const [decision] = allocate(event(), [book('a', 3)], new Map(), NOW, ids()).decisions;
    expect(decision).toEqual({
      requestId: 'a',
      outcome: 'confirmed',
      booking: { id: 'booking-1', userId: 'user-a', quantity: 3 },
    });
  });

  test.each([
    ['cancelled', event({ status: 'cancelled' }), 'event_cancelled'],
    ['draft', event({ status: 'draft' }), 'event_not_on_sale'],
    ['completed', event({ status: 'completed' }), 'event_not_on_sale'],
    ['already started', event({ startsAt: NOW }), 'event_not_on_sale'],
  ])('a %s event rejects bookings', (_, state, reason) => {
    const result = allocate(state, [book('a', 1)], new Map(), NOW, ids());
    expect(result.decisions).toEqual([{ requestId: 'a', outcome: 'rejected', reason }]);
    expect(result.booked).toBe(0);
  });

  test('a cancellation frees its seats for requests behind it in the same batch; a second one is harmless', () => {
    const bookings = new Map<string, BookingState>([
      ['b1', { id: 'b1', userId: 'u1', status: 'confirmed', quantity: 5 }],
    ]);
    const result = allocate(
      event({ booked: 5 }),
      [book('x', 1), cancel('c1', 'b1'), cancel('c2', 'b1'), book('y', 5)],
      bookings,
      NOW,
      ids(),
    );
    expect(result.decisions.map((d) => [d.requestId, d.outcome])).toEqual([
      ['x', 'rejected'],
      ['c1', 'cancelled'],
      ['c2', 'rejected'],
      ['y', 'confirmed'],
    ]);
    expect(result.decisions[2]).toMatchObject({ reason: 'already_cancelled' });
    expect(result.booked).toBe(5);
  });

  test('cancelling an unknown or already cancelled booking changes nothing', () => {
    const bookings = new Map<string, BookingState>([
      ['b1', { id: 'b1', userId: 'u1', status: 'cancelled', quantity: 2 }],
    ]);
    const result = allocate(
      event({ booked: 1 }),
      [cancel('c1', 'nope'), cancel('c2', 'b1')],
      bookings,
      NOW,
      ids(),
    );
    expect(result.decisions).toEqual([
      { requestId: 'c1', outcome: 'rejected', reason: 'booking_not_found' },
      { requestId: 'c2', outcome: 'rejected', reason: 'already_cancelled' },
    ]);
    expect(result.booked).toBe(1);
  });

  test('the same input gives the same decisions (deterministic)', () => {
    const requests = [book('a', 2), book('b', 4), book('c', 3)];
    const first = allocate(event(), requests, new Map(), NOW, ids());
    const second = allocate(event(), requests, new Map(), NOW, ids());
    expect(second).toEqual(first);
  });
});
