import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request, { type Response } from 'supertest';
import { createUser } from '../api/services/accounts.js';
import type { Role } from '../shared/domain.js';
import { type Actor, createEvent, uniqueEmail } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { submitBooking } from './support/factory.js';
import { expectApiError } from './support/http.js';

const PASSWORD = 'correct-horse-battery';

/** Tight budgets of this file's own; the rest of the suite runs with budgets it never reaches. */
const LIMITS = {
  RATE_LIMIT_LOGIN_PER_IP: '5',
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '3',
  RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS: '900',
  RATE_LIMIT_BOOKINGS_PER_MINUTE: '3',
  RATE_LIMIT_PARTNER_BOOKINGS_PER_MINUTE: '6',
};

/** A distinct client address per call (TEST-NET-3 and friends), sent as X-Forwarded-For. */
let lastOctets = 0;
const freshIp = () => {
  lastOctets += 1;
  return `198.51.${Math.floor(lastOctets / 250)}.${(lastOctets % 250) + 1}`;
};

/** 429 rate_limited with an integer Retry-After in (0, max] seconds that the details repeat. */
function expectRateLimited(res: Response, maxSeconds: number): void {
  expectApiError(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect(res.body.error.details).toEqual({ retryAfterSeconds: retryAfter });
}

describe('rate limits', () => {
  // Behind a (trusted) proxy, so each test can be its own client address.
  const api = useTestApi({ ...LIMITS, TRUST_PROXY: 'true' });
  let admin: Actor;

  const http = () => request(api.baseUrl);
  const login = (email: string, password: string, ip = freshIp()) =>
    http().post('/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  /** An account made directly, signed in through the API from an address of its own. */
  async function signedIn(role: Role): Promise<Actor> {
    const email = uniqueEmail(role);
    const user = await createUser({ email, password: PASSWORD, name: role, role });
    const res = await login(email, PASSWORD);
    expect(res.status).toBe(200);
    const token = res.body.accessToken;
    return {
      id: user.id,
      email,
      token,
      refreshToken: res.body.refreshToken,
      auth: { Authorization: `Bearer ${token}` },
    };
  }

  async function requestsBy(userId: string): Promise<number> {
    const [row] = await api.deps.sequelize.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM booking_requests WHERE user_id = $userId',
      { bind: { userId }, type: QueryTypes.SELECT },
    );
    return row!.n;
  }

  beforeAll(async () => {
    admin = await signedIn('admin');
  });

  describe('sign-in per account (brute force)', () => {
    test('after 3 failures the account is locked, even for the right password and from new addresses', async () => {
      const victim = await signedIn('user');
      const bystander = await signedIn('user');
      // A distributed guesser: every attempt from another address, so only the account budget bites.
      for (let i = 0; i < 3; i++) {
        expectApiError(await login(victim.email, `guess-${i}-wrong`), 401, 'unauthorized');
      }
      expectRateLimited(await login(victim.email, 'guess-4-wrong'), 900);
      const right = await login(victim.email, PASSWORD);
      expectRateLimited(right, 900);
      expect(right.body).not.toHaveProperty('accessToken');
      // The fields describe the budget that refused: the account's, spent.
      expect(right.headers['ratelimit-policy']).toBe('"account-failures";q=3;w=900');
      expect(right.headers.ratelimit).toBe(`"account-failures";r=0;t=${right.headers['retry-after']}`);
      // Email letter case makes no difference.
      expectRateLimited(await login(victim.email.toUpperCase(), PASSWORD), 900);

      // Other accounts sign in as usual; the locked account's live sessions keep working.
      expect((await login(bystander.email, PASSWORD)).status).toBe(200);
      expect((await http().get('/auth/me').set(victim.auth)).status).toBe(200);
    });

    test('the dashboard sign-in form draws on the same account budget', async () => {
      const victim = await signedIn('admin');
      const formLogin = (password: string) =>
        http()
          .post('/admin/login')
          .set('X-Forwarded-For', freshIp())
          .set('Origin', api.baseUrl)
          .type('form')
          .send({ email: victim.email, password });
      for (let i = 0; i < 3; i++) expect((await formLogin(`guess-${i}-wrong`)).status).toBe(401);
      expectRateLimited(await formLogin(PASSWORD), 900);
      // And the API's sign-in is locked for that account too: one budget.
      expectRateLimited(await login(victim.email, PASSWORD), 900);
    });

    test('unknown emails are limited the same way, so a lock-out does not reveal an account', async () => {
      const nobody = uniqueEmail('nobody');
      for (let i = 0; i < 3; i++) expectApiError(await login(nobody, 'wrong-password'), 401, 'unauthorized');
      expectRateLimited(await login(nobody, 'wrong-password'), 900);
    });

    test('a successful sign-in resets the account’s failures', async () => {
      const user = await signedIn('user');
      for (let i = 0; i < 2; i++)
        expectApiError(await login(user.email, 'wrong-password'), 401, 'unauthorized');
      expect((await login(user.email, PASSWORD)).status).toBe(200);
      // A fresh budget: three more failures before the lock, not one.
      for (let i = 0; i < 3; i++)
        expectApiError(await login(user.email, 'wrong-password'), 401, 'unauthorized');
      expectRateLimited(await login(user.email, PASSWORD), 900);
    });

    test('wrong current passwords on POST /auth/password draw on the same budget', async () => {
      const user = await signedIn('user');
      for (let i = 0; i < 3; i++) {
        const res = await http()
          .post('/auth/password')
          .set(user.auth)
          .send({ currentPassword: `guess-${i}`, newPassword: 'a-new-passphrase' });
        expectApiError(res, 403, 'wrong_password');
      }
      const locked = await http()
        .post('/auth/password')
        .set(user.auth)
        .send({ currentPassword: PASSWORD, newPassword: 'a-new-passphrase' });
      expectRateLimited(locked, 900);
      expectRateLimited(await login(user.email, PASSWORD), 900);
    });
  });

  describe('sign-in and registration per client address', () => {
    test('the 6th attempt in a minute from one address is 429; another address is unaffected', async () => {
      const ip = freshIp();
      const user = await signedIn('user');
      // Any mix counts: good and bad sign-ins, registrations, even invalid bodies.
      const attempts = [
        () => login(user.email, PASSWORD, ip),
        () => login(user.email, 'wrong-password', ip),
        () => login('not-an-email', 'x', ip),
        () =>
          http()
            .post('/auth/register')
            .set('X-Forwarded-For', ip)
            .send({ email: uniqueEmail('ip'), password: PASSWORD, name: 'IP' }),
        () => login(user.email, PASSWORD, ip),
      ];
      const answers = [];
      for (const attempt of attempts) answers.push(await attempt());
      expect(answers.map((a) => a.status)).toEqual([200, 401, 400, 201, 200]);
      expect(answers.map((a) => a.headers.ratelimit?.split(';t=')[0])).toEqual(
        [4, 3, 2, 1, 0].map((r) => `"sign-in";r=${r}`),
      );
      expect(answers[0]!.headers['ratelimit-policy']).toBe('"sign-in";q=5;w=60');

      expectRateLimited(await login(user.email, PASSWORD, ip), 60);
      const email = uniqueEmail('ip-limited');
      const register = await http()
        .post('/auth/register')
        .set('X-Forwarded-For', ip)
        .send({ email, password: PASSWORD, name: 'Late' });
      expectRateLimited(register, 60);
      const [row] = await api.deps.sequelize.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM users WHERE email = $email',
        { bind: { email }, type: QueryTypes.SELECT },
      );
      expect(row!.n).toBe(0);

      expect((await login(user.email, PASSWORD, freshIp())).status).toBe(200);
    });

    test('the address the proxy appended counts, not what the client put before it', async () => {
      const ip = freshIp();
      // The proxy appends the peer it saw; a client can only prepend addresses of its own choice.
      const spoofed = () => http().post('/auth/login').set('X-Forwarded-For', `${freshIp()}, ${ip}`);
      for (let i = 0; i < 5; i++) {
        expectApiError(
          await spoofed().send({ email: uniqueEmail('xff'), password: 'x' }),
          401,
          'unauthorized',
        );
      }
      expectRateLimited(await spoofed().send({ email: uniqueEmail('xff'), password: 'x' }), 60);
    });

    test('only the auth routes count: other requests from a limited address go through', async () => {
      const ip = freshIp();
      for (let i = 0; i < 5; i++) await login(uniqueEmail('spent'), 'wrong-password', ip);
      expectRateLimited(await login(uniqueEmail('spent'), 'wrong-password', ip), 60);
      const events = await http().get('/events').set('X-Forwarded-For', ip);
      expect(events.status).toBe(200);
      const me = await http().get('/auth/me').set('X-Forwarded-For', ip).set(admin.auth);
      expect(me.status).toBe(200);
    });
  });

  describe('booking submissions per caller', () => {
    let event: { id: string };
    beforeAll(async () => {
      event = await createEvent(api.baseUrl, admin, { capacity: 1000 });
    });

    const book = (actor: Actor) =>
      submitBooking(api, actor, event.id, { quantity: 1 }, { idempotencyKey: randomUUID() });

    test('a user gets 3 a minute: the 4th is 429 and writes nothing; another user is unaffected', async () => {
      const [user, other] = await Promise.all([signedIn('user'), signedIn('user')]);
      for (let i = 0; i < 3; i++) {
        const res = await book(user);
        expect(res.status).toBe(202);
        // Each answer tells the client its budget (IETF RateLimit fields) and what is left of it.
        expect(res.headers['ratelimit-policy']).toBe('"bookings";q=3;w=60');
        expect(res.headers.ratelimit).toMatch(new RegExp(`^"bookings";r=${2 - i};t=([1-9]|[1-5][0-9]|60)$`));
      }
      const limited = await book(user);
      expectRateLimited(limited, 60);
      expect(limited.headers['ratelimit-policy']).toBe('"bookings";q=3;w=60');
      expect(limited.headers.ratelimit).toBe(`"bookings";r=0;t=${limited.headers['retry-after']}`);
      expect(await requestsBy(user.id)).toBe(3);
      expect((await book(other)).status).toBe(202);
    });

    test('cancellations draw on the same budget', async () => {
      const user = await signedIn('user');
      expect((await book(user)).status).toBe(202);
      expect((await book(user)).status).toBe(202);
      // Counted before the booking is looked up, so even a miss spends budget.
      expectApiError(await http().post(`/bookings/${randomUUID()}/cancel`).set(user.auth), 404, 'not_found');
      expectRateLimited(await http().post(`/bookings/${randomUUID()}/cancel`).set(user.auth), 60);
      expectRateLimited(await book(user), 60);
    });

    test('concurrent submissions cannot slip past the budget', async () => {
      const user = await signedIn('user');
      const statuses = (await Promise.all(Array.from({ length: 10 }, () => book(user)))).map((r) => r.status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      expect(await requestsBy(user.id)).toBe(3);
    });

    test('partners get the bigger budget (6 a minute)', async () => {
      const partner = await signedIn('partner');
      for (let i = 0; i < 6; i++) {
        const res = await book(partner);
        expect(res.status).toBe(202);
        expect(res.headers['ratelimit-policy']).toBe('"partner-bookings";q=6;w=60');
      }
      expectRateLimited(await book(partner), 60);
      expect(await requestsBy(partner.id)).toBe(6);
    });
  });
});

describe('rate limits without a trusted proxy', () => {
  const api = useTestApi({ ...LIMITS, RATE_LIMIT_LOGIN_PER_IP: '3' });

  test('X-Forwarded-For is ignored: a client cannot pick a fresh address per attempt', async () => {
    const attempt = () =>
      request(api.baseUrl)
        .post('/auth/login')
        .set('X-Forwarded-For', freshIp())
        .send({ email: uniqueEmail('spoof'), password: 'wrong-password' });
    for (let i = 0; i < 3; i++) expectApiError(await attempt(), 401, 'unauthorized');
    expectRateLimited(await attempt(), 60);
  });
});

describe('RATE_LIMITS_ENABLED=false', () => {
  const api = useTestApi({ ...LIMITS, RATE_LIMIT_LOGIN_PER_IP: '1', RATE_LIMITS_ENABLED: 'false' });

  test('turns every limit off', async () => {
    const email = uniqueEmail('unlimited');
    await createUser({ email, password: PASSWORD, name: 'Unlimited' });
    for (let i = 0; i < 5; i++) {
      const res = await request(api.baseUrl).post('/auth/login').send({ email, password: 'wrong-password' });
      expectApiError(res, 401, 'unauthorized');
    }
    expect((await request(api.baseUrl).post('/auth/login').send({ email, password: PASSWORD })).status).toBe(
      200,
    );
  });
});
