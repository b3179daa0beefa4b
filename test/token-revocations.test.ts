import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import type { Sequelize } from 'sequelize';
import { Tokens } from '../api/services/tokens.js';
import { loadConfig } from '../shared/config.js';
import { type Actor, createActor, registerUser } from './support/actors.js';
import { TEST_REDIS_URL } from './support/database.js';
import { useTestApi } from './support/environment.js';
import { flushRedisPrefix, waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';

const PASSWORD = 'correct-horse-battery';

/**
 * PostgreSQL is the source of truth for revocations; Redis holds the copy every request reads. A
 * Redis that lost its data (here: every key of this file's prefix deleted, which is all of this
 * service's Redis state, as a restart without its data or a FLUSHDB of a Redis of its own would
 * leave it) must refuse every token it refused before, without anyone acting.
 */
describe('token revocations survive a Redis loss', () => {
  const api = useTestApi();
  const http = () => api.http();
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const loseRedis = () => flushRedisPrefix(api.env.REDIS_PREFIX!);

  async function refresh(refreshToken: string) {
    const res = await http().post('/auth/refresh').send({ refreshToken });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; refreshToken: string };
  }

  async function login(email: string) {
    const res = await http().post('/auth/login').send({ email, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; refreshToken: string };
  }

  const me = (token: string) => http().get('/auth/me').set(bearer(token));

  async function expectRefused(...pairs: { accessToken?: string; refreshToken?: string }[]) {
    for (const { accessToken, refreshToken } of pairs) {
      if (accessToken) expectApiError(await me(accessToken), 401, 'unauthorized');
      if (refreshToken)
        expectApiError(await http().post('/auth/refresh').send({ refreshToken }), 401, 'unauthorized');
    }
  }

  async function expectAccepted(accessToken: string, userId: string) {
    const res = await me(accessToken);
    expect({ status: res.status, id: res.body.id }).toEqual({ status: 200, id: userId });
  }

  /** The SQL the API's database handle runs while `during` runs. */
  async function queriesDuring(sequelize: Sequelize, during: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    // The query object keeps its SQL once run (sequelize's AbstractQuery does not declare it).
    const record = (_options: unknown, query: object) => {
      seen.push(String((query as { sql?: string }).sql));
    };
    sequelize.addHook('afterQuery', 'count-queries', record);
    try {
      await during();
    } finally {
      sequelize.removeHook('afterQuery', 'count-queries');
    }
    return seen;
  }

  test('logout: the access token, its family and the refresh token sent with it stay refused', async () => {
    const user = await registerUser(api.baseUrl, 'logout');
    const elsewhere = await login(user.email);
    const rotated = await refresh(user.refreshToken);
    const other = await login(user.email);
    const logout = await http()
      .post('/auth/logout')
      .set(bearer(rotated.accessToken))
      .send({ refreshToken: other.refreshToken });
    expect(logout.status).toBe(204);
    await expectRefused(rotated, other, { accessToken: user.token });

    await loseRedis();
    expect(await api.deps.redis.exists(`${api.env.REDIS_PREFIX}:user-{${user.id}}:revocations-loaded`)).toBe(
      0,
    );

    await expectRefused(rotated, other, { accessToken: user.token });
    // Only what was revoked: the session that did not log out goes on.
    await expectAccepted(elsewhere.accessToken, user.id);
    await expectAccepted((await refresh(elsewhere.refreshToken)).accessToken, user.id);
  });

  test('refresh rotation: a spent refresh token stays spent; replaying it ends the family', async () => {
    const user = await registerUser(api.baseUrl, 'rotation');
    const second = await refresh(user.refreshToken);
    const third = await refresh(second.refreshToken);

    await loseRedis();

    // An attacker replays the first refresh token, copied before it was spent.
    expectApiError(
      await http().post('/auth/refresh').send({ refreshToken: user.refreshToken }),
      401,
      'unauthorized',
    );
    // The replay revoked the family: the newest pair is dead too.
    await expectRefused(third, second);
  });

  test('two concurrent uses of one refresh token after the loss: exactly one is answered', async () => {
    const user = await registerUser(api.baseUrl, 'race');
    await loseRedis();
    const answers = await Promise.all(
      [1, 2].map(() => http().post('/auth/refresh').send({ refreshToken: user.refreshToken })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    // The loser's use is a reuse: the winner's pair belongs to a revoked family.
    const winner = answers.find((a) => a.status === 200)!.body;
    await expectRefused(winner);
  });

  test('a password change, a disabled account and a demotion stay in force', async () => {
    const changed = await registerUser(api.baseUrl, 'password');
    const res = await http()
      .post('/auth/password')
      .set(changed.auth)
      .send({ currentPassword: PASSWORD, newPassword: 'a-brand-new-passphrase' });
    expect(res.status).toBe(200);

    const admin = await createActor(api.baseUrl, 'admin');
    const disabled = await registerUser(api.baseUrl, 'disabled');
    expect(
      (await http().patch(`/admin/users/${disabled.id}`).set(admin.auth).send({ disabled: true })).status,
    ).toBe(200);
    const demoted = await createActor(api.baseUrl, 'admin');
    expect(
      (await http().patch(`/admin/users/${demoted.id}`).set(admin.auth).send({ role: 'user' })).status,
    ).toBe(200);
    // An admin may list another user's bookings; the demoted account's token still claims admin.
    const othersBookings = (actor: Actor) => http().get(`/bookings?userId=${changed.id}`).set(actor.auth);
    expect((await othersBookings(admin)).status).toBe(200);
    expectApiError(await othersBookings(demoted), 403, 'forbidden');

    await loseRedis();

    await expectRefused(asPair(changed), asPair(disabled));
    await expectAccepted(res.body.accessToken, changed.id);
    expectApiError(await othersBookings(demoted), 403, 'forbidden');
    // Enabled again: the old tokens stay dead (they were issued before the disabling), a sign-in works.
    expect(
      (await http().patch(`/admin/users/${disabled.id}`).set(admin.auth).send({ disabled: false })).status,
    ).toBe(200);
    await loseRedis();
    await expectRefused(asPair(disabled));
    await expectAccepted((await login(disabled.email)).accessToken, disabled.id);
  });

  test('a deleted account is refused', async () => {
    const ghost = await registerUser(api.baseUrl, 'ghost');
    await expectAccepted(ghost.token, ghost.id);
    await api.deps.sequelize.query('DELETE FROM users WHERE id = $id', { bind: { id: ghost.id } });
    await loseRedis();
    await expectRefused(asPair(ghost));
  });

  test('the normal path reads no PostgreSQL: one MGET; only the first check after the loss reads the user', async () => {
    const user = await registerUser(api.baseUrl, 'reads');
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const tokens = new Tokens(api.config, redis, api.env.REDIS_PREFIX!, api.deps.sequelize);
      await redis.ping(); // connected: the handshake's commands are not counted
      const sent: string[] = [];
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = (command, stream) => {
        sent.push(command.name);
        return send(command, stream);
      };
      const verify = () => tokens.verify(user.token, 'access');

      await loseRedis();
      const first = await queriesDuring(api.deps.sequelize, verify);
      expect(first.filter((sql) => sql.includes('token_revocations'))).toHaveLength(1);
      expect(sent).toEqual(['mget', 'multi', 'set', 'del', 'del', 'set', 'exec']);

      sent.length = 0;
      for (let i = 0; i < 3; i++) {
        expect(await queriesDuring(api.deps.sequelize, verify)).toEqual([]);
        expect((await verify()).id).toBe(user.id);
      }
      expect(sent).toEqual(Array(6).fill('mget'));
    } finally {
      await redis.quit();
    }

    // Through the API: /auth/me reads the account and nothing else.
    const queries = await queriesDuring(api.deps.sequelize, async () => {
      expect((await me(user.token)).status).toBe(200);
    });
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/FROM "users" AS "User" WHERE "User"."id" = /);
  });

  test('a burst of one user’s requests after the loss shares one load', async () => {
    const user = await registerUser(api.baseUrl, 'burst');
    await loseRedis();
    const queries = await queriesDuring(api.deps.sequelize, async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => me(user.token)));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    });
    expect(queries.filter((sql) => sql.includes('token_revocations'))).toHaveLength(1);
  });

  test('a copy that lost one key is corrected by the next reload', async () => {
    // What a Redis that kept its old data but lost its last writes looks like: the user's copy is
    // marked loaded, the newest revocation is missing. It lasts until the mark expires.
    const tokens = new Tokens(
      { ...api.config, revocationReloadSeconds: 1 },
      api.deps.redis,
      api.env.REDIS_PREFIX!,
      api.deps.sequelize,
    );
    const user = await registerUser(api.baseUrl, 'partial');
    const victim = await tokens.verify(user.token, 'access');
    await tokens.revoke(victim);
    const claims = jwt.decode(user.token) as { jti: string };
    const key = `${api.env.REDIS_PREFIX}:user-{${user.id}}:revoked-token:${claims.jti}`;
    expect(await api.deps.redis.del(key)).toBe(1);

    const refused = await waitFor(
      () =>
        tokens.verify(user.token, 'access').then(
          () => false,
          (err: Error) => err.message === 'Token has been revoked',
        ),
      10_000,
      'the reload to find the revocation again',
    );
    expect(refused).toBe(true);
    expect(await api.deps.redis.exists(key)).toBe(1);
  });

  test('revocations are recorded in PostgreSQL, with when what they revoke expires', async () => {
    const user = await registerUser(api.baseUrl, 'rows');
    const rotated = await refresh(user.refreshToken);
    expect((await http().post('/auth/logout').set(bearer(rotated.accessToken))).status).toBe(204);
    const claim = (token: string) => jwt.decode(token) as { jti: string; fam: string; exp: number };
    const [rows] = await api.deps.sequelize.query(
      `SELECT id, kind, floor(extract(epoch FROM expires_at))::int AS exp FROM token_revocations
        WHERE user_id = $userId ORDER BY kind`,
      { bind: { userId: user.id } },
    );
    const family = rows.find((r) => (r as { kind: string }).kind === 'family') as { exp: number };
    expect(rows).toEqual([
      { id: claim(rotated.accessToken).jti, kind: 'access', exp: claim(rotated.accessToken).exp },
      { id: claim(user.token).fam, kind: 'family', exp: family.exp },
      { id: claim(user.refreshToken).jti, kind: 'refresh', exp: claim(user.refreshToken).exp },
    ]);
    // A family outlives every refresh token it could still have issued.
    expect(family.exp).toBeGreaterThanOrEqual(claim(rotated.refreshToken).exp);
  });

  test('a token whose ids are not UUIDs is refused before anything is looked up', async () => {
    const user = await registerUser(api.baseUrl, 'ids');
    const sign = (claims: object) =>
      jwt.sign(
        { sub: user.id, role: 'user', typ: 'access', jti: randomUUID(), ...claims },
        api.config.jwtSecret,
        {
          algorithm: 'HS256',
          expiresIn: 60,
        },
      );
    for (const token of [sign({ jti: 'not-a-uuid' }), sign({ fam: 'x' }), sign({ sub: 'admin' })])
      expectApiError(await me(token), 401, 'unauthorized');
    await expectAccepted(sign({}), user.id);
  });
});

const asPair = (actor: Actor) => ({ accessToken: actor.token, refreshToken: actor.refreshToken });

describe('REVOCATION_RELOAD_SECONDS', () => {
  test('defaults to 300; whole seconds from 1 to 86400', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).revocationReloadSeconds).toBe(300);
    expect(loadConfig({ NODE_ENV: 'test', REVOCATION_RELOAD_SECONDS: '60' }).revocationReloadSeconds).toBe(
      60,
    );
    for (const bad of ['0', '1.5', '86401', 'soon'])
      expect(() => loadConfig({ NODE_ENV: 'test', REVOCATION_RELOAD_SECONDS: bad })).toThrow(
        'REVOCATION_RELOAD_SECONDS',
      );
  });
});
