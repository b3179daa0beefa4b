import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { createSequelize } from '../shared/db/sequelize.js';
import { createLogger } from '../shared/logger.js';
import { EventQueues, eventQueueName } from '../shared/queues.js';
import { createRedis } from '../shared/redis.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './support/database.js';
import { flushRedisPrefix } from './support/harness.js';

/**
 * The guards that hold whatever the application does. Every other test goes through the ledger
 * (which never asks for more than is free) and the event row lock (which serializes steps), so
 * dropping a constraint or BullMQ's global concurrency would leave them all green. These tests go
 * around both: raw SQL on the test database and bare BullMQ Workers, each showing the guard
 * refuse what the application would never try.
 */

const CHECK_VIOLATION = '23514';
const UNIQUE_VIOLATION = '23505';

let sequelize: Sequelize;

beforeAll(() => {
  sequelize = createSequelize({ databaseUrl: TEST_DATABASE_URL, dbPoolMax: 6 });
});

afterAll(async () => {
  await sequelize.close();
});

type Bind = Record<string, unknown>;

async function sql<T extends object = Record<string, unknown>>(
  text: string,
  bind: Bind = {},
  transaction?: Transaction,
): Promise<T[]> {
  return sequelize.query<T>(text, { bind, transaction, type: QueryTypes.SELECT });
}

/** Runs a statement that changes rows (no result wanted). */
async function exec(text: string, bind: Bind = {}, transaction?: Transaction): Promise<void> {
  await sequelize.query(text, { bind, transaction });
}

/** What PostgreSQL said when it refused `work`: its SQLSTATE and the constraint it names. */
async function refusal(work: Promise<unknown>): Promise<{ code?: string; constraint?: string }> {
  try {
    await work;
  } catch (err) {
    const pg = ((err as { parent?: unknown }).parent ?? err) as { code?: string; constraint?: string };
    return { code: pg.code, constraint: pg.constraint };
  }
  return { code: 'accepted' };
}

async function newUser(): Promise<string> {
  const [user] = await sql<{ id: string }>(
    `INSERT INTO users (email, password_hash, name)
     VALUES ('guards-' || gen_random_uuid() || '@example.test', 'scrypt$unusable', 'guards') RETURNING id`,
  );
  return user!.id;
}

/** A general-admission event, on sale, owned by the calling test. */
async function newEvent(capacity: number): Promise<string> {
  const [event] = await sql<{ id: string }>(
    `INSERT INTO events (name, venue, starts_at, capacity, published_at)
     VALUES ('Guards ' || left(gen_random_uuid()::text, 8), 'Test Hall', now() + interval '30 days', $capacity, now())
     RETURNING id`,
    { capacity },
  );
  return event!.id;
}

/** A reserved-seating event with a map of `count` seats (row A, seats 1..count); the seat ids in order. */
async function newSeatedEvent(count: number): Promise<{ eventId: string; seatIds: string[] }> {
  const eventId = await newEvent(count);
  await exec(`UPDATE events SET seating = 'reserved' WHERE id = $eventId`, { eventId });
  const seats = await sql<{ id: string }>(
    `INSERT INTO seats (event_id, section, row_label, number, section_rank, row_rank, ordinal)
     SELECT $eventId, 'Floor', 'A', n, 0, 0, n FROM generate_series(1, $count::int) AS n
     RETURNING id`,
    { eventId, count },
  );
  return { eventId, seatIds: seats.map((s) => s.id) };
}

/** A decided booking request, as the allocator leaves it before writing its booking. */
async function newRequest(eventId: string, userId: string, quantity: number, kind = 'book'): Promise<string> {
  const [request] = await sql<{ id: string }>(
    `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, decided_at)
     VALUES ($userId, $eventId, $kind, jsonb_build_object('quantity', $quantity::int), 'guards',
             CASE WHEN $kind = 'hold' THEN 'held' ELSE 'confirmed' END, now())
     RETURNING id`,
    { eventId, userId, quantity, kind },
  );
  return request!.id;
}

interface Sale {
  eventId: string;
  userId: string;
  quantity: number;
  /** Defaults to a new request of its own. */
  requestId?: string;
  /** Reserved seating: the seats the booking or hold takes (one active assignment each). */
  seatIds?: string[];
}

/**
 * Writes what an allocation step writes for one booking, bypassing the ledger and the event row
 * lock: the booking row, its seat assignments, and `booked` raised by its quantity, in the
 * caller's transaction (or one of its own).
 */
async function insertBooking(sale: Sale, transaction?: Transaction): Promise<string> {
  const write = async (t: Transaction) => {
    const requestId = sale.requestId ?? (await newRequest(sale.eventId, sale.userId, sale.quantity));
    const [booking] = await sql<{ id: string }>(
      `INSERT INTO bookings (event_id, user_id, request_id, quantity) VALUES ($eventId, $userId, $requestId, $quantity)
       RETURNING id`,
      { eventId: sale.eventId, userId: sale.userId, requestId, quantity: sale.quantity },
      t,
    );
    await assignSeats(sale, { booking: booking!.id }, t);
    await exec('UPDATE events SET booked = booked + $quantity WHERE id = $eventId', counterBind(sale), t);
    return booking!.id;
  };
  return transaction ? write(transaction) : sequelize.transaction(write);
}

/**
 * The same for a hold: the hold row, its seat assignments, `held` raised by its quantity. It never
 * falls due, so no other file's reconciler rings its event.
 */
async function insertHold(sale: Sale, transaction?: Transaction): Promise<string> {
  const write = async (t: Transaction) => {
    const requestId = sale.requestId ?? (await newRequest(sale.eventId, sale.userId, sale.quantity, 'hold'));
    const [hold] = await sql<{ id: string }>(
      `INSERT INTO holds (event_id, user_id, request_id, quantity, expires_at)
       VALUES ($eventId, $userId, $requestId, $quantity, now() + interval '100 years') RETURNING id`,
      { eventId: sale.eventId, userId: sale.userId, requestId, quantity: sale.quantity },
      t,
    );
    await assignSeats(sale, { hold: hold!.id }, t);
    await exec('UPDATE events SET held = held + $quantity WHERE id = $eventId', counterBind(sale), t);
    return hold!.id;
  };
  return transaction ? write(transaction) : sequelize.transaction(write);
}

const counterBind = (sale: Sale) => ({ eventId: sale.eventId, quantity: sale.quantity });

async function assignSeats(sale: Sale, owner: { booking?: string; hold?: string }, t: Transaction) {
  if (!sale.seatIds?.length) return;
  await exec(
    `INSERT INTO seat_assignments (seat_id, event_id, booking_id, hold_id)
     SELECT seat_id, $eventId, $bookingId::uuid, $holdId::uuid FROM unnest($seatIds::uuid[]) AS seat_id`,
    {
      eventId: sale.eventId,
      seatIds: sale.seatIds,
      bookingId: owner.booking ?? null,
      holdId: owner.hold ?? null,
    },
    t,
  );
}

async function counters(eventId: string) {
  const [row] = await sql<{ capacity: number; booked: number; held: number; bookings: number; sold: number }>(
    `SELECT capacity, booked, held,
            (SELECT count(*) FROM bookings WHERE event_id = e.id AND status = 'confirmed')::int AS bookings,
            (SELECT coalesce(sum(quantity), 0) FROM bookings WHERE event_id = e.id AND status = 'confirmed')::int
              AS sold
       FROM events e WHERE id = $eventId`,
    { eventId },
  );
  return row!;
}

/**
 * Two open transactions on two connections, as two writers that skip the event row lock would
 * have. `secondWaits()` resolves once the second is waiting for a lock the first holds. Whatever
 * is still open at the end is rolled back.
 */
async function race(
  body: (first: Transaction, second: Transaction, secondWaits: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const first = await sequelize.transaction();
  const second = await sequelize.transaction();
  try {
    // Read before either is busy: a connection waiting on a lock answers nothing else.
    const [firstPid, secondPid] = [await backendPid(first), await backendPid(second)];
    await body(first, second, () => blockedBy(secondPid, firstPid));
  } finally {
    for (const t of [second, first]) await t.rollback().catch(() => {});
  }
}

async function backendPid(t: Transaction): Promise<number> {
  const [row] = await sql<{ pid: number }>('SELECT pg_backend_pid() AS pid', {}, t);
  return row!.pid;
}

/** Resolves once backend `pid` is waiting for a lock that backend `holder` holds. */
async function blockedBy(pid: number, holder: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sql<{ blocked: boolean }>(
      'SELECT $holder::int = ANY(pg_blocking_pids($pid)) AS blocked',
      {
        pid,
        holder,
      },
    );
    if (row!.blocked) return;
    if (Date.now() > deadline) throw new Error(`backend ${pid} never waited for ${holder}`);
    await sleep(20);
  }
}

describe('events CHECK events_seats_within_capacity: booked >= 0, held >= 0, booked + held <= capacity', () => {
  const refusedByCheck = { code: CHECK_VIOLATION, constraint: 'events_seats_within_capacity' };

  test('raw updates that would oversell, or go negative, are refused; up to capacity is accepted', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    const update = (set: string) => exec(`UPDATE events SET ${set} WHERE id = $eventId`, { eventId });

    expect(await refusal(update('booked = 11'))).toEqual(refusedByCheck);
    expect(await refusal(update('held = 11'))).toEqual(refusedByCheck);
    expect(await refusal(update('booked = 6, held = 5'))).toEqual(refusedByCheck);
    expect(await refusal(update('booked = -1'))).toEqual(refusedByCheck);
    expect(await refusal(update('held = -1, booked = 5'))).toEqual(refusedByCheck);

    // The boundary itself is allowed, so the refusals above are the bound and not something else
    // (with its rows: since 0012 a counter alone is refused too, at commit; the CHECK refuses first).
    await insertBooking({ eventId, userId, quantity: 6 });
    await insertHold({ eventId, userId, quantity: 4 });
    expect(await refusal(update('booked = booked + 1'))).toEqual(refusedByCheck);
    expect(await refusal(update('held = held + 1'))).toEqual(refusedByCheck);
    // Shrinking the event below what is sold is overselling too.
    expect(await refusal(update('capacity = 9'))).toEqual(refusedByCheck);
    expect(await counters(eventId)).toMatchObject({ capacity: 10, booked: 6, held: 4 });
  });

  test('two transactions, each within capacity, together over it: the second waits for the first and fails', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    await race(async (first, second, secondWaits) => {
      // Both read the counters without the allocator's row lock, and both see room for 6.
      for (const t of [first, second]) {
        const [seen] = await sql<{ free: number }>(
          'SELECT capacity - booked - held AS free FROM events WHERE id = $eventId',
          { eventId },
          t,
        );
        expect(seen!.free).toBe(10);
      }
      // Both write: a booking of 6 and the counter raised by 6.
      await insertBooking({ eventId, userId, quantity: 6 }, first);
      const secondWrite = refusal(insertBooking({ eventId, userId, quantity: 6 }, second));
      // The second waits for the first's lock on the event row...
      await secondWaits();
      await first.commit();
      // ...then its counter update re-reads the committed row, and 6 + 6 > 10 is refused.
      expect(await secondWrite).toEqual(refusedByCheck);
    });
    expect(await counters(eventId)).toMatchObject({ booked: 6, held: 0, bookings: 1, sold: 6 });
  });

  test('the same race between a hold and a booking: booked + held together is bounded', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    await race(async (holder, buyer, buyerWaits) => {
      await insertHold({ eventId, userId, quantity: 7 }, holder);
      const booking = refusal(insertBooking({ eventId, userId, quantity: 4 }, buyer));
      await buyerWaits();
      await holder.commit();
      expect(await booking).toEqual(refusedByCheck);
    });
    expect(await counters(eventId)).toMatchObject({ booked: 0, held: 7, bookings: 0 });
  });
});

describe('seat_assignments_one_active_per_seat: a seat is in at most one active booking or hold', () => {
  const refusedByIndex = { code: UNIQUE_VIOLATION, constraint: 'seat_assignments_one_active_per_seat' };

  test('a second booking, or a hold, of a seat already booked is refused', async () => {
    const { eventId, seatIds } = await newSeatedEvent(3);
    const userId = await newUser();
    const [a, b, c] = seatIds as [string, string, string];
    await insertBooking({ eventId, userId, quantity: 2, seatIds: [a, b] });

    expect(await refusal(insertBooking({ eventId, userId, quantity: 1, seatIds: [b] }))).toEqual(
      refusedByIndex,
    );
    expect(await refusal(insertHold({ eventId, userId, quantity: 2, seatIds: [c, a] }))).toEqual(
      refusedByIndex,
    );
    // A free seat is accepted, so the refusals above are about the taken seats.
    await insertHold({ eventId, userId, quantity: 1, seatIds: [c] });
    expect(await refusal(insertBooking({ eventId, userId, quantity: 1, seatIds: [c] }))).toEqual(
      refusedByIndex,
    );
    expect(await counters(eventId)).toMatchObject({ booked: 2, held: 1, bookings: 1 });
  });

  test('two transactions assigning one seat at once: the second waits for the first and fails', async () => {
    const { eventId, seatIds } = await newSeatedEvent(2);
    const userId = await newUser();
    const seat = seatIds[0]!;
    // Two holds, committed before their seat is assigned, so the race is between the assignment
    // rows alone and nothing but the index orders them.
    const one = await insertHold({ eventId, userId, quantity: 1 });
    const two = await insertHold({ eventId, userId, quantity: 1 });
    const assign = (holdId: string, t: Transaction) =>
      exec(
        'INSERT INTO seat_assignments (seat_id, event_id, hold_id) VALUES ($seat, $eventId, $holdId)',
        { seat, eventId, holdId },
        t,
      );
    await race(async (first, second, secondWaits) => {
      await assign(one, first);
      const again = refusal(assign(two, second));
      // The second's index entry waits for the first's uncommitted one...
      await secondWaits();
      await first.commit();
      // ...and is refused once that one commits.
      expect(await again).toEqual(refusedByIndex);
    });
    const active = await sql<{ hold_id: string }>(
      'SELECT hold_id FROM seat_assignments WHERE seat_id = $seat AND released_at IS NULL',
      { seat },
    );
    expect(active).toEqual([{ hold_id: one }]);
  });

  test('once released (released_at set) the seat can be assigned again', async () => {
    const { eventId, seatIds } = await newSeatedEvent(1);
    const userId = await newUser();
    const seat = seatIds[0]!;
    const bookingId = await insertBooking({ eventId, userId, quantity: 1, seatIds: [seat] });
    expect(await refusal(insertHold({ eventId, userId, quantity: 1, seatIds: [seat] }))).toEqual(
      refusedByIndex,
    );

    // The booking is cancelled as a step cancels one: status, its seats released, the counter lowered.
    await sequelize.transaction(async (t) => {
      await exec(
        `UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = $bookingId`,
        { bookingId },
        t,
      );
      await exec(
        'UPDATE seat_assignments SET released_at = now() WHERE booking_id = $bookingId',
        { bookingId },
        t,
      );
      await exec('UPDATE events SET booked = booked - 1 WHERE id = $eventId', { eventId }, t);
    });
    const holdId = await insertHold({ eventId, userId, quantity: 1, seatIds: [seat] });
    const rows = await sql<{ booking_id: string | null; hold_id: string | null; released: boolean }>(
      `SELECT booking_id, hold_id, released_at IS NOT NULL AS released FROM seat_assignments
        WHERE seat_id = $seat ORDER BY id`,
      { seat },
    );
    expect(rows).toEqual([
      { booking_id: bookingId, hold_id: null, released: true },
      { booking_id: null, hold_id: holdId, released: false },
    ]);
  });
});

describe('bookings.request_id and bookings.hold_id are unique', () => {
  test('a booking request wins at most one booking', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    const requestId = await newRequest(eventId, userId, 2);
    await insertBooking({ eventId, userId, quantity: 2, requestId });
    expect(await refusal(insertBooking({ eventId, userId, quantity: 2, requestId }))).toEqual({
      code: UNIQUE_VIOLATION,
      constraint: 'bookings_request_id_key',
    });
    // Another request of the same buyer may book: the refusal is about the request.
    await insertBooking({ eventId, userId, quantity: 2 });
    expect(await counters(eventId)).toMatchObject({ booked: 4, bookings: 2, sold: 4 });
  });

  test('two transactions booking one request at once: the second waits for the first and fails', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    const requestId = await newRequest(eventId, userId, 1);
    await race(async (first, second, secondWaits) => {
      await insertBooking({ eventId, userId, quantity: 1, requestId }, first);
      const again = refusal(insertBooking({ eventId, userId, quantity: 1, requestId }, second));
      await secondWaits();
      await first.commit();
      expect(await again).toEqual({ code: UNIQUE_VIOLATION, constraint: 'bookings_request_id_key' });
    });
    expect(await counters(eventId)).toMatchObject({ booked: 1, bookings: 1 });
  });

  test('a hold is confirmed by at most one booking', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    const holdRequest = await newRequest(eventId, userId, 2, 'hold');
    const holdId = await insertHold({ eventId, userId, quantity: 2, requestId: holdRequest });
    // Confirming as a step does: the booking (keyed by the purchase's first request, the hold
    // request), the hold ended as confirmed, the seats moved from held to booked.
    const confirm = (requestId: string) =>
      sequelize.transaction(async (t) => {
        const [booking] = await sql<{ id: string }>(
          `INSERT INTO bookings (event_id, user_id, request_id, quantity, hold_id)
           VALUES ($eventId, $userId, $requestId, 2, $holdId) RETURNING id`,
          { eventId, userId, requestId, holdId },
          t,
        );
        await exec(
          `UPDATE holds SET status = 'confirmed', booking_id = $bookingId, ended_at = now()
            WHERE id = $holdId AND status = 'active'`,
          { holdId, bookingId: booking!.id },
          t,
        );
        await exec(
          'UPDATE events SET booked = booked + 2, held = held - 2 WHERE id = $eventId',
          { eventId },
          t,
        );
      });
    await confirm(holdRequest);
    // Even under another request id, a second booking of the same hold is refused.
    expect(await refusal(confirm(await newRequest(eventId, userId, 2)))).toEqual({
      code: UNIQUE_VIOLATION,
      constraint: 'bookings_hold_id_key',
    });
    expect(await counters(eventId)).toMatchObject({ booked: 2, held: 0, bookings: 1 });
  });
});

describe('events_counters_match_rows (0012): the counters equal their rows at every commit', () => {
  const refusedByGuard = { code: CHECK_VIOLATION, constraint: 'events_counters_match_rows' };

  test('general admission: booking rows beyond capacity are refused even when the counter is never written', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    const bookingRow = (quantity: number, transaction?: Transaction) =>
      newRequest(eventId, userId, quantity).then((requestId) =>
        exec(
          'INSERT INTO bookings (event_id, user_id, request_id, quantity) VALUES ($eventId, $userId, $requestId, $quantity)',
          { eventId, userId, requestId, quantity },
          transaction,
        ),
      );
    // Without 0012 both commit: 12 tickets of a 10-seat event, counters at 0, the CHECK content.
    expect(await refusal(bookingRow(6))).toEqual(refusedByGuard);
    expect(await refusal(bookingRow(6))).toEqual(refusedByGuard);
    // Many rows in one statement, as a step writes them, are counted just the same.
    const requestIds = await Promise.all([1, 2, 3].map(() => newRequest(eventId, userId, 4)));
    expect(
      await refusal(
        exec(
          `INSERT INTO bookings (event_id, user_id, request_id, quantity)
           SELECT $eventId, $userId, id, 4 FROM unnest($requestIds::uuid[]) AS id`,
          { eventId, userId, requestIds },
        ),
      ),
    ).toEqual(refusedByGuard);
    expect(await counters(eventId)).toMatchObject({ booked: 0, bookings: 0, sold: 0 });

    // With the counter, in either order within the transaction, rows are accepted up to capacity...
    await insertBooking({ eventId, userId, quantity: 6 });
    await sequelize.transaction(async (t) => {
      await exec('UPDATE events SET booked = booked + 4 WHERE id = $eventId', { eventId }, t);
      await bookingRow(4, t);
    });
    expect(await counters(eventId)).toMatchObject({ booked: 10, bookings: 2, sold: 10 });
    // ...and beyond it the counter hits the CHECK: rows cannot oversell any more than counters can.
    expect(await refusal(insertBooking({ eventId, userId, quantity: 1 }))).toEqual({
      code: CHECK_VIOLATION,
      constraint: 'events_seats_within_capacity',
    });
  });

  test('a counter written without its rows, or rows changed without their counter, is refused', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    const update = (text: string, bind: Bind = {}) => exec(text, { eventId, ...bind });

    expect(await refusal(update('UPDATE events SET booked = 2 WHERE id = $eventId'))).toEqual(refusedByGuard);
    expect(await refusal(update('UPDATE events SET held = 1 WHERE id = $eventId'))).toEqual(refusedByGuard);
    // An event born with seats sold.
    expect(
      await refusal(
        exec(
          `INSERT INTO events (name, venue, starts_at, capacity, booked)
           VALUES ('Guards born sold', 'Test Hall', now() + interval '30 days', 10, 3)`,
        ),
      ),
    ).toEqual(refusedByGuard);

    const bookingId = await insertBooking({ eventId, userId, quantity: 3 });
    const holdId = await insertHold({ eventId, userId, quantity: 2 });
    // A cancellation, or a hold's end, that leaves the counter alone.
    expect(
      await refusal(
        update(`UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = $bookingId`, {
          bookingId,
        }),
      ),
    ).toEqual(refusedByGuard);
    expect(
      await refusal(
        update(`UPDATE holds SET status = 'expired', ended_at = now() WHERE id = $holdId`, { holdId }),
      ),
    ).toEqual(refusedByGuard);
    // Moving seats between the counters, booked up and held down, with no rows to show for it.
    expect(
      await refusal(update('UPDATE events SET booked = booked + 2, held = held - 2 WHERE id = $eventId')),
    ).toEqual(refusedByGuard);
    // Both together pass: the guard is about agreement, not about the statements used.
    await sequelize.transaction(async (t) => {
      await exec(`UPDATE holds SET status = 'expired', ended_at = now() WHERE id = $holdId`, { holdId }, t);
      await exec('UPDATE events SET held = held - 2 WHERE id = $eventId', { eventId }, t);
    });
    expect(await counters(eventId)).toMatchObject({ booked: 3, held: 0, bookings: 1, sold: 3 });
  });

  test('two transactions writing the counter from what each read: the second waits and fails, the CHECK could not tell', async () => {
    const eventId = await newEvent(10);
    const userId = await newUser();
    await race(async (first, second, secondWaits) => {
      // Each reads booked = 0 without the allocator's row lock, books 6 and writes booked = 0 + 6.
      const sell = async (t: Transaction) => {
        const [seen] = await sql<{ booked: number }>(
          'SELECT booked FROM events WHERE id = $eventId',
          { eventId },
          t,
        );
        const requestId = await newRequest(eventId, userId, 6);
        await exec(
          'INSERT INTO bookings (event_id, user_id, request_id, quantity) VALUES ($eventId, $userId, $requestId, 6)',
          { eventId, userId, requestId },
          t,
        );
        await exec(
          'UPDATE events SET booked = $booked WHERE id = $eventId',
          { eventId, booked: seen!.booked + 6 },
          t,
        );
      };
      await sell(first);
      const secondSale = refusal(sell(second).then(() => second.commit()));
      await secondWaits();
      await first.commit();
      // booked = 6 satisfies the CHECK, but 12 tickets of 10 seats do not match it.
      expect(await secondSale).toEqual(refusedByGuard);
    });
    expect(await counters(eventId)).toMatchObject({ booked: 6, bookings: 1, sold: 6 });
  });
});

describe('BullMQ global concurrency 1 per event queue, across Workers', () => {
  const prefix = `evently-test-guards-${randomUUID().slice(0, 8)}`;
  const logger = createLogger('silent', 'test');
  const connections: Redis[] = [];
  const connect = () => {
    const redis = createRedis(TEST_REDIS_URL);
    connections.push(redis);
    return redis;
  };
  const JOBS = 20;
  /** How long each job is kept running while the test looks for a second active one. */
  const WINDOW_MS = 150;

  afterAll(async () => {
    await Promise.all(connections.map((r) => r.quit().catch(() => {})));
    await flushRedisPrefix(prefix);
  });

  interface Run {
    job: string;
    worker: string;
    start: number;
    end: number;
  }

  /**
   * Runs JOBS jobs of `queue` on two Workers (each its own connection, local concurrency 5).
   * Each job stays active until the test releases it: once one has started, the test waits up to
   * WINDOW_MS for another to start beside it, then releases all that are active. A Worker that
   * finishes a job fetches the next one at once, so left alone one Worker would take every job
   * of a serialized queue; to make both take turns, the Worker whose job is released is paused
   * until a job starts on the other, and from then on competes for jobs while that one runs.
   * Returns every run and the most jobs ever active at once.
   */
  async function drain(queue: Queue): Promise<{ runs: Run[]; maxActive: number }> {
    const active = new Map<string, { worker: string; release: () => void }>();
    const runs: Run[] = [];
    let maxActive = 0;
    let changed: () => void = () => {};
    const nextChange = () => new Promise<void>((resolve) => (changed = resolve));
    const workers = new Map<string, Worker>();

    const processor = (name: string) => async (job: Job) => {
      const start = performance.now();
      const released = new Promise<void>((release) => active.set(job.id!, { worker: name, release }));
      maxActive = Math.max(maxActive, active.size);
      for (const [other, worker] of workers) if (other !== name && worker.isPaused()) void worker.resume();
      changed();
      await released;
      runs.push({ job: job.id!, worker: name, start, end: performance.now() });
    };

    await queue.addBulk(
      Array.from({ length: JOBS }, (_, i) => ({ name: 'allocate', data: {}, opts: { jobId: `job-${i}` } })),
    );
    for (const name of ['A', 'B']) {
      workers.set(
        name,
        new Worker(queue.name, processor(name), {
          connection: connect(),
          prefix,
          concurrency: 5,
          autorun: false,
          // A Worker refused a job by the global limit waits this long (s) before asking again.
          drainDelay: 0.05,
        }),
      );
    }
    for (const worker of workers.values()) void worker.run();
    try {
      const deadline = Date.now() + 30000;
      while (runs.length < JOBS) {
        if (Date.now() > deadline) throw new Error(`only ${runs.length} of ${JOBS} jobs ran`);
        if (active.size === 0) {
          await Promise.race([nextChange(), sleep(100)]);
          continue;
        }
        // One is active: give any other job WINDOW_MS to start beside it, then let them all finish.
        const windowEnds = Date.now() + WINDOW_MS;
        while (active.size < 2 && Date.now() < windowEnds) {
          await Promise.race([nextChange(), sleep(windowEnds - Date.now())]);
        }
        const releasing = [...active.values()];
        active.clear();
        for (const { worker } of releasing) {
          const others = [...workers].filter(([name]) => name !== worker).map(([, w]) => w);
          if (others.some((w) => !w.isPaused())) await workers.get(worker)!.pause(true);
        }
        for (const { release } of releasing) release();
      }
    } finally {
      for (const { release } of active.values()) release();
      await Promise.all([...workers.values()].map((w) => w.close()));
    }
    return { runs, maxActive };
  }

  /** Pairs of runs whose [start, end] intervals intersect. */
  const overlaps = (runs: Run[]) =>
    runs.flatMap((a, i) =>
      runs
        .slice(i + 1)
        .filter((b) => a.start < b.end && b.start < a.end)
        .map((b) => [a, b]),
    );

  test('an event queue as the service makes it never runs two jobs at once, whatever the Workers', async () => {
    const queues = new EventQueues(connect(), prefix, logger);
    const eventId = randomUUID();
    // As POST /events (api/routes/events.ts) and an event's first turn in a worker (worker/dispatch/) do.
    const queue = queues.get(eventId);
    await queue.setGlobalConcurrency(1);
    expect(queue.name).toBe(eventQueueName(eventId));
    expect(await queue.getGlobalConcurrency()).toBe(1);
    try {
      const { runs, maxActive } = await drain(queue);
      expect(runs).toHaveLength(JOBS);
      expect(new Set(runs.map((r) => r.job)).size).toBe(JOBS);
      expect(maxActive).toBe(1);
      expect(overlaps(runs)).toEqual([]);
      // Each Worker ran jobs while the other, with five free slots, was asking for more.
      const byWorker = (w: string) => runs.filter((r) => r.worker === w).length;
      expect(Math.min(byWorker('A'), byWorker('B'))).toBeGreaterThanOrEqual(JOBS / 5);
    } finally {
      await queues.closeAll();
    }
  });

  test('control: the same queue without global concurrency runs jobs side by side', async () => {
    const queues = new EventQueues(connect(), prefix, logger);
    const queue = queues.get(randomUUID());
    expect(await queue.getGlobalConcurrency()).toBeNull();
    try {
      const { runs, maxActive } = await drain(queue);
      expect(runs).toHaveLength(JOBS);
      expect(maxActive).toBeGreaterThan(1);
      expect(overlaps(runs).length).toBeGreaterThan(0);
      // Both Workers took jobs, so the queue above was serialized across them, not by one Worker.
      expect(new Set(runs.map((r) => r.worker))).toEqual(new Set(['A', 'B']));
    } finally {
      await queues.closeAll();
    }
  });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
