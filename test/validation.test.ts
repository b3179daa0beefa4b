import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser, uniqueEmail } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { expectApiError, expectNoInternals } from './support/http.js';
import { countRows } from './support/rows.js';

type Body = Record<string, unknown>;

const PASSWORD = 'correct-horse-battery';
const UUID = '7d3c2b1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const DAY = 24 * 3600 * 1000;
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString();
const long = (n: number) => 'x'.repeat(n);
const without = (body: Body, key: string) =>
  Object.fromEntries(Object.entries(body).filter(([k]) => k !== key));
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bad input gets a 4xx with the error shape and writes nothing', () => {
  const api = useTestApi();
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    [admin, user] = await Promise.all([createActor(api.baseUrl, 'admin'), registerUser(api.baseUrl, 'val')]);
  });

  const http = () => request(api.baseUrl);

  const count = (from: string, bind: Record<string, unknown>) => countRows(api.deps.sequelize, from, bind);

  describe('POST /auth/register', () => {
    /** Each case gets a fresh email and name, so the accounts it must not create are its own. */
    const valid = (email: string, name: string): Body => ({ email, password: PASSWORD, name });
    const accounts = (email: string, name: string) =>
      count('users WHERE lower(email) = lower($email) OR name = $name', { email, name });

    async function expectRefused(make: (base: Body) => unknown) {
      const [email, name] = [uniqueEmail('reg'), `reg-${randomUUID()}`];
      const before = await accounts(email, name);
      const res = await http()
        .post('/auth/register')
        .send(make(valid(email, name)) as Body);
      expectApiError(res, 400, 'validation_failed');
      expect(await accounts(email, name)).toBe(before);
    }

    test('control: the base body is accepted', async () => {
      const [email, name] = [uniqueEmail('reg'), `reg-${randomUUID()}`];
      const res = await http().post('/auth/register').send(valid(email, name));
      expect(res.status).toBe(201);
      expect(await accounts(email, name)).toBe(1);
    });

    test.each<[string, (base: Body) => unknown]>([
      ['empty object', () => ({})],
      ['missing email', (b) => without(b, 'email')],
      ['missing password', (b) => without(b, 'password')],
      ['missing name', (b) => without(b, 'name')],
      ['email without @', (b) => ({ ...b, email: 'not-an-email' })],
      ['email without a domain', (b) => ({ ...b, email: 'someone@' })],
      ['email with two @', (b) => ({ ...b, email: `a@@${b.email}` })],
      ['email with spaces', (b) => ({ ...b, email: ` ${b.email} ` })],
      ['empty email', (b) => ({ ...b, email: '' })],
      ['password of 7 characters', (b) => ({ ...b, password: 'short12' })],
      ['empty password', (b) => ({ ...b, password: '' })],
      ['empty name', (b) => ({ ...b, name: '' })],
      ['blank name', (b) => ({ ...b, name: '   ' })],
      ['unknown field', (b) => ({ ...b, nickname: 'x' })],
      ['role chosen by the client', (b) => ({ ...b, role: 'admin' })],
      ['email: 5', (b) => ({ ...b, email: 5 })],
      ['email: null', (b) => ({ ...b, email: null })],
      ['email: array', (b) => ({ ...b, email: [b.email] })],
      ['password: number', (b) => ({ ...b, password: 12345678901 })],
      ['password: object', (b) => ({ ...b, password: { value: PASSWORD } })],
      ['name: true', (b) => ({ ...b, name: true })],
      ['10k-character email', (b) => ({ ...b, email: `${long(10_000)}@example.test` })],
      ['10k-character password', (b) => ({ ...b, password: long(10_000) })],
      ['10k-character name', (b) => ({ ...b, name: long(10_000) })],
      ['an array instead of an object', (b) => [b]],
    ])('%s -> 400 validation_failed', async (_label, make) => {
      await expectRefused(make);
    });

    // Once accepted and stored as the two characters "\0": control characters are refused.
    test('NUL character in the name -> 400 validation_failed', async () => {
      await expectRefused((b) => ({ ...b, name: 'nul\u0000name' }));
    });

    const MALFORMED = [
      ['truncated', `{"email": "EMAIL", "password": "${PASSWORD}", "name": `],
      ['unquoted keys', `{email: "EMAIL", password: "${PASSWORD}", name: "n"}`],
      ['single quotes', `{'email': 'EMAIL', 'password': '${PASSWORD}', 'name': 'n'}`],
      ['trailing comma', `{"email": "EMAIL", "password": "${PASSWORD}", "name": "n",}`],
      ['a bare string', '"EMAIL"'],
      ['null', 'null'],
    ];
    async function postRaw(raw: string) {
      const email = uniqueEmail('json');
      const res = await http()
        .post('/auth/register')
        .set('Content-Type', 'application/json')
        .send(raw.replace('EMAIL', email));
      return { res, email };
    }

    test.each(MALFORMED)(
      'malformed JSON (%s) -> 400 with the error shape, nothing written',
      async (_l, raw) => {
        const { res, email } = await postRaw(raw);
        expectApiError(res, 400);
        expect(await count('users WHERE email = $email', { email })).toBe(0);
      },
    );

    test.each(MALFORMED)('malformed JSON (%s) -> code invalid_json', async (_l, raw) => {
      const { res } = await postRaw(raw);
      expectApiError(res, 400, 'invalid_json');
    });

    test('a __proto__ key in the JSON is refused, not merged', async () => {
      const email = uniqueEmail('proto');
      const res = await http()
        .post('/auth/register')
        .set('Content-Type', 'application/json')
        .send(`{"email":"${email}","password":"${PASSWORD}","name":"p","__proto__":{"role":"admin"}}`);
      expectApiError(res, 400);
      expect(await count('users WHERE email = $email', { email })).toBe(0);
    });

    test.each([
      ['text/plain', (email: string) => JSON.stringify({ email, password: PASSWORD, name: 'plain' })],
      ['application/x-www-form-urlencoded', (email: string) => `email=${encodeURIComponent(email)}&name=f`],
      ['application/xml', (email: string) => `<user><email>${email}</email></user>`],
    ])('a %s body -> 415 unsupported_media_type', async (type, make) => {
      const email = uniqueEmail('media');
      const res = await http().post('/auth/register').set('Content-Type', type).send(make(email));
      expectApiError(res, 415, 'unsupported_media_type');
      expect(await count('users WHERE email = $email', { email })).toBe(0);
    });

    test('a body over 64 kB -> 413 payload_too_large', async () => {
      const email = uniqueEmail('big');
      const body = JSON.stringify({ email, password: PASSWORD, name: 'big', padding: long(65 * 1024) });
      const res = await http().post('/auth/register').set('Content-Type', 'application/json').send(body);
      expectApiError(res, 413, 'payload_too_large');
      expect(await count('users WHERE email = $email', { email })).toBe(0);
    });
  });

  describe('POST /auth/login', () => {
    test.each<[string, Body]>([
      ['missing password', { email: 'someone@example.test' }],
      ['email: 5', { email: 5, password: PASSWORD }],
      ['10k-character password', { email: 'someone@example.test', password: long(10_000) }],
      ['unknown field', { email: 'someone@example.test', password: PASSWORD, remember: true }],
    ])('%s -> 400 validation_failed', async (_label, body) => {
      const res = await http().post('/auth/login').send(body);
      expectApiError(res, 400, 'validation_failed');
      expect(res.body).not.toHaveProperty('accessToken');
    });
  });

  describe('POST /events (as admin)', () => {
    /** Every event a case tries to create carries that case's own name and venue. */
    const valid = (marker: string): Body => ({
      name: marker,
      venue: marker,
      startsAt: inDays(30),
      capacity: 10,
    });
    const events = (marker: string) => count('events WHERE venue = $marker OR name = $marker', { marker });
    async function expectRefused(make: (base: Body) => unknown) {
      const marker = `Validation Hall ${randomUUID()}`;
      const before = await events(marker);
      const res = await http()
        .post('/events')
        .set(admin.auth)
        .send(make(valid(marker)) as Body);
      expectApiError(res, 400, 'validation_failed');
      expect(await events(marker)).toBe(before);
    }

    test('control: the base body is accepted', async () => {
      const marker = `Validation Hall ${randomUUID()}`;
      const res = await http().post('/events').set(admin.auth).send(valid(marker));
      expect(res.status).toBe(201);
      expect(await events(marker)).toBe(1);
    });

    test.each<[string, (base: Body) => unknown]>([
      ['missing name', (b) => without(b, 'name')],
      ['empty name', (b) => ({ ...b, name: '' })],
      ['blank name', (b) => ({ ...b, name: '  ' })],
      ['name over 200 characters', (b) => ({ ...b, name: long(201) })],
      ['missing venue', (b) => without(b, 'venue')],
      ['missing capacity', (b) => without(b, 'capacity')],
      ['capacity 0', (b) => ({ ...b, capacity: 0 })],
      ['capacity -1', (b) => ({ ...b, capacity: -1 })],
      ['capacity 1.5', (b) => ({ ...b, capacity: 1.5 })],
      ['capacity "10"', (b) => ({ ...b, capacity: '10' })],
      ['capacity 1e12', (b) => ({ ...b, capacity: 1e12 })],
      ['capacity null', (b) => ({ ...b, capacity: null })],
      ['missing startsAt', (b) => without(b, 'startsAt')],
      ['startsAt not a date', (b) => ({ ...b, startsAt: 'next friday' })],
      ['startsAt month 13', (b) => ({ ...b, startsAt: '2031-13-01T19:00:00Z' })],
      ['startsAt as a number', (b) => ({ ...b, startsAt: Date.now() + DAY })],
      [
        'endsAt before startsAt',
        (b) => ({ ...b, endsAt: new Date(Date.parse(String(b.startsAt)) - 1).toISOString() }),
      ],
      ['endsAt equal to startsAt', (b) => ({ ...b, endsAt: b.startsAt })],
      ['endsAt not a date', (b) => ({ ...b, endsAt: 'later' })],
      ['status "cancelled"', (b) => ({ ...b, status: 'cancelled' })],
      ['status "completed"', (b) => ({ ...b, status: 'completed' })],
      ['status "bogus"', (b) => ({ ...b, status: 'bogus' })],
      ['description over 5000 characters', (b) => ({ ...b, description: long(5001) })],
      ['unknown field', (b) => ({ ...b, price: 10 })],
      ['server-owned field booked', (b) => ({ ...b, booked: 3 })],
      ['server-owned field version', (b) => ({ ...b, version: 7 })],
      ['an array instead of an object', (b) => [b]],
    ])('%s -> 400 validation_failed', async (_label, make) => {
      await expectRefused(make);
    });

    // Regression: February 31 once became March 3, and a NUL was stored as the characters "\0".
    test.each<[string, (base: Body) => unknown]>([
      ['startsAt February 31', (b) => ({ ...b, startsAt: '2031-02-31T19:00:00Z' })],
      ['NUL character in the name', (b) => ({ ...b, name: `${b.name}\u0000` })],
    ])('%s -> 400 validation_failed', async (_label, make) => {
      await expectRefused(make);
    });
  });

  describe('POST /events/:id/bookings', () => {
    let event: { id: string };
    const requests = (eventId: string) => count('booking_requests WHERE event_id = $eventId', { eventId });
    const mine = () => count('booking_requests WHERE user_id = $id', { id: user.id });

    beforeAll(async () => {
      event = await createEvent(api.baseUrl, admin, { capacity: 50, venue: `Bookings Hall ${randomUUID()}` });
    });

    test('control: {quantity: 1} is accepted', async () => {
      const before = await requests(event.id);
      const res = await http().post(`/events/${event.id}/bookings`).set(user.auth).send({ quantity: 1 });
      expect(res.status).toBe(202);
      expect(await requests(event.id)).toBe(before + 1);
    });

    test.each<[string, unknown]>([
      ['quantity 0', { quantity: 0 }],
      ['quantity 11 (over the per-booking limit)', { quantity: 11 }],
      ['quantity -1', { quantity: -1 }],
      ['quantity "1"', { quantity: '1' }],
      ['quantity 1.5', { quantity: 1.5 }],
      ['quantity null', { quantity: null }],
      ['quantity 1e308', { quantity: 1e308 }],
      ['quantity true', { quantity: true }],
      ['missing quantity', {}],
      ['[] as the body', []],
      ['[{quantity: 1}] as the body', [{ quantity: 1 }]],
      ['unknown field', { quantity: 1, price: 0 }],
      ['eventId in the body', { quantity: 1, eventId: UUID }],
    ])('%s -> 400 validation_failed', async (_label, body) => {
      const before = await requests(event.id);
      const res = await http()
        .post(`/events/${event.id}/bookings`)
        .set(user.auth)
        .send(body as Body);
      expectApiError(res, 400, 'validation_failed');
      expect(await requests(event.id)).toBe(before);
    });

    test('no body at all -> 400 validation_failed', async () => {
      const before = await requests(event.id);
      const res = await http().post(`/events/${event.id}/bookings`).set(user.auth);
      expectApiError(res, 400, 'validation_failed');
      expect(await requests(event.id)).toBe(before);
    });

    test.each([
      ['not-a-uuid'],
      ['123'],
      [`${UUID}0`],
      [UUID.slice(0, -1)],
      ['00000000-0000-0000-0000-00000000000g'],
    ])('an invalid uuid in the path (%s) -> 400 validation_failed', async (id) => {
      const before = await mine();
      const res = await http().post(`/events/${id}/bookings`).set(user.auth).send({ quantity: 1 });
      expectApiError(res, 400, 'validation_failed');
      expect(await mine()).toBe(before);
    });

    test('an unknown event -> 404 not_found', async () => {
      const id = randomUUID();
      const res = await http().post(`/events/${id}/bookings`).set(user.auth).send({ quantity: 1 });
      expectApiError(res, 404, 'not_found');
      expect(await requests(id)).toBe(0);
    });

    test('a cancelled event -> 409 event_cancelled', async () => {
      const cancelled = await createEvent(api.baseUrl, admin, { venue: `Cancelled Hall ${randomUUID()}` });
      expect((await http().post(`/events/${cancelled.id}/cancel`).set(admin.auth)).status).toBe(200);
      const res = await http().post(`/events/${cancelled.id}/bookings`).set(user.auth).send({ quantity: 1 });
      expectApiError(res, 409, 'event_cancelled');
      expect(await requests(cancelled.id)).toBe(0);
    });

    test.each([
      ['300 characters', 'k'.repeat(300)],
      ['a space in it', 'key with spaces'],
      ['non-ASCII characters', 'clé-é'],
    ])('an Idempotency-Key with %s -> 400 validation_failed', async (_label, key) => {
      const before = await requests(event.id);
      const res = await http()
        .post(`/events/${event.id}/bookings`)
        .set(user.auth)
        .set('Idempotency-Key', key)
        .send({ quantity: 1 });
      expectApiError(res, 400, 'validation_failed');
      expect(await requests(event.id)).toBe(before);
    });
  });

  describe('GET /events query', () => {
    test('control: a well-formed query is answered', async () => {
      const name = `Query ${randomUUID()}`;
      const event = await createEvent(api.baseUrl, admin, { name, startsAt: inDays(10) });
      const res = await http()
        .get('/events')
        .query({ from: inDays(1), to: inDays(60), q: name, limit: 1 });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [expect.objectContaining({ id: event.id, name })], next: null });
    });

    test.each<[string, Record<string, string>]>([
      ['from=garbage', { from: 'garbage' }],
      ['to=garbage', { to: 'garbage' }],
      ['to before from', { from: '2031-06-02T00:00:00Z', to: '2031-06-01T00:00:00Z' }],
      ['limit=0', { limit: '0' }],
      ['limit=101', { limit: '101' }],
      ['limit=abc', { limit: 'abc' }],
      ['limit=-1', { limit: '-1' }],
      ['limit=1.5', { limit: '1.5' }],
      ['cursor=garbage', { cursor: 'garbage' }],
      ['cursor of another shape', { cursor: cursorOf({ seq: '1' }) }],
      ['status=bogus', { status: 'bogus' }],
      ['q over 100 characters', { q: long(101) }],
    ])('%s -> 400 validation_failed', async (_label, query) => {
      const res = await http().get('/events').query(query);
      expectApiError(res, 400, 'validation_failed');
    });

    // Regression: February 31 was read as March 3; a well-formed cursor with unreadable values was a 500.
    test.each<[string, Record<string, string>]>([
      ['from=February 31', { from: '2031-02-31' }],
      ['cursor with a forged date', { cursor: cursorOf({ startsAt: 'not-a-date', id: UUID }) }],
      ['cursor with a forged id', { cursor: cursorOf({ startsAt: '2031-01-01T00:00:00.000Z', id: 'nope' }) }],
    ])('%s -> 400 validation_failed', async (_label, query) => {
      expectApiError(await http().get('/events').query(query), 400, 'validation_failed');
    });

    test('limit given twice -> 400 validation_failed', async () => {
      expectApiError(await http().get('/events?limit=5&limit=6'), 400, 'validation_failed');
    });
  });

  describe('list cursors on /bookings and /booking-requests', () => {
    test.each([
      ['/bookings', 'garbage', 'garbage'],
      ['/bookings', 'of another shape', cursorOf({ seq: '1' })],
      ['/booking-requests', 'garbage', 'garbage'],
      [
        '/booking-requests',
        'of another shape',
        cursorOf({ createdAt: '2031-01-01T00:00:00.000Z', id: UUID }),
      ],
    ])('GET %s with a cursor %s -> 400 validation_failed', async (path, _label, cursor) => {
      const res = await http().get(path).query({ cursor }).set(user.auth);
      expectApiError(res, 400, 'validation_failed');
    });

    // Regression: a well-formed cursor with values the database cannot read was a 500.
    test.each([
      ['/bookings', 'a forged date', cursorOf({ createdAt: 'yesterday', id: UUID })],
      ['/bookings', 'a forged id', cursorOf({ createdAt: '2031-01-01T00:00:00.000Z', id: 'nope' })],
      ['/booking-requests', 'a forged seq', cursorOf({ seq: 'not-a-number' })],
    ])('GET %s with a cursor holding %s -> 400 validation_failed', async (path, _label, cursor) => {
      const res = await http().get(path).query({ cursor }).set(user.auth);
      expectApiError(res, 400, 'validation_failed');
    });
  });

  describe('PATCH /events/:id (as admin)', () => {
    let event: { id: string; version: number };
    const unchanged = async (expected: { version: number; name: string }) => {
      const [row] = await api.deps.sequelize.query<{ version: number; name: string }>(
        'SELECT version, name FROM events WHERE id = $id',
        { bind: { id: event.id }, type: QueryTypes.SELECT },
      );
      expect(row).toEqual(expected);
    };

    beforeAll(async () => {
      event = await createEvent(api.baseUrl, admin, {
        name: 'Original',
        venue: `Patch Hall ${randomUUID()}`,
      });
    });

    test.each<[string, (version: number) => unknown]>([
      ['no version', () => ({ name: 'Renamed' })],
      ['only the version', (v) => ({ version: v })],
      ['version as a string', (v) => ({ version: String(v), name: 'Renamed' })],
      ['version 0', () => ({ version: 0, name: 'Renamed' })],
      ['capacity 0', (v) => ({ version: v, capacity: 0 })],
      ['status "cancelled"', (v) => ({ version: v, status: 'cancelled' })],
      ['unknown field', (v) => ({ version: v, name: 'Renamed', price: 1 })],
      ['an empty body', () => ({})],
    ])('%s -> 400 validation_failed', async (_label, make) => {
      const res = await http()
        .patch(`/events/${event.id}`)
        .set(admin.auth)
        .send(make(event.version) as Body);
      expectApiError(res, 400, 'validation_failed');
      await unchanged({ version: event.version, name: 'Original' });
    });

    test('an invalid uuid in the path -> 400, an unknown event -> 404', async () => {
      const bad = await http().patch('/events/not-a-uuid').set(admin.auth).send({ version: 1, name: 'x' });
      expectApiError(bad, 400, 'validation_failed');
      const unknown = await http()
        .patch(`/events/${randomUUID()}`)
        .set(admin.auth)
        .send({ version: 1, name: 'x' });
      expectApiError(unknown, 404, 'not_found');
    });

    test('a stale version -> 409 version_conflict and the newer edit stays', async () => {
      const fresh = await createEvent(api.baseUrl, admin, {
        name: 'Before',
        venue: `Patch Hall ${randomUUID()}`,
      });
      const first = await http()
        .patch(`/events/${fresh.id}`)
        .set(admin.auth)
        .send({ version: fresh.version, name: 'First edit' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ name: 'First edit', version: fresh.version + 1 });

      const stale = await http()
        .patch(`/events/${fresh.id}`)
        .set(admin.auth)
        .send({ version: fresh.version, name: 'Stale edit' });
      expectApiError(stale, 409, 'version_conflict');
      expect(stale.body.error.details).toEqual({ currentVersion: fresh.version + 1 });

      const now = await http().get(`/events/${fresh.id}`);
      expect(now.body).toMatchObject({ name: 'First edit', version: fresh.version + 1 });
    });
  });

  describe('ids in paths', () => {
    test.each([
      ['GET', '/booking-requests/not-a-uuid'],
      ['GET', '/bookings/not-a-uuid'],
      ['GET', '/events/not-a-uuid'],
      ['POST', '/bookings/not-a-uuid/cancel'],
      ['POST', '/events/not-a-uuid/cancel'],
    ])('%s %s -> 400 validation_failed', async (method, path) => {
      const auth = path.endsWith('/cancel') && path.startsWith('/events') ? admin.auth : user.auth;
      const res = await http()[method === 'GET' ? 'get' : 'post'](path).set(auth);
      expectApiError(res, 400, 'validation_failed');
    });

    // Regression: Joi's guid() took these spellings, which PostgreSQL's uuid type cannot read (500s).
    const spellings = [`(${UUID})`, `[${UUID}]`, UUID.replaceAll('-', ':')];
    test.each(
      spellings.flatMap((id) => [
        ['GET', `/events/${encodeURIComponent(id)}`],
        ['GET', `/bookings/${encodeURIComponent(id)}`],
        ['GET', `/booking-requests/${encodeURIComponent(id)}`],
        ['POST', `/events/${encodeURIComponent(id)}/bookings`],
      ]),
    )('%s %s (a uuid spelling PostgreSQL rejects) -> 400', async (method, path) => {
      const before = await count('booking_requests WHERE user_id = $id', { id: user.id });
      const res =
        method === 'GET'
          ? await http().get(path).set(user.auth)
          : await http().post(path).set(user.auth).send({ quantity: 1 });
      expectApiError(res, 400, 'validation_failed');
      expect(await count('booking_requests WHERE user_id = $id', { id: user.id })).toBe(before);
    });
  });

  test.each([
    ['/events/(id)', `/events/(${UUID})`],
    ['/bookings/[id]', `/bookings/${encodeURIComponent(`[${UUID}]`)}`],
    ['/events with a forged cursor', `/events?cursor=${cursorOf({ startsAt: 'x', id: 'y' })}`],
    ['/booking-requests with a forged cursor', `/booking-requests?cursor=${cursorOf({ seq: 'x' })}`],
  ])(
    'a request whose values reach the database unreadable (%s) answers without internals',
    async (_l, path) => {
      // Whatever the status, no SQL or stack reaches the client.
      const res = await http().get(path).set(user.auth);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message']);
      expectNoInternals(res);
    },
  );

  describe('routing', () => {
    test.each([
      ['GET', '/nope'],
      ['GET', '/events/x/y/z'],
      ['POST', '/auth/signup'],
      ['GET', '/admin/users/unknown/path'],
    ])('%s %s -> 404 not_found', async (method, path) => {
      const res = await http()[method === 'GET' ? 'get' : 'post'](path);
      expectApiError(res, 404, 'not_found');
    });

    test.each<['get' | 'put' | 'delete', string]>([
      ['delete', '/events'],
      ['put', `/events/${UUID}`],
      ['delete', `/events/${UUID}`],
      ['get', '/auth/register'],
      ['put', '/auth/login'],
      ['delete', '/health/live'],
    ])('%s %s -> 405 method_not_allowed', async (method, path) => {
      const res = await http()[method](path);
      expectApiError(res, 405, 'method_not_allowed');
    });

    // RFC 9110 (15.5.6) requires a 405 to carry Allow.
    test('a 405 lists the allowed methods in an Allow header', async () => {
      const res = await http().put('/auth/login');
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });
  });
});
