import { randomBytes, randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { CSV_BATCH_SIZE } from '../api/services/attendees-csv.js';
import { seatsText } from '../shared/domain.js';
import { type Actor, createActor, registerUser } from './support/actors.js';
import { type SeededAttendees, seedAttendees } from './support/attendees.js';
import { useTestApi } from './support/environment.js';
import { expectApiError } from './support/http.js';

interface Attendee {
  id: string;
  status: 'confirmed' | 'cancelled';
  quantity: number;
  seats: { id: string; section: string; row: string; number: number }[] | null;
  externalReference: string | null;
  metadata: Record<string, string>;
  createdAt: string;
  user: { id: string; email: string; name: string };
}

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) throw new Error('the CSV does not end with CRLF');
  return rows;
}

/** What a spreadsheet should show for a value: formulas defused by a leading quote. */
const shown = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const HEADER = [
  'bookingId',
  'status',
  'quantity',
  'seats',
  'externalReference',
  'metadata',
  'createdAt',
  'userId',
  'email',
  'name',
];

/** The CSV row the JSON item should become. */
const csvRowOf = (a: Attendee) =>
  [
    a.id,
    a.status,
    String(a.quantity),
    a.seats ? seatsText(a.seats) : '',
    a.externalReference ?? '',
    Object.keys(a.metadata).length > 0 ? JSON.stringify(a.metadata) : '',
    a.createdAt,
    a.user.id,
    a.user.email,
    a.user.name,
  ].map(shown);

describe('admin attendee list', () => {
  const api = useTestApi();
  let admin: Actor;
  let user: Actor;
  let seeded: SeededAttendees;
  /** More than two CSV batches, so the export crosses batch boundaries. */
  const COUNT = 2 * CSV_BATCH_SIZE + 500;
  const tag = `att${randomBytes(4).toString('hex')}`;

  async function sql<T extends object>(text: string, bind: Record<string, unknown> = {}): Promise<T[]> {
    return api.deps.sequelize.query<T>(text, { bind, type: QueryTypes.SELECT });
  }

  const list = (eventId: string, query: Record<string, string | number> = {}) =>
    api.http().get(`/admin/events/${eventId}/bookings`).query(query).set(admin.auth);
  const csv = (eventId: string, query: Record<string, string> = {}) =>
    api.http().get(`/admin/events/${eventId}/bookings.csv`).query(query).set(admin.auth);

  /** Every page of the list, following `next`; checks each page's size. */
  async function allPages(eventId: string, query: Record<string, string | number>): Promise<Attendee[]> {
    const items: Attendee[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(eventId, { ...query, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      if (res.body.next) expect(res.body.data).toHaveLength(Number(query.limit ?? 20));
      items.push(...res.body.data);
      cursor = res.body.next;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl, 'attendee-viewer');
    seeded = await seedAttendees(api.deps.sequelize, { count: COUNT, tag });
    // One reserved-seating booking and one whose buyer's name needs quoting, to see both in the CSV.
    await sql(
      `UPDATE bookings SET seats = '[{"id": "${randomUUID()}", "section": "Stalls", "row": "C", "number": 7},
                                     {"id": "${randomUUID()}", "section": "Stalls", "row": "C", "number": 8}]'
        WHERE request_id = (SELECT id FROM booking_requests WHERE external_reference = $ref)`,
      { ref: `${tag}-ref-3` },
    );
    await sql(`UPDATE users SET name = 'Lovelace, Ada "the Countess"' WHERE email = $email`, {
      email: `${tag}-4@example.test`,
    });
  });

  it('pages through every booking newest first, without duplicates or gaps, as the database has them', async () => {
    const items = await allPages(seeded.eventId, { limit: 100 });
    const rows = await sql<{ id: string }>(
      'SELECT id FROM bookings WHERE event_id = $eventId ORDER BY created_at DESC, id DESC',
      { eventId: seeded.eventId },
    );
    expect(items.map((a) => a.id)).toEqual(rows.map((r) => r.id));
    expect(new Set(items.map((a) => a.id)).size).toBe(COUNT);

    const third = items.find((a) => a.externalReference === `${tag}-ref-3`)!;
    expect(third).toEqual({
      id: expect.any(String),
      status: expect.stringMatching(/^(confirmed|cancelled)$/),
      quantity: 1,
      seats: [
        { id: expect.any(String), section: 'Stalls', row: 'C', number: 7 },
        { id: expect.any(String), section: 'Stalls', row: 'C', number: 8 },
      ],
      externalReference: `${tag}-ref-3`,
      metadata: { order: 'o-3' },
      createdAt: '2030-01-01T00:00:00.003Z',
      user: { id: expect.any(String), email: `${tag}-3@example.test`, name: 'Attendee 3' },
    });
    const plain = items.find((a) => a.user.email === `${tag}-1@example.test`)!;
    expect(plain).toMatchObject({ externalReference: null, metadata: {}, seats: null, quantity: 2 });
  });

  it('filters by status', async () => {
    const cancelled = await allPages(seeded.eventId, { status: 'cancelled', limit: 100 });
    const [{ n }] = (await sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM bookings WHERE event_id = $eventId AND status = 'cancelled'",
      { eventId: seeded.eventId },
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    expect(cancelled).toHaveLength(n);
    expect(cancelled.every((a) => a.status === 'cancelled')).toBe(true);
    const first = await list(seeded.eventId, { status: 'confirmed', limit: 100 });
    expect(first.body.data.every((a: Attendee) => a.status === 'confirmed')).toBe(true);
  });

  it('finds attendees by the start of their email in any letter case, or by a partner’s reference exactly', async () => {
    const byEmail = await allPages(seeded.eventId, { q: `${tag.toUpperCase()}-123`, limit: 5 });
    // 123, and 1230..1239 (2,500 attendees: no 12300+).
    expect(byEmail.map((a) => a.user.email).sort()).toEqual(
      ['123', ...Array.from({ length: 10 }, (_, i) => `123${i}`)]
        .map((n) => `${tag}-${n}@example.test`)
        .sort(),
    );

    const byReference = await list(seeded.eventId, { q: `${tag}-ref-300` });
    expect(byReference.status).toBe(200);
    expect(byReference.body.data.map((a: Attendee) => a.externalReference)).toEqual([`${tag}-ref-300`]);
    // A reference is matched whole, not as a prefix (`-ref-12`, `-ref-15`... exist; `-ref-1` does not).
    expect((await list(seeded.eventId, { q: `${tag}-ref-1` })).body.data).toEqual([]);

    // LIKE's wildcards are plain text, and a match combines with the status filter.
    expect((await list(seeded.eventId, { q: '%' })).body.data).toEqual([]);
    expect((await list(seeded.eventId, { q: `${tag}_1` })).body.data).toEqual([]);
    const cancelledTen = await list(seeded.eventId, { q: `${tag}-10@`, status: 'confirmed' });
    const [{ status }] = (await sql<{ status: string }>(
      'SELECT b.status FROM bookings b JOIN users u ON u.id = b.user_id WHERE u.email = $email',
      { email: `${tag}-10@example.test` },
    )) as [{ status: string }];
    expect(cancelledTen.body.data).toHaveLength(status === 'confirmed' ? 1 : 0);
  });

  it('refuses non-admins, unknown events, bad filters and forged cursors', async () => {
    expectApiError(await api.http().get(`/admin/events/${seeded.eventId}/bookings`), 401, 'unauthorized');
    expectApiError(
      await api.http().get(`/admin/events/${seeded.eventId}/bookings`).set(user.auth),
      403,
      'forbidden',
    );
    expectApiError(
      await api.http().get(`/admin/events/${seeded.eventId}/bookings.csv`).set(user.auth),
      403,
      'forbidden',
    );
    expectApiError(await list(randomUUID()), 404, 'not_found');
    expectApiError(await csv(randomUUID()), 404, 'not_found');
    expectApiError(await list('not-a-uuid'), 400, 'validation_failed');
    const badStatus = await list(seeded.eventId, { status: 'held' });
    expectApiError(badStatus, 400, 'validation_failed');
    expect(badStatus.body.error.details[0].path).toBe('status');
    expectApiError(await list(seeded.eventId, { cursor: 'eyJ4IjoxfQ' }), 400, 'validation_failed');
    expectApiError(await list(seeded.eventId, { limit: 101 }), 400, 'validation_failed');
    expectApiError(await csv(seeded.eventId, { q: 'a\u0007b' }), 400, 'validation_failed');
  });

  it('exports the same rows as CSV, streamed, quoted and with formulas defused', async () => {
    const res = await csv(seeded.eventId);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="attendees-${tag}-bookings.csv"`);
    expect(res.headers['cache-control']).toBe('no-store');
    // Streamed: no length known in advance.
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();

    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(HEADER);
    expect(rows).toHaveLength(COUNT);
    const items = await allPages(seeded.eventId, { limit: 100 });
    expect(rows).toEqual(items.map(csvRowOf));

    // The raw text: quoting per RFC 4180, and the formula guard ahead of it.
    expect(res.text).toContain(`,"Lovelace, Ada ""the Countess"""\r\n`);
    expect(res.text).toContain(`,"'=HYPERLINK(""x"", ""Attendee 50"")"\r\n`);
    expect(res.text).toContain(',"section Stalls, row C, seat 7; section Stalls, row C, seat 8",');
    expect(res.text).toContain(`,${tag}-ref-3,"{""order"":""o-3""}",`);
  });

  it('exports with the list’s filters, and a header alone when nothing matches', async () => {
    const res = await csv(seeded.eventId, { status: 'cancelled', q: tag });
    const [, ...rows] = parseCsv(res.text);
    const cancelled = await allPages(seeded.eventId, { status: 'cancelled', q: tag, limit: 100 });
    expect(rows).toEqual(cancelled.map(csvRowOf));

    const none = await csv(seeded.eventId, { q: 'nobody-by-this-name' });
    expect(none.status).toBe(200);
    expect(parseCsv(none.text)).toEqual([HEADER]);
  });
});
