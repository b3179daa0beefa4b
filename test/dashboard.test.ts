import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request, { type Response } from 'supertest';
import { createUser } from '../api/services/accounts.js';
import { eventQueueName, HOLD_EXPIRY_QUEUE } from '../shared/queues.js';
import { WEBHOOK_QUEUE } from '../shared/webhooks/types.js';
import { type Actor, createActor, createEvent, registerUser, uniqueEmail } from './support/actors.js';
import { artifactPath, browserTest, launchChromium } from './support/browser.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { DEFAULT_WAIT_MS, startInProcessWorker, waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';

const PASSWORD = 'correct-horse-battery';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The session cookie (`name=value`) a login answer set, and the whole Set-Cookie line. */
function sessionCookie(res: Response): { cookie: string; line: string } {
  const lines = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = lines.find((l) => l.startsWith('evently_admin='));
  if (!line) throw new Error(`no session cookie in ${res.status} ${JSON.stringify(res.headers)}`);
  return { cookie: line.split(';')[0]!, line };
}

describe('admin queue dashboard (/admin/queues)', () => {
  const api = useTestApi();
  let admin: Actor;
  let user: Actor;

  // The form is posted from its own page: a browser sends this origin (login CSRF is refused).
  const signIn = (actor: Actor, headers: Record<string, string> = {}) =>
    request(api.baseUrl)
      .post('/admin/login')
      .set({ Origin: api.baseUrl, ...headers })
      .type('form')
      .send({ email: actor.email, password: PASSWORD });

  const queueNames = async (auth: Record<string, string>): Promise<string[]> => {
    const res = await request(api.baseUrl).get('/admin/queues/api/queues').set(auth);
    expect(res.status).toBe(200);
    return res.body.queues.map((q: { name: string }) => q.name);
  };

  /** A fresh event whose queue holds a job: a booking request and no worker to decide it. */
  const eventWithPendingWork = async () => {
    const name = `Board ${randomUUID().slice(0, 8)}`;
    const event = await createEvent(api.baseUrl, admin, { name });
    const requestId = await queueBooking(api, user, event.id, { quantity: 1 });
    return { ...event, name, queue: eventQueueName(event.id), requestId };
  };

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  test('without a session, a browser is sent to the login form and an API client gets 401', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/js/any.js']) {
      const browser = await request(api.baseUrl).get(path).set('Accept', HTML);
      expect({ path, status: browser.status, location: browser.headers.location }).toEqual({
        path,
        status: 302,
        location: '/admin/login',
      });
      expectApiError(await request(api.baseUrl).get(path), 401, 'unauthorized');
      expectApiError(
        await request(api.baseUrl).get(path).set('Accept', 'application/json'),
        401,
        'unauthorized',
      );
    }
    // A forged or stale cookie is no session either.
    const forged = await request(api.baseUrl)
      .get('/admin/queues')
      .set('Cookie', 'evently_admin=forged.token.here');
    expectApiError(forged, 401, 'unauthorized');
  });

  test('a signed-in non-admin gets 403, by bearer token or by session cookie', async () => {
    expectApiError(
      await request(api.baseUrl).get('/admin/queues/api/queues').set(user.auth),
      403,
      'forbidden',
    );
    const signedIn = await signIn(user);
    expect({ status: signedIn.status, location: signedIn.headers.location }).toEqual({
      status: 303,
      location: '/admin',
    });
    const { cookie } = sessionCookie(signedIn);
    const page = await request(api.baseUrl).get('/admin/queues').set('Cookie', cookie).set('Accept', HTML);
    expectApiError(page, 403, 'forbidden');
    expectApiError(
      await request(api.baseUrl).get('/admin/queues/api/queues').set('Cookie', cookie),
      403,
      'forbidden',
    );
  });

  test('an admin sees a fresh event’s queue as soon as it has work, and the webhook queue', async () => {
    const event = await eventWithPendingWork();
    // By bearer token.
    expect(await queueNames(admin.auth)).toEqual(expect.arrayContaining([event.queue, WEBHOOK_QUEUE]));

    // By the login form's cookie: the page, its assets, bull-board's JSON with the job waiting.
    const signedIn = await signIn(admin);
    expect(signedIn.status).toBe(303);
    const { cookie, line } = sessionCookie(signedIn);
    expect(line).toMatch(/; Path=\/admin(;|$)/);
    expect(line).toMatch(/; HttpOnly(;|$)/);
    expect(line).toMatch(/; SameSite=Strict(;|$)/);
    expect(line).toMatch(/; Max-Age=900(;|$)/);
    expect(line).not.toMatch(/Secure/); // only with NODE_ENV=production

    const page = await request(api.baseUrl).get('/admin/queues').set('Cookie', cookie).set('Accept', HTML);
    expect({ status: page.status, type: page.headers['content-type'] }).toEqual({
      status: 200,
      type: expect.stringMatching(/^text\/html/),
    });
    expect(page.text).toContain('<base href="/admin/queues/"');
    const script = /<script defer src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const asset = await request(api.baseUrl).get(`/admin/queues/${script}`).set('Cookie', cookie);
    expect({ status: asset.status, type: asset.headers['content-type'] }).toEqual({
      status: 200,
      type: expect.stringMatching(/javascript/),
    });

    const listed = await request(api.baseUrl).get('/admin/queues/api/queues').set('Cookie', cookie);
    const queue = listed.body.queues.find((q: { name: string }) => q.name === event.queue);
    expect(queue).toMatchObject({ description: expect.stringContaining('Event'), counts: { waiting: 1 } });

    // In the HTTP metrics, dashboard requests are labelled by template: assets share one value.
    const metrics = await request(api.baseUrl).get('/metrics');
    const routes = [
      ...metrics.text.matchAll(/^evently_http_request_duration_seconds_count\{[^}]*route="([^"]+)"/gm),
    ];
    expect(routes.map((m) => m[1])).toEqual(
      expect.arrayContaining(['/admin/queues', '/admin/queues/api/queues', '/admin/queues/*']),
    );
    expect(metrics.text).not.toMatch(/route="[^"]*(static|event-)/);
  });

  test('queues are shown by what they are: the event’s name, the hold timers, jobs that name their event', async () => {
    const name = `Jazz Night ${Date.now()}`;
    const event = await createEvent(api.baseUrl, admin, { name, startsAt: '2031-03-04T19:00:00Z' });
    const requestId = await queueBooking(api, user, event.id, { quantity: 1 });
    const queue = eventQueueName(event.id);
    interface Shown {
      name: string;
      displayName?: string;
      description?: string;
      jobs: { id: string; name: string; data: Record<string, unknown> }[];
    }
    const board = async (activeQueue: string): Promise<Shown[]> => {
      const res = await request(api.baseUrl)
        .get('/admin/queues/api/queues')
        .query({ activeQueue, status: activeQueue === HOLD_EXPIRY_QUEUE ? 'delayed' : 'waiting' })
        .set(admin.auth);
      expect(res.status).toBe(200);
      return res.body.queues;
    };

    const shown = (await board(queue)).find((q) => q.name === queue)!;
    expect(shown).toMatchObject({
      displayName: `${name} (2031-03-04)`,
      description: `Event ${event.id}: 1 booking request queued`,
    });
    // The job keeps its ids; the board says what it is and names its event.
    expect(shown.jobs).toEqual([
      expect.objectContaining({
        id: requestId,
        name: `allocate: ${name} (2031-03-04)`,
        data: {
          what: expect.stringContaining('Doorbell of a booking request'),
          event: `${name} (2031-03-04)`,
          eventId: event.id,
          requestId,
        },
      }),
    ]);
    const job = await api.deps.queues.get(event.id).getJob(requestId);
    expect(job?.data).toEqual({ eventId: event.id, requestId });

    // A rename shows on the next refresh.
    const renamed = await request(api.baseUrl)
      .patch(`/events/${event.id}`)
      .set(admin.auth)
      .send({ version: event.version, name: `${name} (moved)` });
    expect(renamed.status).toBe(200);
    expect((await board(queue)).find((q) => q.name === queue)?.displayName).toBe(
      `${name} (moved) (2031-03-04)`,
    );

    // The hold timers are on the board; a timer names its event (looked up once, then cached).
    const timers = new Queue(HOLD_EXPIRY_QUEUE, { connection: api.deps.redis, prefix: api.env.REDIS_PREFIX });
    const holdId = randomUUID();
    try {
      await timers.add(
        'expire',
        { eventId: event.id, holdId },
        { jobId: `expire-${holdId}`, delay: 3_600_000 },
      );
      let timer: Shown['jobs'][number] | undefined;
      await waitFor(
        async () => {
          const holds = (await board(HOLD_EXPIRY_QUEUE)).find((q) => q.name === HOLD_EXPIRY_QUEUE);
          expect(holds?.displayName).toBe('Hold timers');
          timer = holds?.jobs.find((j) => j.id === `expire-${holdId}`);
          return timer?.data.event === `${name} (moved) (2031-03-04)`;
        },
        DEFAULT_WAIT_MS,
        'the hold timer to name its event',
      );
      expect(timer).toMatchObject({
        name: `expire hold: ${name} (moved) (2031-03-04)`,
        data: { eventId: event.id, holdId, what: expect.any(String) },
      });
    } finally {
      await timers.remove(`expire-${holdId}`);
      await timers.close();
    }
  });

  test('the page asks nothing of Google Fonts, and the policy allows nothing from elsewhere', async () => {
    const page = await request(api.baseUrl).get('/admin/queues').set(admin.auth).set('Accept', HTML);
    expect(page.status).toBe(200);
    expect(page.text).toContain('static/css/main.');
    expect(page.text).not.toMatch(/fonts\.(googleapis|gstatic)\.com/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("font-src 'self' data:");
    expect(csp).not.toMatch(/https?:/);
  });

  test('an event leaves the board once its queue has gone idle', async () => {
    const event = await eventWithPendingWork();
    expect(await queueNames(admin.auth)).toContain(event.queue);
    const worker = await startInProcessWorker(api.config);
    try {
      // The worker decides the request and takes the event out of the line of events with work
      // (the active set); the next dashboard request no longer lists it.
      await waitFor(
        async () => !(await queueNames(admin.auth)).includes(event.queue),
        DEFAULT_WAIT_MS,
        'the idle queue to leave the board',
      );
    } finally {
      await worker.close();
    }
    expect(await queueNames(admin.auth)).toContain(WEBHOOK_QUEUE);
  });

  test('the login form: shown on GET, re-shown with a message on failure, refused from another site', async () => {
    const form = await request(api.baseUrl).get('/admin/login');
    expect({ status: form.status, type: form.headers['content-type'] }).toEqual({
      status: 200,
      type: expect.stringMatching(/^text\/html/),
    });
    expect(form.text).toMatch(/<form method="post" action="\/admin\/login">/);
    expect(form.headers['content-security-policy']).toContain("frame-ancestors 'none'");

    const wrong = await request(api.baseUrl)
      .post('/admin/login')
      .set('Origin', api.baseUrl)
      .set('Accept', HTML)
      .type('form')
      .send({ email: admin.email, password: 'not-the-password' });
    expect({ status: wrong.status, cookie: wrong.headers['set-cookie'] }).toEqual({
      status: 401,
      cookie: undefined,
    });
    expect(wrong.text).toContain('Wrong email or password.');
    expect(wrong.text).toContain(`value="${admin.email}"`);
    // Not a browser: the error envelope.
    expectApiError(
      await request(api.baseUrl)
        .post('/admin/login')
        .set('Origin', api.baseUrl)
        .type('form')
        .send({ email: admin.email, password: 'not-the-password' }),
      401,
      'unauthorized',
    );
    expectApiError(
      await request(api.baseUrl)
        .post('/admin/login')
        .set('Origin', api.baseUrl)
        .type('form')
        .send({ email: 'not-an-email' }),
      400,
      'validation_failed',
    );

    // Login CSRF: a form on another site posting here is refused; the same origin is fine
    // (test/cross-site.test.ts has the whole table).
    expectApiError(await signIn(admin, { Origin: 'https://evil.example' }), 403, 'forbidden');
    expectApiError(await signIn(admin, { Origin: 'null' }), 403, 'forbidden');
    expectApiError(await signIn(admin, { 'Sec-Fetch-Site': 'cross-site' }), 403, 'forbidden');
    expectApiError(await signIn(admin, { 'Sec-Fetch-Site': 'same-site' }), 403, 'forbidden');
    expect((await signIn(admin, { Origin: api.baseUrl })).status).toBe(303);
  });

  test('a disabled account is told so by the form, not asked for its email again', async () => {
    const disabled = await createActor(api.baseUrl, 'admin');
    const patched = await request(api.baseUrl)
      .patch(`/admin/users/${disabled.id}`)
      .set(admin.auth)
      .send({ disabled: true });
    expect(patched.status).toBe(200);
    const res = await signIn(disabled, { Accept: HTML });
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status: 403,
      type: expect.stringMatching(/^text\/html/),
    });
    expect(res.text).toContain('This account has been disabled');
    expect(res.text).not.toContain('Enter your email address and password.');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  test('only the login form may post a form body: everything else stays JSON-only', async () => {
    const form = { email: admin.email, password: PASSWORD };
    expectApiError(
      await request(api.baseUrl).post('/auth/login').type('form').send(form),
      415,
      'unsupported_media_type',
    );
    expectApiError(
      await request(api.baseUrl).post('/admin/logout').type('form').send(form),
      415,
      'unsupported_media_type',
    );
    expectApiError(
      await request(api.baseUrl).post('/admin/login').type('text').send('email=x'),
      415,
      'unsupported_media_type',
    );
  });

  test('logging out revokes the session and clears the cookie', async () => {
    const { cookie } = sessionCookie(await signIn(admin));
    expect((await request(api.baseUrl).get('/admin/queues/api/queues').set('Cookie', cookie)).status).toBe(
      200,
    );

    // From the dashboard's own page (a cookie-authenticated POST must prove its origin).
    const out = await request(api.baseUrl)
      .post('/admin/logout')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'same-origin');
    expect({ status: out.status, location: out.headers.location }).toEqual({
      status: 303,
      location: '/admin/login',
    });
    expect(sessionCookie(out).line).toMatch(/^evently_admin=; Path=\/admin; Max-Age=0;/);
    // The token behind the old cookie is revoked, not just forgotten by the browser.
    expectApiError(
      await request(api.baseUrl).get('/admin/queues/api/queues').set('Cookie', cookie),
      401,
      'unauthorized',
    );
    // Without a session, logging out is harmless.
    expect((await request(api.baseUrl).get('/admin/logout')).status).toBe(303);
  });

  browserTest()(
    'in Chromium: sign in through the form, and the dashboard shows the event’s queue',
    async () => {
      const event = await eventWithPendingWork();
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const hosts = new Set<string>();
        page.on('request', (r) => {
          if (!r.url().startsWith('data:')) hosts.add(new URL(r.url()).host);
        });
        await page.goto(`${api.baseUrl}/admin/queues`, { waitUntil: 'domcontentloaded' });
        expect(new URL(page.url()).pathname).toBe('/admin/login');
        await page.screenshot({ path: artifactPath('admin-login.png') });
        await page.fill('input[name=email]', admin.email);
        await page.fill('input[name=password]', PASSWORD);
        await Promise.all([
          page.waitForURL(`${api.baseUrl}/admin`, { waitUntil: 'domcontentloaded' }),
          page.click('button[type=submit]'),
        ]);
        // Sign-in lands on the console; its menu links to the dashboard.
        await page.getByRole('link', { name: 'Queue dashboard' }).click();
        await page.waitForURL(`${api.baseUrl}/admin/queues`, { waitUntil: 'domcontentloaded' });
        // The menu lists the queue by its name (bull-board's menu shows no display name); the
        // overview's card shows the event's name, and the hold timers have a card of their own.
        await page.getByText(event.queue).first().waitFor({ timeout: 20000 });
        await page.getByText(event.name).first().waitFor({ timeout: 20000 });
        await page.getByText('Hold timers').first().waitFor({ timeout: 20000 });
        await page.screenshot({ path: artifactPath('dashboard.png'), fullPage: true });
        // Everything the page loaded came from the service: no fonts, scripts or styles from elsewhere.
        expect([...hosts]).toEqual([new URL(api.baseUrl).host]);
      } finally {
        await browser.close();
      }
    },
  );
});

describe('the sign-in form over a sign-in budget', () => {
  // Tight budgets of this block's own API: 5 attempts per address, 2 wrong passwords per account.
  const api = useTestApi({
    RATE_LIMIT_LOGIN_PER_IP: '5',
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '2',
    RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS: '900',
  });

  /** An account made directly, so that making it spends no sign-in attempt. */
  const account = async () => {
    const email = uniqueEmail('form');
    await createUser({ email, password: PASSWORD, name: 'form', role: 'admin' });
    return email;
  };
  const post = (email: string, password: string, accept = HTML) =>
    request(api.baseUrl)
      .post('/admin/login')
      .set({ Origin: api.baseUrl, Accept: accept })
      .type('form')
      .send({ email, password });

  /** The 429 page: the error's headers, and a message that says when to come back. */
  const expectTooMany = (res: Response, maxSeconds: number) => {
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status: 429,
      type: expect.stringMatching(/^text\/html/),
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= maxSeconds).toBe(true);
    expect(res.headers.ratelimit).toMatch(/^"[a-z-]+";r=0;t=\d+$/);
    expect(res.headers['ratelimit-policy']).toMatch(/^"[a-z-]+";q=\d+;w=\d+$/);
    const unit = retryAfter === 1 ? 'second' : 'seconds';
    expect(res.text).toContain(`Too many attempts; try again in ${retryAfter} ${unit}.`);
    expect(res.text).not.toContain('Enter your email address and password.');
    expect(res.headers['set-cookie']).toBeUndefined();
  };

  test('a locked account and a spent address answer 429 with Retry-After, RateLimit, RateLimit-Policy and a message of their own', async () => {
    const locked = await account();
    // Every answer of the form tells the budget, as POST /auth/login's do.
    const first = await post(locked, 'wrong-1');
    expect(first.status).toBe(401);
    expect(first.headers['ratelimit-policy']).toBe('"sign-in";q=5;w=60');
    expect(first.headers.ratelimit).toMatch(/^"sign-in";r=4;t=\d+$/);
    expect((await post(locked, 'wrong-2')).status).toBe(401);
    // Locked: even the right password is refused, for the rest of the window.
    expectTooMany(await post(locked, PASSWORD), 900);
    // A script (not a browser) gets the error envelope, with the same headers.
    const json = await post(locked, PASSWORD, 'application/json');
    expectApiError(json, 429, 'rate_limited');
    expect(json.headers['retry-after']).toMatch(/^\d+$/);
    expect(json.headers.ratelimit).toBeDefined();
    expect(json.headers['ratelimit-policy']).toBeDefined();

    // The address has one attempt left: a good sign-in, then nothing more from here.
    expect((await post(await account(), PASSWORD)).status).toBe(303);
    const spent = await post(await account(), PASSWORD);
    expectTooMany(spent, 60);
    expect(spent.headers['ratelimit-policy']).toBe('"sign-in";q=5;w=60');
  });
});
