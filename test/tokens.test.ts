import jwt from 'jsonwebtoken';
import request from 'supertest';
import { type Actor, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { expectApiError } from './support/http.js';

const PASSWORD = 'correct-horse-battery';

interface Pair {
  accessToken: string;
  refreshToken: string;
}

const claimsOf = (token: string) => jwt.decode(token) as { fam: string; iat: number; jti: string };

describe('token hygiene: sessions (families), rotation, reuse, logout, password change', () => {
  const api = useTestApi();

  const http = () => request(api.baseUrl);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function refresh(refreshToken: string): Promise<Pair> {
    const res = await http().post('/auth/refresh').send({ refreshToken });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function login(email: string, password = PASSWORD): Promise<Pair> {
    const res = await http().post('/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Every token is refused: access tokens on /auth/me, refresh tokens on /auth/refresh. */
  async function expectDead(...pairs: Partial<Pair>[]) {
    for (const { accessToken, refreshToken } of pairs) {
      if (accessToken)
        expectApiError(await http().get('/auth/me').set(bearer(accessToken)), 401, 'unauthorized');
      if (refreshToken)
        expectApiError(await http().post('/auth/refresh').send({ refreshToken }), 401, 'unauthorized');
    }
  }

  async function expectAlive(accessToken: string, userId: string) {
    const me = await http().get('/auth/me').set(bearer(accessToken));
    expect({ status: me.status, id: me.body.id }).toEqual({ status: 200, id: userId });
  }

  const asPair = (actor: Actor): Pair => ({ accessToken: actor.token, refreshToken: actor.refreshToken });

  test('a sign-in starts a family; refreshing keeps it; another sign-in starts another', async () => {
    const user = await registerUser(api.baseUrl, 'family');
    const first = asPair(user);
    const fam = claimsOf(first.accessToken).fam;
    expect(fam).toEqual(expect.any(String));
    expect(claimsOf(first.refreshToken).fam).toBe(fam);

    const rotated = await refresh(first.refreshToken);
    expect(claimsOf(rotated.accessToken).fam).toBe(fam);
    expect(claimsOf(rotated.refreshToken).fam).toBe(fam);

    const other = await login(user.email);
    expect(claimsOf(other.accessToken).fam).not.toBe(fam);
    // Access tokens stay short-lived.
    const { iat, exp } = jwt.decode(other.accessToken) as { iat: number; exp: number };
    expect(exp - Math.floor(iat)).toBe(api.config.accessTokenTtlSeconds);
  });

  test('reusing a spent refresh token revokes the whole family, access tokens included', async () => {
    const user = await registerUser(api.baseUrl, 'reuse');
    const elsewhere = await login(user.email); // another session of the same user
    const first = asPair(user);
    const second = await refresh(first.refreshToken);
    const third = await refresh(second.refreshToken);
    await expectAlive(third.accessToken, user.id);

    // An attacker replays the first refresh token (copied before it was spent).
    expectApiError(
      await http().post('/auth/refresh').send({ refreshToken: first.refreshToken }),
      401,
      'unauthorized',
    );

    // Every token of that family is dead, including the access token minted from the last refresh...
    await expectDead(first, second, third);
    // ...and the family stays revoked as long as any of its refresh tokens could live.
    const ttl = await api.deps.redis.ttl(
      `${api.env.REDIS_PREFIX}:user-{${user.id}}:revoked-family:${claimsOf(third.accessToken).fam}`,
    );
    expect(ttl).toBeGreaterThan(api.config.refreshTokenTtlSeconds - 60);
    expect(ttl).toBeLessThanOrEqual(api.config.refreshTokenTtlSeconds);
    // The user's other session is another family: untouched.
    await expectAlive(elsewhere.accessToken, user.id);
    expect((await refresh(elsewhere.refreshToken)).accessToken).toEqual(expect.any(String));
  });

  test('logout revokes the access token and its family: no refresh token of it works afterwards', async () => {
    const user = await registerUser(api.baseUrl, 'logout-family');
    const elsewhere = await login(user.email);
    const first = asPair(user);
    const second = await refresh(first.refreshToken);

    // Logging out with the access token alone (the client lost its refresh token) ends the session.
    expect((await http().post('/auth/logout').set(bearer(second.accessToken))).status).toBe(204);
    await expectDead(second, { accessToken: first.accessToken });
    await expectAlive(elsewhere.accessToken, user.id);
  });

  test('logout with another session’s refresh token ends that session too', async () => {
    const user = await registerUser(api.baseUrl, 'logout-both');
    const other = await login(user.email);
    const res = await http()
      .post('/auth/logout')
      .set(bearer(user.token))
      .send({ refreshToken: other.refreshToken });
    expect(res.status).toBe(204);
    await expectDead(asPair(user), other);
  });

  describe('POST /auth/password', () => {
    test('changes the password and revokes every token issued before; the new login works', async () => {
      const user = await registerUser(api.baseUrl, 'password');
      const sessions = [asPair(user), await login(user.email)];
      const refreshed = await refresh(sessions[1]!.refreshToken);
      const newPassword = 'a-brand-new-passphrase';

      const res = await http()
        .post('/auth/password')
        .set(bearer(user.token))
        .send({ currentPassword: PASSWORD, newPassword });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: api.config.accessTokenTtlSeconds,
      });

      // Every session issued before the change is over, whichever family.
      await expectDead({ accessToken: sessions[0]!.accessToken }, sessions[1]!, refreshed);
      // The pair the change answered with works, and refreshes.
      await expectAlive(res.body.accessToken, user.id);
      await expectAlive((await refresh(res.body.refreshToken)).accessToken, user.id);

      // The old password no longer signs in; the new one does, at once (same second included).
      expectApiError(
        await http().post('/auth/login').send({ email: user.email, password: PASSWORD }),
        401,
        'unauthorized',
      );
      const fresh = await login(user.email, newPassword);
      await expectAlive(fresh.accessToken, user.id);
    });

    test('a wrong current password is 403 wrong_password and changes nothing', async () => {
      const user = await registerUser(api.baseUrl, 'password-wrong');
      const res = await http()
        .post('/auth/password')
        .set(bearer(user.token))
        .send({ currentPassword: 'not-the-password', newPassword: 'another-passphrase' });
      expectApiError(res, 403, 'wrong_password');
      await expectAlive(user.token, user.id);
      await login(user.email, PASSWORD);
    });

    test.each([
      ['a new password under 8 characters', { currentPassword: PASSWORD, newPassword: 'short' }],
      ['no current password', { newPassword: 'long-enough-password' }],
      ['an unknown field', { currentPassword: PASSWORD, newPassword: 'long-enough-password', x: 1 }],
    ])('%s is 400 and changes nothing', async (_label, body) => {
      const user = await registerUser(api.baseUrl, 'password-invalid');
      expectApiError(
        await http().post('/auth/password').set(bearer(user.token)).send(body),
        400,
        'validation_failed',
      );
      await expectAlive(user.token, user.id);
      await login(user.email, PASSWORD);
    });

    test('needs an access token', async () => {
      const res = await http()
        .post('/auth/password')
        .send({ currentPassword: PASSWORD, newPassword: 'long-enough-password' });
      expectApiError(res, 401, 'unauthorized');
    });
  });
});
