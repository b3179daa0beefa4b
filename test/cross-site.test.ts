import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Request as PwRequest } from 'playwright-core';
import request, { type Response, type Test } from 'supertest';
import { boardErrorAnswer, boardThrew } from '../api/dashboard/board.js';
import { eventQueueName } from '../shared/queues.js';
import { WEBHOOK_QUEUE } from '../shared/webhooks/types.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { browserTest, launchChromium } from './support/browser.js';
import { testConfig, testEnv } from './support/config.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { startTestApi, stopTestApi } from './support/harness.js';
import { expectApiError } from './support/http.js';

/** The webhook queue's name as a URL path segment or query value. */
const WEBHOOKS = encodeURIComponent(WEBHOOK_QUEUE);

// Two breach classes, tested as classes:
// 1. CSRF: a state-changing request that carries the admin session cookie must come from the
//    service's own origin (exact `Origin`, or `Sec-Fetch-Site: same-origin`), on every route.
//    SameSite=Strict alone lets same-site pages (another port, a sibling subdomain) through.
// 2. Names from the URL are looked up among own keys only: Object.prototype's members under
//    /docs/ or the dashboard's assets are a JSON 404, never a dropped connection.

const PASSWORD = 'correct-horse-battery';

type Headers = Record<string, string>;
type Client = ReturnType<typeof request>;

/** The session cookie (`name=value`) a login answer set, if any. */
function sessionCookie(res: Response): string | undefined {
  const lines = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return lines.find((l) => l.startsWith('evently_admin='))?.split(';')[0];
}

describe('cross-site requests and prototype names', () => {
  const api = useTestApi();
  let admin: Actor;
  let user: Actor;
  /** This API's origin as a browser writes it, and as another host name for the same server. */
  let self: string;
  let port: string;

  /**
   * Attempts no browser on this origin makes: every one carries the cookie (a same-site page
   * gets it sent despite SameSite=Strict) and must be refused with 403, changing nothing.
   * `host` stands in for the name the browser used, for the sibling-subdomain cases.
   */
  const crossSite = (): { name: string; headers: Headers; host?: string }[] => [
    {
      name: 'another port, as the attack run sent it',
      headers: { Origin: 'http://127.0.0.1:1', 'Sec-Fetch-Site': 'same-site' },
    },
    { name: 'another port, Origin only', headers: { Origin: `http://127.0.0.1:${Number(port) + 1}` } },
    {
      name: 'a sibling subdomain',
      host: `admin.evently.test:${port}`,
      headers: { Origin: `http://shop.evently.test:${port}`, 'Sec-Fetch-Site': 'same-site' },
    },
    {
      name: 'a sibling subdomain, Origin only',
      host: `admin.evently.test:${port}`,
      headers: { Origin: `http://evil.evently.test:${port}` },
    },
    {
      name: 'a parent domain',
      host: `admin.evently.test:${port}`,
      headers: { Origin: 'http://evently.test' },
    },
    { name: 'another site', headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } },
    { name: 'Origin null (sandboxed frame, data: URL)', headers: { Origin: 'null' } },
    { name: 'the same host over https', headers: { Origin: self.replace('http:', 'https:') } },
    { name: 'this origin with a path', headers: { Origin: `${self}/` } },
    { name: 'this origin with user info', headers: { Origin: self.replace('//', '//user@') } },
    { name: 'no Origin, Sec-Fetch-Site same-site', headers: { 'Sec-Fetch-Site': 'same-site' } },
    { name: 'no Origin, Sec-Fetch-Site cross-site', headers: { 'Sec-Fetch-Site': 'cross-site' } },
    { name: 'no Origin, Sec-Fetch-Site none (typed in, bookmark)', headers: { 'Sec-Fetch-Site': 'none' } },
    {
      name: 'this Origin but Sec-Fetch-Site same-site (the browser disagrees)',
      headers: { Origin: self, 'Sec-Fetch-Site': 'same-site' },
    },
    { name: 'no Origin, no Sec-Fetch-Site', headers: {} },
  ];

  /** How a page of this origin is seen: by `Origin`, by `Sec-Fetch-Site`, or both. */
  const sameOrigin = (): { name: string; headers: Headers; host?: string }[] => [
    { name: 'Origin', headers: { Origin: self } },
    { name: 'Sec-Fetch-Site', headers: { 'Sec-Fetch-Site': 'same-origin' } },
    { name: 'both', headers: { Origin: self, 'Sec-Fetch-Site': 'same-origin' } },
    {
      name: 'Origin under another host name of this server',
      host: `admin.evently.test:${port}`,
      headers: { Origin: `http://admin.evently.test:${port}` },
    },
  ];

  const signIn = async (headers: Headers = { Origin: self }) => {
    const res = await request(api.baseUrl)
      .post('/admin/login')
      .set(headers)
      .type('form')
      .send({ email: admin.email, password: PASSWORD });
    const cookie = sessionCookie(res);
    if (res.status !== 303 || !cookie) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
    return cookie;
  };

  const queueOf = (eventId: string) =>
    new Queue(eventQueueName(eventId), { connection: api.deps.redis, prefix: api.config.redisPrefix });

  /** A fresh event whose queue holds one waiting job (no worker runs in this file). */
  const eventWithPendingWork = async () => {
    const event = await createEvent(api.baseUrl, admin);
    await queueBooking(api, user, event.id, { quantity: 1 });
    const queue = queueOf(event.id);
    const [job] = await queue.getJobs(['waiting']);
    if (!job?.id) throw new Error('no waiting job');
    return { queue, name: eventQueueName(event.id), jobId: job.id };
  };

  /** Everything the routes below could change: job counts, pause flags, a job's data, the session. */
  const snapshot = async (queue: Queue, jobId: string, cookie: string) => {
    const job = await queue.getJob(jobId);
    const session = await request(api.baseUrl).get('/admin/queues/api/queues').set('Cookie', cookie);
    return {
      webhooks: await api.deps.webhookQueue.getJobCounts(),
      webhooksPaused: await api.deps.webhookQueue.isPaused(),
      event: await queue.getJobCounts(),
      eventPaused: await queue.isPaused(),
      jobData: job?.data,
      session: session.status,
      account: (await request(api.baseUrl).get(`/admin/users/${user.id}`).set(admin.auth)).body.disabled,
    };
  };

  /** Runs `fn` and returns what the API logged at warn or error meanwhile (request loggers too). */
  const loggedDuring = async (fn: () => Promise<void>): Promise<unknown[]> => {
    // Request loggers are pino children, which find these methods on the API's logger.
    const logger = api.deps.logger;
    const original = { error: logger.error, warn: logger.warn };
    const lines: unknown[] = [];
    const record = ((...args: unknown[]) => {
      lines.push(args);
    }) as typeof logger.error;
    Object.assign(logger, { error: record, warn: record });
    try {
      await fn();
    } finally {
      Object.assign(logger, original);
    }
    return lines;
  };

  beforeAll(async () => {
    self = api.baseUrl;
    port = new URL(self).port;
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  describe('CSRF: cookie-authenticated state changes must come from this origin', () => {
    /** State-changing routes that take the session cookie: bull-board's JSON API, logout, the admin API. */
    const routes = (q: { name: string; jobId: string }) => [
      {
        what: 'add a job (empty form)',
        send: (r: Client) => r.post(`/admin/queues/api/queues/${WEBHOOKS}/add`).type('form').send(''),
      },
      {
        what: 'add a job (JSON)',
        send: (r: Client) => r.post(`/admin/queues/api/queues/${WEBHOOKS}/add`).send({ name: 'x', data: {} }),
      },
      { what: 'pause a queue', send: (r: Client) => r.put(`/admin/queues/api/queues/${WEBHOOKS}/pause`) },
      { what: 'pause every queue', send: (r: Client) => r.put('/admin/queues/api/queues/pause') },
      { what: 'empty a queue', send: (r: Client) => r.put(`/admin/queues/api/queues/${q.name}/empty`) },
      {
        what: 'edit a job',
        send: (r: Client) =>
          r
            .patch(`/admin/queues/api/queues/${q.name}/${q.jobId}/update-data`)
            .send({ jobData: { forged: true } }),
      },
      {
        what: 'remove a job',
        send: (r: Client) => r.put(`/admin/queues/api/queues/${q.name}/${q.jobId}/clean`),
      },
      { what: 'log out (POST)', send: (r: Client) => r.post('/admin/logout') },
      { what: 'log out (GET, the one state-changing GET)', send: (r: Client) => r.get('/admin/logout') },
      { what: 'an unrouted DELETE', send: (r: Client) => r.delete(`/admin/queues/api/queues/${WEBHOOKS}`) },
      // The admin JSON API takes the cookie too (the console's calls): one rule for all of them.
      {
        what: 'disable an account (admin JSON API)',
        send: (r: Client) => r.patch(`/admin/users/${user.id}`).send({ disabled: true }),
      },
    ];

    test('every cross-site attempt on every route is refused with 403 and changes nothing', async () => {
      const q = await eventWithPendingWork();
      const cookie = await signIn();
      const before = await snapshot(q.queue, q.jobId, cookie);
      expect(before).toMatchObject({
        webhooksPaused: false,
        eventPaused: false,
        session: 200,
        account: false,
      });
      expect(before.event.waiting).toBe(1);

      const answers: { route: string; attempt: string; status: number }[] = [];
      for (const route of routes(q)) {
        for (const attempt of crossSite()) {
          const req: Test = route.send(request(api.baseUrl)).set('Cookie', cookie).set(attempt.headers);
          if (attempt.host) req.set('Host', attempt.host);
          const res = await req;
          expectApiError(res, 403, 'forbidden');
          expect(res.headers['set-cookie']).toBeUndefined();
          answers.push({ route: route.what, attempt: attempt.name, status: res.status });
        }
      }
      expect(answers.filter((a) => a.status !== 403)).toEqual([]);
      expect(await snapshot(q.queue, q.jobId, cookie)).toEqual(before);
      await q.queue.close();
    });

    test('the same requests from this origin are accepted', async () => {
      const q = await eventWithPendingWork();
      const cookie = await signIn();
      const variants = sameOrigin();
      const from = (i: number) => variants[i % variants.length]!;
      const send = (route: ReturnType<typeof routes>[number], i: number, withCookie = cookie) => {
        const req: Test = route.send(request(api.baseUrl)).set('Cookie', withCookie).set(from(i).headers);
        const host = from(i).host;
        return host ? req.set('Host', host) : req;
      };
      const [addForm, addJson, pause, , empty, edit, clean, logoutPost, logoutGet] = routes(q);
      const added = (await api.deps.webhookQueue.getJobCounts()).waiting ?? 0;

      // Each way of proving the origin, on a job-adding route.
      for (let i = 0; i < variants.length; i++) {
        const res = await send(addJson!, i);
        expect({ variant: from(i).name, status: res.status }).toEqual({ variant: from(i).name, status: 200 });
      }
      expect((await send(addForm!, 0)).status).toBe(200);
      expect((await api.deps.webhookQueue.getJobCounts()).waiting).toBe(added + variants.length + 1);

      expect((await send(edit!, 1)).status).toBe(200);
      expect((await q.queue.getJob(q.jobId))?.data).toEqual({ forged: true });
      expect((await send(clean!, 2)).status).toBe(204);
      expect(await q.queue.getJob(q.jobId)).toBeUndefined();
      expect((await send(empty!, 3)).status).toBe(200);

      expect((await send(pause!, 0)).status).toBe(200);
      expect(await api.deps.webhookQueue.isPaused()).toBe(true);
      await api.deps.webhookQueue.resume();
      await api.deps.webhookQueue.drain();

      for (const [i, logout] of [logoutPost!, logoutGet!].entries()) {
        const session = await signIn();
        const out = await send(logout, i, session);
        expect({ status: out.status, location: out.headers.location }).toEqual({
          status: 303,
          location: '/admin/login',
        });
        expectApiError(
          await request(api.baseUrl).get('/admin/queues/api/queues').set('Cookie', session),
          401,
          'unauthorized',
        );
      }
      await q.queue.close();
    });

    test('a bearer-token request is not affected; reading with the cookie needs no proof', async () => {
      const before = (await api.deps.webhookQueue.getJobCounts()).waiting ?? 0;
      const add = () =>
        request(api.baseUrl)
          .post(`/admin/queues/api/queues/${WEBHOOKS}/add`)
          .set(admin.auth)
          .send({ name: 'x', data: {} });
      expect((await add()).status).toBe(200);
      expect(
        (await add().set('Origin', 'https://evil.example').set('Sec-Fetch-Site', 'cross-site')).status,
      ).toBe(200);
      expect((await api.deps.webhookQueue.getJobCounts()).waiting).toBe(before + 2);
      await api.deps.webhookQueue.drain();

      // GET changes nothing; the dashboard page and its JSON load from a bookmark or a script.
      const cookie = await signIn();
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const res = await request(api.baseUrl).get(path).set('Cookie', cookie).set('Sec-Fetch-Site', 'none');
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
      // Without a session, logging out by GET is harmless and needs no proof.
      expect((await request(api.baseUrl).get('/admin/logout')).status).toBe(303);
    });

    test('login CSRF: the sign-in form must be posted from this origin', async () => {
      for (const attempt of crossSite()) {
        const req = request(api.baseUrl)
          .post('/admin/login')
          .set(attempt.headers)
          .type('form')
          .send({ email: admin.email, password: PASSWORD });
        if (attempt.host) req.set('Host', attempt.host);
        const res = await req;
        expectApiError(res, 403, 'forbidden');
        expect({ attempt: attempt.name, cookie: sessionCookie(res) }).toEqual({
          attempt: attempt.name,
          cookie: undefined,
        });
      }
      for (const variant of sameOrigin()) {
        const req = request(api.baseUrl)
          .post('/admin/login')
          .set(variant.headers)
          .type('form')
          .send({ email: admin.email, password: PASSWORD });
        if (variant.host) req.set('Host', variant.host);
        const res = await req;
        expect({ variant: variant.name, status: res.status, cookie: Boolean(sessionCookie(res)) }).toEqual({
          variant: variant.name,
          status: 303,
          cookie: true,
        });
      }
    });

    test('behind TRUST_PROXY, the origin is the one the proxy was asked for', async () => {
      const proxyEnv = testEnv({ TRUST_PROXY: '1' });
      const proxied = await startTestApi(testConfig(proxyEnv));
      try {
        const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'admin.evently.test' };
        const login = (headers: Headers) =>
          request(proxied.baseUrl)
            .post('/admin/login')
            .set({ ...forwarded, ...headers })
            .type('form')
            .send({ email: admin.email, password: PASSWORD });
        expectApiError(await login({ Origin: proxied.baseUrl }), 403, 'forbidden');
        expectApiError(await login({ Origin: 'http://admin.evently.test' }), 403, 'forbidden');
        const signedIn = await login({ Origin: 'https://admin.evently.test' });
        expect(signedIn.status).toBe(303);
        const cookie = sessionCookie(signedIn)!;
        const add = (headers: Headers) =>
          request(proxied.baseUrl)
            .post(`/admin/queues/api/queues/${WEBHOOKS}/add`)
            .set({ ...forwarded, ...headers, Cookie: cookie })
            .send({ name: 'x', data: {} });
        expectApiError(await add({ Origin: proxied.baseUrl }), 403, 'forbidden');
        expect((await add({ Origin: 'https://admin.evently.test' })).status).toBe(200);
      } finally {
        await stopTestApi(proxied, proxyEnv);
      }
      // Not trusted: a client's X-Forwarded-Host does not choose the origin.
      const cookie = await signIn();
      const spoofed = await request(api.baseUrl).post('/admin/logout').set({
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'evil.example',
        Origin: 'https://evil.example',
        Cookie: cookie,
      });
      expectApiError(spoofed, 403, 'forbidden');
    });

    browserTest()(
      'in Chromium: the dashboard’s own requests work; a page on another port cannot use the session',
      async () => {
        const q = await eventWithPendingWork();
        // The attacker: pages on another port of the same host (same-site, so the SameSite=Strict
        // cookie goes along): one loads the logout link as an image, one posts bull-board's
        // add-job form.
        const attacker = http.createServer((req, res) => {
          res.setHeader('Content-Type', 'text/html');
          res.end(
            req.url === '/img'
              ? `<!doctype html><img src="${self}/admin/logout">`
              : `<!doctype html><form method="post" action="${self}/admin/queues/api/queues/${WEBHOOKS}/add"></form>
                 <script>document.forms[0].submit()</script>`,
          );
        });
        await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
        const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
        const browser = await launchChromium();
        try {
          // One browser profile: the dashboard's tab and the attacker's share the cookie jar.
          const context = await browser.newContext();
          const page = await context.newPage();
          await page.goto(`${self}/admin/login`);
          await page.fill('input[name=email]', admin.email);
          await page.fill('input[name=password]', PASSWORD);
          // Sign-in lands on the console; the dashboard is a link away.
          await Promise.all([page.waitForURL(`${self}/admin`), page.click('button[type=submit]')]);
          await page.goto(`${self}/admin/queues`);
          await page.getByText(q.name).first().waitFor({ timeout: 20000 });

          // What bull-board's UI does on a click (pause, then resume the queue): a same-origin fetch.
          const viaPage = (path: string) =>
            page.evaluate(async (url) => (await fetch(url, { method: 'PUT' })).status, path);
          expect(await viaPage(`/admin/queues/api/queues/${q.name}/pause`)).toBe(200);
          expect(await q.queue.isPaused()).toBe(true);
          expect(await viaPage(`/admin/queues/api/queues/${q.name}/resume`)).toBe(200);
          expect(await q.queue.isPaused()).toBe(false);

          const jobs = (await api.deps.webhookQueue.getJobCounts()).waiting;
          // What reached the server from the attacker's pages, as the server saw it.
          const seen: { path?: string; site?: string; cookie: boolean }[] = [];
          const record = (req: http.IncomingMessage) => {
            if (req.url === '/admin/logout' || req.url?.endsWith(`/${WEBHOOKS}/add`)) {
              const cookie = req.headers.cookie?.includes('evently_admin=') ?? false;
              seen.push({ path: req.url, site: req.headers['sec-fetch-site'] as string, cookie });
            }
          };
          api.server.on('request', record);
          const evil = await context.newPage();
          // The image's answer is a JSON 403 that the browser then blocks (CORP same-origin), so
          // wait for the request to settle either way; the session below shows what it did.
          const logoutUrl = `${self}/admin/logout`;
          const image = new Promise<void>((resolve) => {
            const settled = (r: PwRequest) => {
              if (r.url() === logoutUrl) resolve();
            };
            evil.on('requestfinished', settled);
            evil.on('requestfailed', settled);
          });
          await evil.goto(`${attackerUrl}/img`);
          await image;
          const [posted] = await Promise.all([
            evil.waitForResponse((r) => r.url().endsWith(`/${WEBHOOKS}/add`)),
            evil.goto(`${attackerUrl}/form`),
          ]);
          api.server.off('request', record);
          expect(posted.status()).toBe(403);
          // The browser did send the cookie (same-site): only the origin check stopped them.
          expect(seen).toEqual([
            { path: '/admin/logout', site: 'same-site', cookie: true },
            { path: `/admin/queues/api/queues/${WEBHOOKS}/add`, site: 'same-site', cookie: true },
          ]);
          expect((await api.deps.webhookQueue.getJobCounts()).waiting).toBe(jobs);
          // Still signed in: the dashboard's own requests keep working.
          expect(await page.evaluate(async () => (await fetch('/admin/queues/api/queues')).status)).toBe(200);
          expect(await viaPage(`/admin/queues/api/queues/${q.name}/pause`)).toBe(200);
        } finally {
          await browser.close();
          attacker.close();
          await q.queue.close();
        }
      },
    );
  });

  describe('names from the URL find own keys only', () => {
    const PROTOTYPE_NAMES = [
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '__defineGetter__',
      '__lookupSetter__',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      'prototype',
      // Encoded forms, which the router decodes before the lookup.
      '%5F%5Fproto%5F%5F',
      '%63onstructor',
      'constructor%00',
      '__proto__%2Fx',
      '%2e%2e%2fpackage.json',
      '%E0%A4%A',
    ];

    test('under /docs/, every prototype name is a JSON 404, and nothing is logged', async () => {
      const logged = await loggedDuring(async () => {
        for (const name of PROTOTYPE_NAMES) {
          const res = await request(api.baseUrl).get(`/docs/${name}`);
          expect({ name, status: res.status }).toEqual({ name, status: 404 });
          expectApiError(res, 404, 'not_found');
        }
      });
      expect(logged).toEqual([]);
      // The real assets are still there.
      const css = await request(api.baseUrl).get('/docs/swagger-ui.css');
      expect({ status: css.status, type: css.headers['content-type'] }).toEqual({
        status: 200,
        type: expect.stringMatching(/^text\/css/),
      });
    });

    test('bull-board’s API: malformed escapes, prototype names and unknown states are the service’s 4xx before bull-board sees them; nothing is logged, nothing changes', async () => {
      const cookie = await signIn();
      const board = (method: 'get' | 'put', path: string) =>
        request(api.baseUrl)[method](`/admin/queues${path}`).set('Cookie', cookie).set('Origin', self);
      const webhooks = api.deps.webhookQueue;
      // A job waiting in the queue: the refused requests below must leave it (and the counts) alone.
      const job = await webhooks.add(
        'deliver',
        { deliveryId: 'cross-site' },
        { jobId: 'cross-site-waiting' },
      );
      const state = async () => ({
        counts: await webhooks.getJobCounts(),
        paused: await webhooks.isPaused(),
      });
      const before = await state();
      // Decodes, but to something that is not a queue or a state (or is an own key only of Object).
      const names = PROTOTYPE_NAMES.filter((name) => name !== '%E0%A4%A');
      const malformed = ['%E0%A4%A', '%', '%zz', '%C0%AF', 'webhooks%E0'];

      const answers: { request: string; status: number; code: string }[] = [];
      const expectRefused = async (what: string, res: Promise<Response>, status: number, code: string) => {
        const answer = await res;
        answers.push({ request: what, status: answer.status, code: answer.body?.error?.code });
        expectApiError(answer, status, code);
      };
      const logged = await loggedDuring(async () => {
        // The query of the queue list (the review's case first), and of the page.
        for (const bad of malformed) {
          await expectRefused(
            `activeQueue=${bad}`,
            board('get', `/api/queues?activeQueue=${bad}`),
            400,
            'validation_failed',
          );
          await expectRefused(`page ?x=${bad}`, board('get', `?x=${bad}`), 400, 'validation_failed');
        }
        for (const query of [
          'activeQueue=%25E0%25A4%25A', // decodes to a malformed escape, which bull-board decodes again
          `activeQueue=${WEBHOOKS}&activeQueue=${WEBHOOKS}`,
          'status=__proto__',
          'status=constructor',
          'status=toString',
          'status=failed&status=completed',
          'page=0',
          'page=-1',
          'page=1e3',
          'jobsPerPage=abc',
          'jobsPerPage=__proto__',
        ]) {
          await expectRefused(query, board('get', `/api/queues?${query}`), 400, 'validation_failed');
        }
        // Queue names in the path: not a queue the board shows, so 404 (400 if malformed).
        for (const name of names) {
          for (const [method, path] of [
            ['put', `/api/queues/${name}/pause`],
            ['put', `/api/queues/${name}/clean/completed`],
            ['put', `/api/queues/${name}/retry/failed`],
            ['get', `/api/queues/${name}/metrics`],
            ['get', `/api/queues/${name}/some-job`],
          ] as const) {
            await expectRefused(`${method} ${path}`, board(method, path), 404, 'not_found');
          }
          await expectRefused(
            `job-schedulers?queueName=${name}`,
            board('get', `/api/job-schedulers?queueName=${name}`),
            404,
            'not_found',
          );
        }
        for (const bad of malformed) {
          for (const path of [
            `/api/queues/${bad}/pause`,
            `/api/queues/${WEBHOOKS}/${bad}/retry`,
            `/queue/${bad}`,
          ]) {
            await expectRefused(
              path,
              board(path.includes('pause') || path.includes('retry') ? 'put' : 'get', path),
              400,
              'validation_failed',
            );
          }
        }
        // Job states: bull-board's own list only (the review's case: clean/__proto__ answered 200 {}).
        for (const name of [...names, ...malformed, 'latest', 'bogus', 'waiting-children%2Fx']) {
          await expectRefused(
            `clean/${name}`,
            board('put', `/api/queues/${WEBHOOKS}/clean/${name}`),
            400,
            'validation_failed',
          );
          await expectRefused(
            `retry/${name}`,
            board('put', `/api/queues/${WEBHOOKS}/retry/${name}`),
            400,
            'validation_failed',
          );
        }
        // bull-board's own refusals, in the service's shape too.
        await expectRefused(
          'retry an unknown job',
          board('put', `/api/queues/${WEBHOOKS}/no-such-job/retry`),
          404,
          'not_found',
        );
        await expectRefused(
          'retry all delayed',
          board('put', `/api/queues/${WEBHOOKS}/retry/delayed`),
          400,
          'bad_request',
        );
      });
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      expect(logged).toEqual([]);
      expect(await state()).toEqual(before);

      // What the dashboard itself sends still works.
      const listed = await board(
        'get',
        `/api/queues?activeQueue=${WEBHOOKS}&status=latest&page=1&jobsPerPage=10`,
      );
      expect(listed.status).toBe(200);
      expect(listed.body.queues.map((q: { name: string }) => q.name)).toContain(WEBHOOK_QUEUE);
      expect((await board('get', '/api/queues?activeQueue=&status=')).status).toBe(200);
      expect((await board('put', `/api/queues/${WEBHOOKS}/clean/completed`)).status).toBe(200);
      await job.remove();
    });

    test('an error bull-board throws is answered in the service’s shape: a client’s as a 4xx logged without a stack, anything else as a 500 that names nothing', () => {
      const malformed = new URIError('URI malformed');
      const client = boardThrew(malformed);
      expect(client).toEqual({
        status: 400,
        body: { error: { code: 'bad_request', message: expect.any(String), details: null } },
      });
      // The app's error listener logs a 4xx at debug, without the stack.
      expect((malformed as URIError & { status?: number }).status).toBe(400);
      const fault = boardThrew(
        new Error('connect ECONNREFUSED 10.0.0.5:6379 at /work/main/node_modules/x.js:1:2'),
      );
      expect(fault).toEqual({
        status: 500,
        body: { error: { code: 'internal_error', message: expect.any(String), details: null } },
      });
      expect(JSON.stringify(fault)).not.toMatch(/ECONNREFUSED|node_modules|10\.0\.0\.5/);
      // What bull-board's own handler made of a throw (the review's answer) is mapped the same way.
      expect(
        boardErrorAnswer(500, { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: 'URI malformed' }),
      ).toEqual(fault);
      expect(boardErrorAnswer(404, { error: { key: 'ERRORS.QUEUE_NOT_FOUND' } })).toEqual({
        status: 404,
        body: {
          error: {
            code: 'not_found',
            message: 'Queue not found',
            details: { key: 'ERRORS.QUEUE_NOT_FOUND' },
          },
        },
      });
      expect(boardErrorAnswer(200, { queues: [] })).toBeNull();
    });

    test('under the dashboard’s assets, every prototype or traversal name is a JSON 404, and nothing is logged', async () => {
      const cookie = await signIn();
      const names = [
        ...PROTOTYPE_NAMES,
        'js/constructor',
        '%00',
        'js/..%2f..%2f..%2fpackage.json',
        '..%5cpackage.json',
      ];
      const logged = await loggedDuring(async () => {
        for (const name of names) {
          const res = await request(api.baseUrl).get(`/admin/queues/static/${name}`).set('Cookie', cookie);
          expect({ name, status: res.status }).toEqual({ name, status: 404 });
          expectApiError(res, 404, 'not_found');
        }
      });
      expect(logged).toEqual([]);
      const page = await request(api.baseUrl).get('/admin/queues').set('Cookie', cookie);
      const script = /<script defer src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
      const asset = await request(api.baseUrl).get(`/admin/queues/${script}`).set('Cookie', cookie);
      expect({ status: asset.status, type: asset.headers['content-type'] }).toEqual({
        status: 200,
        type: expect.stringMatching(/javascript/),
      });
    });
  });
});
