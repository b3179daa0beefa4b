import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book } from './support/factory.js';
import { waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { expectEventInvariants } from './support/invariants.js';
import { countRows } from './support/rows.js';
import { createSeatedEvent, type ListedSeat, label, listSeats } from './support/seating.js';

/** A small deterministic PRNG, so the concurrent scenario is the same on every run. */
function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

describe('reserved seating: seat maps, specific seats and best available', () => {
  const api = useTestApi({ ALLOCATION_BATCH_SIZE: '25' }, { workers: 2 });
  let admin: Actor;
  let buyer: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    buyer = await registerUser(api.baseUrl, 'buyer');
  });

  test('a seat map from blocks: capacity follows it, pages list every seat in map order with its state', async () => {
    const event = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'Floor', rows: { from: 'A', to: 'C' }, seats: { from: 1, to: 10 } },
      { section: 'Balcony', rows: { from: 1, to: 2 }, seats: { from: 101, to: 105 } },
      { section: 'Box', rows: ['North', 'South'], seats: { from: 1, to: 2 } },
    ]);
    expect(event).toMatchObject({ capacity: 44, seating: 'reserved', available: 44 });

    const pages: ListedSeat[][] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(api.baseUrl)
        .get(`/events/${event.id}/seats`)
        .query({ limit: 7, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages.push(res.body.data);
      cursor = res.body.next;
    } while (cursor);
    const seats = pages.flat();
    expect(pages).toHaveLength(7);
    expect(seats).toHaveLength(44);
    expect(new Set(seats.map((s) => s.id)).size).toBe(44);
    expect(seats.slice(0, 2).map(label)).toEqual(['Floor A-1', 'Floor A-2']);
    expect(seats.at(-1)).toMatchObject({ section: 'Box', row: 'South', number: 2, state: 'free' });

    const confirmed = await book(api, buyer, event.id, { seats: [seats[0]!.id, seats[1]!.id] });
    expect(confirmed).toMatchObject({ status: 'confirmed', booking: { quantity: 2 } });
    expect(confirmed.booking.seats.map(label)).toEqual(['Floor A-1', 'Floor A-2']);

    const booked = await listSeats(api.baseUrl, event.id, { state: 'booked' });
    expect(booked.map(label)).toEqual(['Floor A-1', 'Floor A-2']);
    expect(await listSeats(api.baseUrl, event.id, { section: 'Box' })).toHaveLength(4);
    const sections = await request(api.baseUrl).get(`/events/${event.id}/sections`);
    expect(sections.body.data).toEqual([
      { section: 'Floor', rows: 3, seats: 30, free: 28, held: 0, booked: 2 },
      { section: 'Balcony', rows: 2, seats: 10, free: 10, held: 0, booked: 0 },
      { section: 'Box', rows: 2, seats: 4, free: 4, held: 0, booked: 0 },
    ]);
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('adding seats grows capacity; a seat that exists, a general-admission event or a capacity edit is refused', async () => {
    const event = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'A', rows: { from: 1, to: 2 }, seats: { from: 1, to: 5 } },
    ]);
    const added = await request(api.baseUrl)
      .post(`/events/${event.id}/seats`)
      .set(admin.auth)
      .send({ blocks: [{ section: 'A', rows: ['3'], seats: { from: 1, to: 5 } }] });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ added: 5, event: { capacity: 15, version: 2 } });

    const again = await request(api.baseUrl)
      .post(`/events/${event.id}/seats`)
      .set(admin.auth)
      .send({ blocks: [{ section: 'A', rows: ['3', '4'], seats: { from: 5, to: 6 } }] });
    expectApiError(again, 409, 'seat_exists');
    expect(await countRows(api.deps.sequelize, 'seats WHERE event_id = $id', { id: event.id })).toBe(15);

    const capacityEdit = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: 2, capacity: 100 });
    expectApiError(capacityEdit, 409, 'capacity_follows_seat_map');

    const general = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const toGeneral = await request(api.baseUrl)
      .post(`/events/${general.id}/seats`)
      .set(admin.auth)
      .send({ blocks: [{ section: 'A', rows: ['1'], seats: { from: 1, to: 5 } }] });
    expectApiError(toGeneral, 409, 'general_admission');

    const asBuyer = await request(api.baseUrl)
      .post(`/events/${event.id}/seats`)
      .set(buyer.auth)
      .send({ blocks: [{ section: 'A', rows: ['9'], seats: { from: 1, to: 5 } }] });
    expectApiError(asBuyer, 403);
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('bad seat maps are refused and create nothing', async () => {
    const before = await countRows(api.deps.sequelize, 'events', {});
    const create = (body: object) =>
      request(api.baseUrl)
        .post('/events')
        .set(admin.auth)
        .send({ name: 'Bad map', venue: 'Hall', startsAt: '2031-01-01T20:00:00Z', ...body });
    const block = { section: 'A', rows: { from: 1, to: 2 }, seats: { from: 1, to: 5 } };
    expectApiError(await create({ seatMap: { blocks: [block, block] } }), 422, 'duplicate_seat');
    expectApiError(await create({ seatMap: { blocks: [block] }, capacity: 10 }), 400, 'validation_failed');
    expectApiError(
      await create({
        seatMap: { blocks: [{ section: 'A', rows: { from: 1, to: 500 }, seats: { from: 1, to: 300 } }] },
      }),
      422,
      'seat_map_too_large',
    );
    expectApiError(
      await create({
        seatMap: { blocks: [{ section: 'A', rows: { from: 'D', to: 'B' }, seats: { from: 1, to: 2 } }] },
      }),
      422,
      'invalid_seat_map',
    );
    expectApiError(
      await create({
        seatMap: { blocks: [{ section: 'A', rows: { from: 1, to: 2 }, seats: { from: 5, to: 1 } }] },
      }),
      400,
      'validation_failed',
    );
    expectApiError(await create({ seatMap: { blocks: [] } }), 400, 'validation_failed');
    expect(await countRows(api.deps.sequelize, 'events', {})).toBe(before);
  });

  test('500 concurrent requests for overlapping seats, two workers: each gets all its seats or none, first come first served', async () => {
    const event = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'A', rows: { from: 1, to: 5 }, seats: { from: 1, to: 20 } },
    ]);
    const seats = await listSeats(api.baseUrl, event.id);
    const users = await Promise.all(
      Array.from({ length: 20 }, (_, i) => registerUser(api.baseUrl, `seat-fan${i}`)),
    );
    const pick = random(42);
    const wanted = Array.from({ length: 500 }, () => {
      const row = pick(5);
      const length = 1 + pick(4);
      const first = pick(20 - length + 1);
      return seats.slice(row * 20 + first, row * 20 + first + length).map((s) => s.id);
    });

    const responses = await Promise.all(
      wanted.map((ids, i) =>
        request(api.baseUrl)
          .post(`/events/${event.id}/bookings`)
          .set(users[i % 20]!.auth)
          .send({ seats: ids }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(500).fill(202));
    await waitFor(
      async () =>
        (await countRows(api.deps.sequelize, "booking_requests WHERE event_id = $id AND status = 'queued'", {
          id: event.id,
        })) === 0,
      60000,
      'every request decided',
    );

    // Replay the requests in arrival order against a set of taken seats: the service must have
    // decided exactly what this reference decides.
    const decided = await api.deps.sequelize.query<{
      payload: { seats: string[] };
      status: string;
      reason: string | null;
      reason_details: { seats: string[] } | null;
      booked: { id: string }[] | null;
    }>(
      `SELECT r.payload, r.status, r.reason, r.reason_details, b.seats AS booked
         FROM booking_requests r LEFT JOIN bookings b ON b.id = r.booking_id
        WHERE r.event_id = $id ORDER BY r.seq`,
      { bind: { id: event.id }, type: QueryTypes.SELECT },
    );
    expect(decided).toHaveLength(500);
    const taken = new Set<string>();
    let confirmed = 0;
    for (const r of decided) {
      const clash = r.payload.seats.filter((id) => taken.has(id));
      if (clash.length === 0) {
        expect(r).toMatchObject({ status: 'confirmed' });
        expect(r.booked!.map((s) => s.id)).toEqual(r.payload.seats);
        for (const id of r.payload.seats) taken.add(id);
        confirmed += 1;
      } else {
        expect(r).toMatchObject({
          status: 'rejected',
          reason: 'seat_taken',
          reason_details: { seats: clash },
        });
      }
    }
    expect(confirmed).toBeGreaterThan(20);
    const counters = await expectEventInvariants(api.deps.sequelize, event.id);
    expect(counters).toMatchObject({
      booked: taken.size,
      confirmedBookings: confirmed,
      assignedSeats: taken.size,
    });
  }, 90000);

  test('best available: adjacent seats in the best row, centred; the same state gives the same seats', async () => {
    const blocks = [
      { section: 'Floor', rows: { from: 'A', to: 'C' }, seats: { from: 1, to: 10 } },
      { section: 'Balcony', rows: { from: 1, to: 2 }, seats: { from: 1, to: 10 } },
    ];
    const script = [
      { quantity: 4, section: 'Floor' },
      { quantity: 4, section: 'Floor' },
      { quantity: 3, section: 'Floor' },
      { quantity: 2 },
      { quantity: 5, section: 'Balcony' },
    ];
    const runs: string[][][] = [];
    for (let run = 0; run < 2; run++) {
      const event = await createSeatedEvent(api.baseUrl, admin, blocks);
      const chosen: string[][] = [];
      for (const body of script) {
        const outcome = await book(api, buyer, event.id, body);
        expect(outcome.status).toBe('confirmed');
        chosen.push(outcome.booking.seats.map(label));
      }
      runs.push(chosen);
      await expectEventInvariants(api.deps.sequelize, event.id);
    }
    expect(runs[0]).toEqual([
      ['Floor A-4', 'Floor A-5', 'Floor A-6', 'Floor A-7'],
      ['Floor B-4', 'Floor B-5', 'Floor B-6', 'Floor B-7'],
      ['Floor A-1', 'Floor A-2', 'Floor A-3'],
      ['Floor A-8', 'Floor A-9'],
      ['Balcony 1-3', 'Balcony 1-4', 'Balcony 1-5', 'Balcony 1-6', 'Balcony 1-7'],
    ]);
    expect(runs[1]).toEqual(runs[0]);
  });

  test('no row fits them together: the best split; too few seats left: sold out; fewer accepted with minQuantity', async () => {
    const event = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'A', rows: { from: 1, to: 2 }, seats: { from: 1, to: 3 } },
    ]);
    const split = await book(api, buyer, event.id, { quantity: 5 });
    expect(split.status).toBe('confirmed');
    expect(split.booking.seats.map(label)).toEqual(['A 1-1', 'A 1-2', 'A 1-3', 'A 2-1', 'A 2-2']);
    expect(await book(api, buyer, event.id, { quantity: 2 })).toMatchObject({
      status: 'rejected',
      reason: 'sold_out',
    });
    const partial = await book(api, buyer, event.id, { quantity: 2, minQuantity: 1 });
    expect(partial).toMatchObject({ status: 'confirmed', booking: { quantity: 1 } });
    expect(partial.booking.seats.map(label)).toEqual(['A 2-3']);
    await expectEventInvariants(api.deps.sequelize, event.id);
  });

  test('bad seat selections are 4xx and record nothing', async () => {
    const event = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'A', rows: ['1'], seats: { from: 1, to: 20 } },
    ]);
    const other = await createSeatedEvent(api.baseUrl, admin, [
      { section: 'A', rows: ['1'], seats: { from: 1, to: 2 } },
    ]);
    const general = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const [mine, theirs] = [await listSeats(api.baseUrl, event.id), await listSeats(api.baseUrl, other.id)];
    const ids = mine.map((s) => s.id);
    const requests = () =>
      countRows(api.deps.sequelize, 'booking_requests WHERE user_id = $id', { id: buyer.id });
    const before = await requests();
    const post = (eventId: string, body: object, path = 'bookings') =>
      request(api.baseUrl).post(`/events/${eventId}/${path}`).set(buyer.auth).send(body);

    const unknown = await post(event.id, { seats: [ids[0], '00000000-0000-4000-8000-000000000000'] });
    expectApiError(unknown, 422, 'unknown_seats');
    expect(unknown.body.error.details).toEqual({ seats: ['00000000-0000-4000-8000-000000000000'] });
    const foreign = await post(event.id, { seats: [theirs[0]!.id] });
    expectApiError(foreign, 422, 'unknown_seats');
    expect(foreign.body.error.details).toEqual({ seats: [theirs[0]!.id] });
    expectApiError(await post(event.id, { seats: [ids[0], ids[0]] }), 400, 'validation_failed');
    expectApiError(await post(event.id, { seats: ids.slice(0, 11) }), 400, 'validation_failed');
    expectApiError(await post(event.id, { seats: [] }), 400, 'validation_failed');
    expectApiError(await post(event.id, { seats: ['not-a-uuid'] }), 400, 'validation_failed');
    expectApiError(await post(event.id, { seats: [ids[0]], quantity: 1 }), 400, 'validation_failed');
    expectApiError(await post(event.id, { seats: [ids[0]], waitlist: true }), 400, 'validation_failed');
    expectApiError(await post(event.id, { seats: [ids[0]], section: 'A' }), 400, 'validation_failed');
    expectApiError(await post(event.id, { quantity: 2, minQuantity: 3 }), 400, 'validation_failed');
    expectApiError(await post(event.id, { quantity: 1, section: 'Z' }), 422, 'unknown_section');
    expectApiError(await post(general.id, { seats: [ids[0]] }), 422, 'general_admission');
    expectApiError(await post(general.id, { quantity: 1, section: 'A' }), 422, 'general_admission');
    expectApiError(await post(event.id, { seats: [theirs[0]!.id] }, 'holds'), 422, 'unknown_seats');
    expectApiError(await post(event.id, { quantity: 1, waitlist: true }, 'holds'), 400, 'validation_failed');
    expect(await requests()).toBe(before);
    expect((await listSeats(api.baseUrl, event.id, { state: 'free' })).length).toBe(20);
  });

  test('the seat map of a draft is hidden; paging and filters are validated', async () => {
    const draft = await createSeatedEvent(
      api.baseUrl,
      admin,
      [{ section: 'A', rows: ['1'], seats: { from: 1, to: 2 } }],
      { status: 'draft' },
    );
    expectApiError(await request(api.baseUrl).get(`/events/${draft.id}/seats`), 404, 'not_found');
    expectApiError(await request(api.baseUrl).get(`/events/${draft.id}/sections`), 404, 'not_found');
    expect((await request(api.baseUrl).get(`/events/${draft.id}/seats`).set(admin.auth)).status).toBe(200);
    const seatsOf = (query: object) =>
      request(api.baseUrl).get(`/events/${draft.id}/seats`).set(admin.auth).query(query);
    expectApiError(await seatsOf({ limit: 5001 }), 400, 'validation_failed');
    expectApiError(await seatsOf({ state: 'sold' }), 400, 'validation_failed');
    expectApiError(await seatsOf({ cursor: 'garbage' }), 400, 'validation_failed');
    // Beyond the column's range: refused as a cursor, not a database error.
    const huge = Buffer.from(JSON.stringify({ ordinal: 3_000_000_000 })).toString('base64url');
    expectApiError(await seatsOf({ cursor: huge }), 400, 'validation_failed');
    // A buyer learns nothing about a draft's map: an unknown seat is the draft's 404, not a 422.
    const probe = await request(api.baseUrl)
      .post(`/events/${draft.id}/bookings`)
      .set(buyer.auth)
      .send({ seats: ['00000000-0000-4000-8000-000000000000'] });
    expectApiError(probe, 404, 'not_found');
    expectApiError(
      await request(api.baseUrl).get('/events/00000000-0000-4000-8000-000000000000/seats'),
      404,
      'not_found',
    );
  });
});
