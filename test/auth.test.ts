import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser, uniqueEmail } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { countRows } from './support/rows.js';

const PASSWORD = 'correct-horse-battery';

describe('authentication and access control', () => {
  const api = useTestApi({}, { workers: 'in-process' });
  let admin: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
  });

  const http = () => request(api.baseUrl);

  const count = (from: string, bind: Record<string, unknown>) => countRows(api.deps.sequelize, from, bind);

  describe('register and login', () => {
    test('register answers 201 with the user and a working token pair, never the password hash', async () => {
      const email = uniqueEmail('Reg').replace('example', 'Example');
      const res = await http().post('/auth/register').send({ email, password: PASSWORD, name: 'Reg' });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        user: {
          id: expect.any(String),
          email: email.toLowerCase(),
          name: 'Reg',
          role: 'user',
          disabled: false,
          emailNotifications: true,
          createdAt: expect.any(String),
        },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: api.config.accessTokenTtlSeconds,
      });
      expect(res.text).not.toMatch(/password|scrypt\$/i);

      const [row] = await api.deps.sequelize.query<{ email: string; password_hash: string }>(
        'SELECT email, password_hash FROM users WHERE id = $id',
        { bind: { id: res.body.user.id }, type: QueryTypes.SELECT },
      );
      expect(row!.email).toBe(email.toLowerCase());
      expect(row!.password_hash).toMatch(/^scrypt\$/);
      expect(row!.password_hash).not.toContain(PASSWORD);

      const me = await http().get('/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`);
      expect(me.status).toBe(200);
      expect(me.body).toEqual(res.body.user);
    });

    test('the same email in another letter case is 409 email_taken and adds no account', async () => {
      const email = uniqueEmail('dup');
      const first = await http().post('/auth/register').send({ email, password: PASSWORD, name: 'First' });
      expect(first.status).toBe(201);

      const second = await http()
        .post('/auth/register')
        .send({ email: email.toUpperCase(), password: 'another-password-1', name: 'Second' });
      expectApiError(second, 409, 'email_taken');
      expect(await count('users WHERE lower(email) = lower($email)', { email })).toBe(1);

      // The first account keeps its password: the second attempt changed nothing.
      const login = await http().post('/auth/login').send({ email, password: PASSWORD });
      expect(login.status).toBe(200);
    });

    test('login with a wrong password or an unknown email is the same 401', async () => {
      const user = await registerUser(api.baseUrl, 'login');
      const wrong = await http().post('/auth/login').send({ email: user.email, password: 'wrong-password' });
      expectApiError(wrong, 401, 'unauthorized');
      expect(wrong.body).not.toHaveProperty('accessToken');

      const unknown = await http()
        .post('/auth/login')
        .send({ email: uniqueEmail('nobody'), password: PASSWORD });
      expectApiError(unknown, 401, 'unauthorized');
      expect(unknown.body.error.message).toBe(wrong.body.error.message);
    });

    test('login with the right password (any letter case of the email) gives a working pair', async () => {
      const user = await registerUser(api.baseUrl, 'login-ok');
      const res = await http()
        .post('/auth/login')
        .send({ email: user.email.toUpperCase(), password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: api.config.accessTokenTtlSeconds,
      });

      const me = await http().get('/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        id: user.id,
        email: user.email,
        name: 'login-ok',
        role: 'user',
        disabled: false,
        emailNotifications: true,
        createdAt: expect.any(String),
      });
      expect(me.text).not.toMatch(/password|scrypt\$/i);
    });
  });

  describe('token rejection', () => {
    let user: Actor;
    beforeAll(async () => {
      user = await registerUser(api.baseUrl, 'tokens');
    });

    const now = () => Math.floor(Date.now() / 1000);
    const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    /** Claims as the service signs them; the forged ones below all claim the admin role. */
    const claims = (overrides: Record<string, unknown> = {}) => ({
      sub: user.id,
      role: 'admin',
      typ: 'access',
      jti: randomUUID(),
      exp: now() + 300,
      ...overrides,
    });
    const sign = (payload: object, secret = api.config.jwtSecret) =>
      jwt.sign(payload, secret, { algorithm: 'HS256' });
    const bearer = (token: string) => `Bearer ${token}`;

    function tamperedRole(token: string): string {
      const [header, payload, signature] = token.split('.');
      const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      return [header, b64url({ ...decoded, role: 'admin' }), signature].join('.');
    }

    /** An admin-only call that would create an account: a 401 here means no privilege was gained. */
    async function expectRefused(authorization: string | undefined) {
      const headers: Record<string, string> =
        authorization === undefined ? {} : { Authorization: authorization };
      const me = await http().get('/auth/me').set(headers);
      expectApiError(me, 401, 'unauthorized');
      expect(me.headers['www-authenticate']).toBe('Bearer');

      const email = uniqueEmail('forged');
      const create = await http()
        .post('/admin/users')
        .set(headers)
        .send({ email, password: PASSWORD, name: 'Forged', role: 'admin' });
      expectApiError(create, 401, 'unauthorized');
      expect(await count('users WHERE email = $email', { email })).toBe(0);
    }

    test('control: a token signed with the service secret and these claims is accepted', async () => {
      // Proves the forging helpers make tokens the service understands, so each 401 below is
      // caused by the one defect that case introduces.
      const me = await http()
        .get('/auth/me')
        .set('Authorization', bearer(sign(claims({ role: 'user' }))));
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(user.id);
      // Admin routes also confirm the role in the database: the control names a real admin.
      const asAdmin = await http()
        .post('/admin/users')
        .set('Authorization', bearer(sign(claims({ sub: admin.id }))))
        .send({ email: uniqueEmail('control'), password: PASSWORD, name: 'Control', role: 'user' });
      expect(asAdmin.status).toBe(201);
      // A valid signature with a role the account does not have gains nothing.
      const claimed = await http()
        .post('/admin/users')
        .set('Authorization', bearer(sign(claims())))
        .send({ email: uniqueEmail('control'), password: PASSWORD, name: 'Control', role: 'user' });
      expectApiError(claimed, 403, 'forbidden');
    });

    test.each<[string, () => string | undefined]>([
      ['missing Authorization header', () => undefined],
      ['empty Authorization header', () => ''],
      ['scheme other than Bearer', () => `Token ${user.token}`],
      ['Basic credentials', () => `Basic ${Buffer.from(`${user.email}:${PASSWORD}`).toString('base64')}`],
      ['Bearer without a token', () => 'Bearer '],
      ['token with a space in it', () => `Bearer ${user.token} extra`],
      ['token that is not a JWT', () => 'Bearer not.a.jwt'],
      ['expired token', () => bearer(sign(claims({ exp: now() - 60, iat: now() - 120 })))],
      ['payload changed to role admin, signature kept', () => bearer(tamperedRole(user.token))],
      ['alg none', () => bearer(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`)],
      [
        'alg none with the original signature',
        () => {
          const [, , signature] = user.token.split('.');
          return bearer(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.${signature}`);
        },
      ],
      [
        'HS512 with the right secret (algorithm not pinned)',
        () => bearer(jwt.sign(claims(), api.config.jwtSecret, { algorithm: 'HS512' })),
      ],
      [
        'signed with another secret',
        () => bearer(sign(claims(), 'another-secret-of-at-least-32-characters!')),
      ],
      ['a refresh token used as an access token', () => bearer(user.refreshToken)],
      ['token without a jti', () => bearer(sign(claims({ jti: undefined })))],
      ['token without a subject', () => bearer(sign(claims({ sub: undefined })))],
    ])('%s -> 401 with the error shape', async (_label, header) => {
      await expectRefused(header());
    });

    test('after logout the same access token (and the refresh token sent with it) are refused', async () => {
      const victim = await registerUser(api.baseUrl, 'logout');
      expect((await http().get('/auth/me').set(victim.auth)).status).toBe(200);

      const logout = await http()
        .post('/auth/logout')
        .set(victim.auth)
        .send({ refreshToken: victim.refreshToken });
      expect(logout.status).toBe(204);

      const after = await http().get('/auth/me').set(victim.auth);
      expectApiError(after, 401, 'unauthorized');
      const refresh = await http().post('/auth/refresh').send({ refreshToken: victim.refreshToken });
      expectApiError(refresh, 401, 'unauthorized');
      // Logging out twice with the revoked token is itself refused.
      expectApiError(await http().post('/auth/logout').set(victim.auth), 401, 'unauthorized');
    });

    test('logout revokes only the token used: another session of the same user keeps working', async () => {
      const victim = await registerUser(api.baseUrl, 'two-sessions');
      const other = await http().post('/auth/login').send({ email: victim.email, password: PASSWORD });
      expect(other.status).toBe(200);

      expect((await http().post('/auth/logout').set(victim.auth)).status).toBe(204);
      expectApiError(await http().get('/auth/me').set(victim.auth), 401, 'unauthorized');
      const stillIn = await http().get('/auth/me').set('Authorization', `Bearer ${other.body.accessToken}`);
      expect(stillIn.status).toBe(200);
    });
  });

  describe('refresh rotation', () => {
    test('refresh returns a new pair that works; the old refresh token is spent', async () => {
      const user = await registerUser(api.baseUrl, 'refresh');
      const res = await http().post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
      expect(res.body.accessToken).not.toBe(user.token);
      expect(res.body.refreshToken).not.toBe(user.refreshToken);

      const me = await http().get('/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`);
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(user.id);

      const next = await http().post('/auth/refresh').send({ refreshToken: res.body.refreshToken });
      expect(next.status).toBe(200);

      // A replay is refused (and ends the whole session: test/tokens.test.ts).
      const replay = await http().post('/auth/refresh').send({ refreshToken: user.refreshToken });
      expectApiError(replay, 401, 'unauthorized');
    });

    test('an access token is not accepted as a refresh token', async () => {
      const user = await registerUser(api.baseUrl, 'refresh-access');
      const res = await http().post('/auth/refresh').send({ refreshToken: user.token });
      expectApiError(res, 401, 'unauthorized');
      // ...and trying did not spend the real refresh token.
      expect((await http().post('/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(200);
    });

    test('two concurrent refreshes with the same token: exactly one 200, and the reuse ends the session', async () => {
      const user = await registerUser(api.baseUrl, 'refresh-race');
      const responses = await Promise.all(
        [1, 2].map(() => http().post('/auth/refresh').send({ refreshToken: user.refreshToken })),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([200, 401]);
      const loser = responses.find((r) => r.status === 401)!;
      expectApiError(loser, 401, 'unauthorized');
      // The second use of one refresh token is reuse, whoever sent it: the family is revoked,
      // the winner's new pair with it (OAuth 2.0 Security BCP, refresh token rotation).
      const winner = responses.find((r) => r.status === 200)!;
      const me = await http().get('/auth/me').set('Authorization', `Bearer ${winner.body.accessToken}`);
      expectApiError(me, 401, 'unauthorized');
      const next = await http().post('/auth/refresh').send({ refreshToken: winner.body.refreshToken });
      expectApiError(next, 401, 'unauthorized');
    });
  });

  describe('access control', () => {
    let owner: Actor;
    let stranger: Actor;
    let partner: Actor;
    let event: { id: string; version: number };
    let requestId: string;
    let bookingId: string;

    /** Long-polls (`Prefer: wait=10`) until the booking request is decided. */
    async function decided(auth: Actor['auth'], id: string) {
      return waitFor(
        async () => {
          const res = await http().get(`/booking-requests/${id}`).set(auth).set('Prefer', 'wait=10');
          expect(res.status).toBe(200);
          return res.body.status !== 'queued' && res.body;
        },
        30000,
        `booking request ${id} to be decided`,
      );
    }

    beforeAll(async () => {
      [owner, stranger, partner] = await Promise.all([
        registerUser(api.baseUrl, 'owner'),
        registerUser(api.baseUrl, 'stranger'),
        createActor(api.baseUrl, 'partner'),
      ]);
      event = await createEvent(api.baseUrl, admin, { capacity: 5 });
      const booked = await http().post(`/events/${event.id}/bookings`).set(owner.auth).send({ quantity: 2 });
      expect(booked.status).toBe(202);
      requestId = booked.body.id;
      const outcome = await decided(owner.auth, requestId);
      expect(outcome).toMatchObject({ status: 'confirmed', booking: { userId: owner.id, quantity: 2 } });
      bookingId = outcome.booking.id;
    });

    test("another user's booking is 404, the owner's is 200", async () => {
      expect((await http().get(`/bookings/${bookingId}`).set(owner.auth)).status).toBe(200);
      const res = await http().get(`/bookings/${bookingId}`).set(stranger.auth);
      expectApiError(res, 404, 'not_found');
      expect(res.text).not.toContain(owner.id);
    });

    test("another user's booking request is 404, the owner's is 200", async () => {
      expect((await http().get(`/booking-requests/${requestId}`).set(owner.auth)).status).toBe(200);
      const res = await http().get(`/booking-requests/${requestId}`).set(stranger.auth);
      expectApiError(res, 404, 'not_found');
      expect(res.text).not.toContain(owner.id);
    });

    test("another user's booking is not in their list either", async () => {
      const res = await http().get('/bookings').query({ eventId: event.id }).set(stranger.auth);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
    });

    test("cancelling another user's booking is 404 and writes no cancel request", async () => {
      const res = await http().post(`/bookings/${bookingId}/cancel`).set(stranger.auth);
      expectApiError(res, 404, 'not_found');
      expect(await count(`booking_requests WHERE event_id = $id AND kind = 'cancel'`, { id: event.id })).toBe(
        0,
      );
      const booking = await http().get(`/bookings/${bookingId}`).set(owner.auth);
      expect(booking.body.status).toBe('confirmed');
    });

    describe('admin-only endpoints refuse users and partners with 403 and change nothing', () => {
      const venue = `Forbidden Hall ${randomUUID()}`;
      const escalation = (actor: Actor) => `escalate-${actor.id}@example.test`;
      const endpoints = [
        {
          name: 'POST /events',
          send: (actor: Actor) =>
            http()
              .post('/events')
              .set(actor.auth)
              .send({
                name: 'Nope',
                venue,
                startsAt: new Date(Date.now() + 86400000).toISOString(),
                capacity: 5,
              }),
          unchanged: async () => expect(await count('events WHERE venue = $venue', { venue })).toBe(0),
        },
        {
          name: 'PATCH /events/:id',
          send: (actor: Actor) =>
            http()
              .patch(`/events/${event.id}`)
              .set(actor.auth)
              .send({ version: event.version, name: 'Renamed' }),
          unchanged: async () =>
            expect(
              await count(`events WHERE id = $id AND version = $v AND name <> 'Renamed'`, {
                id: event.id,
                v: event.version,
              }),
            ).toBe(1),
        },
        {
          name: 'POST /events/:id/cancel',
          send: (actor: Actor) => http().post(`/events/${event.id}/cancel`).set(actor.auth),
          unchanged: async () =>
            expect(await count(`events WHERE id = $id AND status = 'on_sale'`, { id: event.id })).toBe(1),
        },
        {
          name: 'POST /admin/users',
          send: (actor: Actor) =>
            http()
              .post('/admin/users')
              .set(actor.auth)
              .send({ email: escalation(actor), password: PASSWORD, name: 'X', role: 'admin' }),
          unchanged: async (actor: Actor) =>
            expect(await count('users WHERE email = $email', { email: escalation(actor) })).toBe(0),
        },
      ];
      const cases = (['user', 'partner'] as const).flatMap((role) => endpoints.map((e) => ({ role, ...e })));

      test.each(cases)('$role: $name -> 403', async ({ role, send, unchanged }) => {
        const actor = role === 'user' ? stranger : partner;
        const res = await send(actor);
        expectApiError(res, 403, 'forbidden');
        await unchanged(actor);
      });
    });

    test('an admin creates a partner, who can log in and must send an Idempotency-Key to book', async () => {
      const email = uniqueEmail('partner');
      const created = await http()
        .post('/admin/users')
        .set(admin.auth)
        .send({ email, password: PASSWORD, name: 'Partner Co', role: 'partner' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        email,
        name: 'Partner Co',
        role: 'partner',
        disabled: false,
        emailNotifications: false,
        createdAt: expect.any(String),
      });
      expect(created.text).not.toMatch(/password|scrypt\$/i);

      const login = await http().post('/auth/login').send({ email, password: PASSWORD });
      expect(login.status).toBe(200);
      const auth = { Authorization: `Bearer ${login.body.accessToken}` };
      const me = await http().get('/auth/me').set(auth);
      expect(me.body).toMatchObject({ id: created.body.id, role: 'partner' });

      const mine = 'booking_requests WHERE event_id = $event AND user_id = $partner';
      const bind = { event: event.id, partner: created.body.id };
      const keyless = await http().post(`/events/${event.id}/bookings`).set(auth).send({ quantity: 1 });
      expectApiError(keyless, 400, 'validation_failed');
      expect(keyless.body.error.details).toEqual([
        expect.objectContaining({ in: 'headers', path: 'idempotency-key' }),
      ]);
      expect(await count(mine, bind)).toBe(0);

      const keyed = await http()
        .post(`/events/${event.id}/bookings`)
        .set(auth)
        .set('Idempotency-Key', randomUUID())
        .send({ quantity: 1 });
      expect(keyed.status).toBe(202);
      expect(await count(mine, bind)).toBe(1);
      expect(await decided(auth, keyed.body.id)).toMatchObject({ status: 'confirmed' });
    });

    test('self-registration cannot choose a role', async () => {
      const email = uniqueEmail('wannabe');
      const res = await http()
        .post('/auth/register')
        .send({ email, password: PASSWORD, name: 'Wannabe', role: 'admin' });
      expectApiError(res, 400, 'validation_failed');
      expect(await count('users WHERE email = $email', { email })).toBe(0);
    });
  });
});
