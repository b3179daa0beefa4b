import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { ensureAdmin } from '../api/services/accounts.js';
import { Tokens } from '../api/services/tokens.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { withRefusedRows } from './support/rows.js';

describe('accounts: admins list, disable and re-role them; a disabled or deleted account is refused at once', () => {
  const api = useTestApi();
  let admin: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
  });

  const http = () => request(api.baseUrl);
  const patch = (id: string, body: object, as: Actor = admin) =>
    http().patch(`/admin/users/${id}`).set(as.auth).send(body);
  const requestsOf = async (userId: string) =>
    (
      await api.deps.sequelize.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM booking_requests WHERE user_id = $userId',
        { bind: { userId }, type: QueryTypes.SELECT },
      )
    )[0]!.n;

  test('GET /admin/users filters by email, role and disabled, newest first, in pages', async () => {
    const marker = randomUUID().slice(0, 8);
    const emails = [`a-${marker}@example.test`, `b-${marker}@example.test`, `c-${marker}@example.test`];
    const ids: string[] = [];
    for (const email of emails) {
      const res = await http()
        .post('/admin/users')
        .set(admin.auth)
        .send({ email, password: 'correct-horse-battery', name: 'Listed', role: 'partner' });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/admin/users/${res.body.id}`);
      ids.push(res.body.id);
    }
    expect((await patch(ids[1]!, { disabled: true })).status).toBe(200);

    const first = await http()
      .get('/admin/users')
      .query({ email: marker.toUpperCase(), limit: 2 })
      .set(admin.auth);
    expect(first.status).toBe(200);
    expect(first.body.data.map((u: { email: string }) => u.email)).toEqual([emails[2], emails[1]]);
    expect(first.body.data[0]).toEqual({
      id: ids[2],
      email: emails[2],
      name: 'Listed',
      role: 'partner',
      disabled: false,
      // Partners book for other people and have webhooks: attendee emails start off.
      emailNotifications: false,
      createdAt: expect.any(String),
    });
    expect(first.body.data[0].passwordHash).toBeUndefined();
    const second = await http()
      .get('/admin/users')
      .query({ email: marker, limit: 2, cursor: first.body.next })
      .set(admin.auth);
    expect(second.body.data.map((u: { email: string }) => u.email)).toEqual([emails[0]]);
    expect(second.body.next).toBeNull();

    const disabled = await http()
      .get('/admin/users')
      .query({ email: marker, disabled: true })
      .set(admin.auth);
    expect(disabled.body.data.map((u: { id: string }) => u.id)).toEqual([ids[1]]);
    const users = await http().get('/admin/users').query({ email: marker, role: 'user' }).set(admin.auth);
    expect(users.body.data).toEqual([]);
    // `%` and `_` are text, not wildcards.
    const wildcard = await http().get('/admin/users').query({ email: '%' }).set(admin.auth);
    expect(wildcard.status).toBe(200);
    expect(wildcard.body.data).toEqual([]);

    const one = await http().get(`/admin/users/${ids[1]}`).set(admin.auth);
    expect(one.body).toMatchObject({ id: ids[1], disabled: true });
  });

  test('only admins reach /admin/users; bad input is a 400 or 404 that changes nothing', async () => {
    const user = await registerUser(api.baseUrl);
    expect((await http().get('/admin/users')).status).toBe(401);
    expect((await http().get('/admin/users').set(user.auth)).status).toBe(403);
    expect((await patch(user.id, { disabled: true }, user)).status).toBe(403);
    for (const [body, status] of [
      [{}, 400],
      [{ role: 'root' }, 400],
      [{ disabled: 'yes' }, 400],
      [{ disabled: true, email: 'x@example.test' }, 400],
    ] as const) {
      const res = await patch(user.id, body);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await patch(randomUUID(), { disabled: true })).status).toBe(404);
    expect((await http().get('/admin/users').query({ limit: 0 }).set(admin.auth)).status).toBe(400);
    expect((await http().get('/auth/me').set(user.auth)).body).toMatchObject({
      role: 'user',
      disabled: false,
    });
  });

  test('disabling refuses the access token, the refresh token and sign-in at once; enabling restores sign-in', async () => {
    const user = await registerUser(api.baseUrl);
    const event = await createEvent(api.baseUrl, admin);
    expect((await patch(user.id, { disabled: true })).body).toMatchObject({ id: user.id, disabled: true });

    const me = await http().get('/auth/me').set(user.auth);
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('unauthorized');
    const booking = await http().post(`/events/${event.id}/bookings`).set(user.auth).send({ quantity: 1 });
    expect(booking.status).toBe(401);
    expect(await requestsOf(user.id)).toBe(0);
    expect((await http().post('/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);
    const login = await http()
      .post('/auth/login')
      .send({ email: user.email, password: 'correct-horse-battery' });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe('account_disabled');
    // The wrong password learns nothing about the account's state.
    const wrong = await http().post('/auth/login').send({ email: user.email, password: 'not-the-password' });
    expect(wrong.status).toBe(401);

    expect((await patch(user.id, { disabled: false })).body.disabled).toBe(false);
    const again = await http()
      .post('/auth/login')
      .send({ email: user.email, password: 'correct-horse-battery' });
    expect(again.status).toBe(200);
    // Tokens from before the disabling stay dead; the new session works.
    expect((await http().get('/auth/me').set(user.auth)).status).toBe(401);
    const fresh = { Authorization: `Bearer ${again.body.accessToken}` };
    expect((await http().get('/auth/me').set(fresh)).status).toBe(200);
    expect((await http().post(`/events/${event.id}/bookings`).set(fresh).send({ quantity: 1 })).status).toBe(
      202,
    );
  });

  test('a role change applies on the next request, with the token already issued', async () => {
    const partner = await createActor(api.baseUrl, 'partner');
    const endpoints = () => http().get('/webhook-endpoints').set(partner.auth);
    expect((await endpoints()).status).toBe(200);

    expect((await patch(partner.id, { role: 'user' })).body.role).toBe('user');
    const demoted = await endpoints();
    expect(demoted.status).toBe(403);
    expect((await http().get('/auth/me').set(partner.auth)).body.role).toBe('user');
    // A refreshed session carries the new role in its claims too.
    const refreshed = await http().post('/auth/refresh').send({ refreshToken: partner.refreshToken });
    expect(refreshed.status).toBe(200);
    const claims = JSON.parse(Buffer.from(refreshed.body.accessToken.split('.')[1], 'base64url').toString());
    expect(claims.role).toBe('user');

    expect((await patch(partner.id, { role: 'partner' })).body.role).toBe('partner');
    expect((await endpoints()).status).toBe(200);
  });

  test('a token issued after the disabling (a sign-in that raced it) is refused too', async () => {
    const user = await registerUser(api.baseUrl);
    expect((await patch(user.id, { disabled: true })).status).toBe(200);
    // What a sign-in that read the account just before the disabling would hand out after it.
    const tokens = new Tokens(
      api.deps.config,
      api.deps.redis,
      api.deps.config.redisPrefix,
      api.deps.sequelize,
    );
    const raced = tokens.issue({ id: user.id, role: 'user' });
    const me = await http().get('/auth/me').set('Authorization', `Bearer ${raced.accessToken}`);
    expect(me.status).toBe(401);
    expect((await http().post('/auth/refresh').send({ refreshToken: raced.refreshToken })).status).toBe(401);
    // Enabled again: a fresh sign-in works (the flag is gone), the raced tokens stay dead.
    expect((await patch(user.id, { disabled: false })).status).toBe(200);
    const login = await http()
      .post('/auth/login')
      .send({ email: user.email, password: 'correct-horse-battery' });
    expect(
      (await http().get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`)).status,
    ).toBe(200);
  });

  test('partner and admin routes confirm the account in the database: deleted or demoted behind Redis’s back is refused', async () => {
    const gone = await createActor(api.baseUrl, 'admin');
    const demoted = await createActor(api.baseUrl, 'admin');
    const partner = await createActor(api.baseUrl, 'partner');
    await api.deps.sequelize.query('DELETE FROM users WHERE id = $id', { bind: { id: gone.id } });
    await api.deps.sequelize.query(`UPDATE users SET role = 'user' WHERE id IN ($a, $b)`, {
      bind: { a: demoted.id, b: partner.id },
    });
    const attempts = (actor: Actor) => [
      http().get('/admin/users').set(actor.auth),
      http()
        .post('/admin/users')
        .set(actor.auth)
        .send({
          email: `sneak-${randomUUID()}@example.test`,
          password: 'correct-horse-battery',
          name: 'S',
          role: 'admin',
        }),
      http()
        .post('/events')
        .set(actor.auth)
        .send({ name: 'x', venue: 'y', startsAt: '2031-01-01T00:00:00Z', capacity: 1 }),
      http().get('/admin/analytics/summary').set(actor.auth),
      http().get('/admin/queues/api/queues').set(actor.auth),
      http().get('/webhook-endpoints').set(actor.auth),
    ];
    for (const res of await Promise.all(attempts(gone))) expect(res.status).toBe(401);
    for (const res of await Promise.all(attempts(demoted))) expect(res.status).toBe(403);
    expect((await http().get('/webhook-endpoints').set(partner.auth)).status).toBe(403);
    expect(
      (
        await api.deps.sequelize.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM users WHERE email LIKE 'sneak-%'`,
          { type: QueryTypes.SELECT },
        )
      )[0]!.n,
    ).toBe(0);
  });

  test('a restart does not undo a demotion: ADMIN_EMAIL only creates a missing admin', async () => {
    const boss = await createActor(api.baseUrl, 'admin');
    const other = await createActor(api.baseUrl, 'admin');
    expect((await patch(boss.id, { role: 'user' }, other)).status).toBe(200);
    await ensureAdmin(boss.email, 'correct-horse-battery', api.deps.logger);
    expect((await http().get(`/admin/users/${boss.id}`).set(other.auth)).body.role).toBe('user');
  });

  test('an admin cannot disable or demote their own account', async () => {
    const other = await createActor(api.baseUrl, 'admin');
    for (const body of [{ disabled: true }, { role: 'user' }]) {
      const res = await patch(other.id, body, other);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('own_account');
    }
    expect((await http().get('/auth/me').set(other.auth)).body).toMatchObject({
      role: 'admin',
      disabled: false,
    });
  });

  test('a deleted account gets its own 401 inside a burst; the 16 others are all accepted', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 100 });
    const users = await Promise.all(
      Array.from({ length: 16 }, (_, i) => registerUser(api.baseUrl, `burst${i}`)),
    );
    const ghost = await registerUser(api.baseUrl, 'ghost');
    // A token used before: its user's state is in Redis, so the token check lets it through (as it
    // would any time the account is deleted behind Redis's back) and intake's own check refuses it.
    expect((await http().get('/auth/me').set(ghost.auth)).status).toBe(200);
    await api.deps.sequelize.query('DELETE FROM users WHERE id = $id', { bind: { id: ghost.id } });

    const everyone = [...users.slice(0, 8), ghost, ...users.slice(8)];
    const responses = await Promise.all(
      everyone.map((u) => http().post(`/events/${event.id}/bookings`).set(u.auth).send({ quantity: 1 })),
    );
    const ghostAnswer = responses[8]!;
    expect(ghostAnswer.status).toBe(401);
    expect(ghostAnswer.body.error).toMatchObject({
      code: 'unauthorized',
      message: 'Account disabled or deleted',
    });
    const others = responses.filter((_, i) => i !== 8);
    expect(others.map((r) => r.status)).toEqual(Array(16).fill(202));
    for (const u of users) expect(await requestsOf(u.id)).toBe(1);
  });

  test('an account disabled in the database is refused by intake even if its token was not revoked', async () => {
    // As if the Redis revocation had been lost: the intake statement checks the account itself.
    const event = await createEvent(api.baseUrl, admin);
    const user = await registerUser(api.baseUrl);
    await api.deps.sequelize.query('UPDATE users SET disabled_at = now() WHERE id = $id', {
      bind: { id: user.id },
    });
    const res = await http().post(`/events/${event.id}/bookings`).set(user.auth).send({ quantity: 1 });
    expect(res.status).toBe(401);
    expect(await requestsOf(user.id)).toBe(0);
  });

  test('a row that fails the group statement fails only its own request: the rest are committed one by one', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 100 });
    const users = await Promise.all(
      Array.from({ length: 16 }, (_, i) => registerUser(api.baseUrl, `group${i}`)),
    );
    const poisoned = await registerUser(api.baseUrl, 'poisoned');
    // A trigger refuses this one principal's rows: any data error of one row would do.
    const refused = {
      table: 'booking_requests',
      column: 'user_id',
      value: poisoned.id,
      message: 'poisoned row',
    };
    await withRefusedRows(api.deps.sequelize, refused, async () => {
      // Submitted in one tick, so intake's group commit puts all 17 in one statement.
      const everyone = [...users.slice(0, 8), poisoned, ...users.slice(8)];
      const results = await Promise.allSettled(
        everyone.map((u) =>
          api.deps.intake.submit({
            principal: {
              id: u.id,
              role: 'user',
              tokenId: randomUUID(),
              tokenType: 'access',
              expiresAt: Date.now() + 60_000,
            },
            eventId: event.id,
            kind: 'book',
            payload: { quantity: 1 },
            idempotencyKey: null,
            fingerprintOf: `book:${event.id}:1`,
          }),
        ),
      );
      const bad = results[8]!;
      expect(bad.status).toBe('rejected');
      expect(String((bad as PromiseRejectedResult).reason)).toMatch(/poisoned row/);
      const others = results.filter((_, i) => i !== 8);
      for (const r of others) {
        expect(r.status).toBe('fulfilled');
        expect((r as PromiseFulfilledResult<{ status: number }>).value.status).toBe(202);
      }
      for (const u of users) expect(await requestsOf(u.id)).toBe(1);
      expect(await requestsOf(poisoned.id)).toBe(0);

      // Through HTTP the poisoned caller gets the one error shape, nothing internal.
      const res = await http().post(`/events/${event.id}/bookings`).set(poisoned.auth).send({ quantity: 1 });
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('internal_error');
      expect(JSON.stringify(res.body)).not.toMatch(/poisoned row|booking_requests/);
    });
  });
});
