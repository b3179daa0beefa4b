import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import request, { type Response } from 'supertest';
import { createApp } from '../api/app.js';
import { openApiDocument } from '../api/openapi/document.js';
import { queryJoi, requestJoi } from '../api/openapi/requests.js';
import { WEBHOOK_TYPES } from '../shared/webhooks/types.js';
import { createActor, registerUser } from './support/actors.js';
import { artifactPath, browserTest, launchChromium } from './support/browser.js';
import { useTestApi } from './support/environment.js';
import { HTTP_METHODS, openApiContract, toOpenApiPath } from './support/openapi-contract.js';

const METHODS = HTTP_METHODS;

/** What `router.routes()` carries: @koa/router puts the router on its dispatch middleware. */
interface RouterDispatch {
  router?: { stack: { methods: string[]; path: string | RegExp }[] };
}

/** The answer's status is documented for this operation and its body matches the document. */
const contract = openApiContract();
function expectDocumented(res: Response, method: (typeof METHODS)[number], path: string): void {
  const json = /json/.test(res.headers['content-type'] ?? '');
  expect(contract.check(method, path, res.status, json ? res.body : undefined)).toBeNull();
}

/**
 * Bodies each generated request schema must judge as its Joi schema does (the document's request
 * schemas are generated from Joi by api/openapi/from-joi.ts; a verdict that differs is drift or a
 * conversion the adapter gets wrong). The first body of each list is valid.
 */
const SEAT = '3f1c2b9e-8a4d-4c1e-9b7a-2d5e6f708192';
const requestBodies: Record<keyof typeof requestJoi, unknown[]> = {
  RegisterRequest: [
    { email: 'ada@example.com', password: 'correct-horse', name: 'Ada' },
    { email: 'ada@example.com', password: 'short', name: 'Ada' },
    { email: 'ada@example.com', password: 'correct-horse', name: '   ' },
    { email: 'ada@example.com', password: 'correct-horse', name: 'A\u0000da' },
    { email: 'ada@example.com', password: 'correct-horse' },
    { email: 'ada@example.com', password: 'correct-horse', name: 'Ada', role: 'admin' },
  ],
  LoginRequest: [{ email: 'ada@example.com', password: 'x' }, { email: 'ada@example.com' }],
  RefreshRequest: [{ refreshToken: 'a.b.c' }, {}, { refreshToken: 5 }],
  LogoutRequest: [{}, { refreshToken: 'a.b.c' }, { refreshToken: 'x'.repeat(2001) }],
  PasswordChangeRequest: [
    { currentPassword: 'x', newPassword: 'correct-horse' },
    { currentPassword: 'x', newPassword: 'short' },
  ],
  CreateUserRequest: [
    { email: 'ada@example.com', password: 'correct-horse', name: 'Ada', role: 'partner' },
    { email: 'ada@example.com', password: 'correct-horse', name: 'Ada', role: 'root' },
  ],
  UpdateUserRequest: [{ disabled: true }, {}, { role: 'user', extra: 1 }],
  UpdateMeRequest: [{ emailNotifications: false }, {}, { emailNotifications: 'no' }, { role: 'admin' }],
  CreateEventRequest: [
    { name: 'Jazz', venue: 'Hall', startsAt: '2030-05-01T19:00:00Z', capacity: 100 },
    {
      name: 'Jazz',
      venue: 'Hall',
      startsAt: '2030-05-01T19:00:00Z',
      seatMap: { blocks: [{ section: 'A', rows: { from: 'A', to: 'C' }, seats: { from: 1, to: 10 } }] },
      maxTicketsPerUser: null,
      holdTtlSeconds: 300,
    },
    { name: 'Jazz', venue: 'Hall', startsAt: '2030-05-01T19:00:00Z' },
    {
      name: 'Jazz',
      venue: 'Hall',
      startsAt: '2030-05-01T19:00:00Z',
      capacity: 5,
      seatMap: { blocks: [{ section: 'A', rows: ['Box'], seats: { from: 1, to: 2 } }] },
    },
    { name: 'Jazz', venue: 'Hall', startsAt: '2030-05-01T19:00:00Z', capacity: 0 },
    { name: 'Jazz', venue: 'Hall', startsAt: '2030-05-01T19:00:00Z', capacity: 5, holdTtlSeconds: 4 },
    { name: 'Jazz', venue: 'Hall', startsAt: '2030-05-01T19:00:00Z', capacity: 5, status: 'cancelled' },
  ],
  UpdateEventRequest: [
    { version: 1, name: 'Jazz' },
    { version: 1 },
    { name: 'Jazz' },
    { version: 1, capacity: '5' },
    { version: 1, timeZone: 'Europe/Berlin' },
    { version: 1, timeZone: null },
    { version: 1, timeZone: '../etc/passwd' },
  ],
  SeatMap: [
    { blocks: [{ section: 'A', rows: { from: 1, to: 20 }, seats: { from: 1, to: 30 } }] },
    { blocks: [] },
    { blocks: [{ section: 'A', rows: { from: 'a', to: 'c' }, seats: { from: 1, to: 30 } }] },
    { blocks: [{ section: 'A', rows: { from: 1, to: 2 } }] },
  ],
  BookRequest: [
    { quantity: 2 },
    { seats: [SEAT] },
    { quantity: 4, section: 'A', minQuantity: 2, waitlist: true },
    { seats: [SEAT], waitlist: false },
    { seats: [SEAT], waitlist: true },
    { quantity: 2, seats: [SEAT] },
    {},
    { seats: [SEAT], section: 'A' },
    { quantity: 11 },
    { seats: [SEAT, SEAT] },
    { seats: [SEAT.toUpperCase()] },
    { quantity: 1, externalReference: 'order-1', metadata: { channel: 'web', note: '' } },
    { quantity: 1, externalReference: '' },
    { quantity: 1, externalReference: 'r'.repeat(101) },
    { quantity: 1, metadata: { ['k'.repeat(41)]: 'v' } },
    { quantity: 1, metadata: { '': 'v' } },
    { quantity: 1, metadata: { a: 'v'.repeat(501) } },
    { quantity: 1, metadata: { a: 1 } },
    { quantity: 1, metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) },
  ],
  HoldRequest: [{ quantity: 2 }, { seats: [SEAT] }, { quantity: 2, waitlist: true }, { minQuantity: 1 }],
  CreateWebhookEndpointRequest: [
    { url: 'https://example.com/hook', eventTypes: ['booking.confirmed'] },
    { url: 'https://example.com/hook', eventTypes: [] },
    { url: 'https://example.com/hook', eventTypes: ['booking.confirmed', 'booking.confirmed'] },
    { url: 'https://example.com/hook', eventTypes: ['nope'] },
  ],
  UpdateWebhookEndpointRequest: [{ status: 'disabled' }, {}, { status: 'paused' }],
};

describe('request schemas generated from Joi', () => {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, validateFormats: false, allErrors: true });
  ajv.addSchema({
    $id: 'evently',
    $defs: JSON.parse(
      JSON.stringify(openApiDocument.components?.schemas).replaceAll(
        '"#/components/schemas/',
        '"evently#/$defs/',
      ),
    ),
  });

  test.each(Object.keys(requestJoi) as (keyof typeof requestJoi)[])(
    '%s agrees with the Joi schema its route validates with',
    (name) => {
      const check = ajv.getSchema(`evently#/$defs/${name}`)!;
      const verdicts = requestBodies[name].map((body) => ({
        body,
        joi: !requestJoi[name].validate(body, { convert: false }).error,
        document: check(body) as boolean,
      }));
      expect(verdicts[0]).toMatchObject({ joi: true, document: true });
      expect(verdicts.filter((v) => !v.joi).length).toBeGreaterThan(0);
      expect(verdicts.filter((v) => v.joi !== v.document)).toEqual([]);
    },
  );
});

describe('the query parameters of the OpenAPI document', () => {
  test('are those of the Joi schema each route validates its query with, for every operation that has any', () => {
    const documented: Record<string, string[]> = {};
    for (const item of Object.values(openApiDocument.paths ?? {})) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        const names = (operation?.parameters ?? []).flatMap((p) =>
          'in' in p && p.in === 'query' ? [p.name] : [],
        );
        if (operation && names.length > 0) documented[operation.operationId!] = names;
      }
    }
    const fromJoi = Object.fromEntries(
      Object.entries(queryJoi).map(([id, schema]) => [id, Object.keys(schema.describe().keys ?? {})]),
    );
    expect(documented).toEqual(fromJoi);
  });
});

describe('OpenAPI document', () => {
  const api = useTestApi();

  test('is a valid OpenAPI 3.1 document', async () => {
    // As served (JSON), and a copy: the parser dereferences in place.
    const result = await validate(JSON.parse(JSON.stringify(openApiDocument)));
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
    expect(openApiDocument.openapi).toMatch(/^3\.1\.\d+$/);
  });

  test('describes exactly the routes the app serves', () => {
    // The app as production builds it, so a router added to app.ts is seen here.
    const served = new Set<string>();
    for (const middleware of createApp(api.deps).middleware as RouterDispatch[]) {
      for (const layer of middleware.router?.stack ?? []) {
        if (typeof layer.path !== 'string') throw new Error(`route with a RegExp path: ${layer.path}`);
        // HEAD comes free with GET; layers without methods are router middleware, not routes.
        for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
          served.add(`${method} ${toOpenApiPath(layer.path)}`);
        }
      }
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(openApiDocument.paths ?? {})) {
      for (const method of METHODS) {
        if (item[method]) documented.add(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(served.size).toBeGreaterThan(20);
    expect({ undocumented: [...served].filter((r) => !documented.has(r)).sort() }).toEqual({
      undocumented: [],
    });
    expect({ notServed: [...documented].filter((r) => !served.has(r)).sort() }).toEqual({ notServed: [] });
  });

  test('every operation documents its errors with the Error envelope and has an operationId', () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(openApiDocument.paths ?? {})) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        expect({ path, method, operationId: operation.operationId }).toEqual({
          path,
          method,
          operationId: expect.any(String),
        });
        ids.add(operation.operationId!);
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const schema = JSON.stringify(response.content?.['application/json']?.schema ?? {});
          // /health/ready answers 503 with its readiness report, which is the point of that route.
          if (Number(status) >= 400 && path !== '/health/ready') {
            expect({ path, method, status, schema }).toEqual({
              path,
              method,
              status,
              schema: expect.stringContaining('#/components/schemas/Error'),
            });
          }
        }
      }
    }
    expect(ids.size).toBe(
      Object.values(openApiDocument.paths ?? {}).flatMap((item) => METHODS.filter((m) => item[m])).length,
    );
  });

  test('every documented answer says what its body is: a schema, a media type, or none (204, 3xx)', () => {
    const vague: string[] = [];
    for (const [path, item] of Object.entries(openApiDocument.paths ?? {})) {
      for (const method of METHODS) {
        for (const [status, response] of Object.entries(item[method]?.responses ?? {})) {
          const content = response.content as Record<string, { schema?: unknown }> | undefined;
          const bodiless = status === '204' || status.startsWith('3');
          const described = content && Object.values(content).every((media) => media.schema);
          if (!(bodiless ? !content || described : described)) vague.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(vague).toEqual([]);
  });

  test('real answers match the documented schemas', async () => {
    const base = request(api.baseUrl);
    const admin = await createActor(api.baseUrl, 'admin');
    const user = await registerUser(api.baseUrl);

    const registered = await base
      .post('/auth/register')
      .send({ email: `doc-${Date.now()}@example.test`, password: 'correct-horse', name: 'Doc' });
    expectDocumented(registered, 'post', '/auth/register');
    expectDocumented(await base.get('/auth/me').set(user.auth), 'get', '/auth/me');
    expectDocumented(await base.get('/auth/me'), 'get', '/auth/me');
    expectDocumented(await base.post('/auth/login').send({ email: 'x' }), 'post', '/auth/login');

    const created = await base
      .post('/events')
      .set(admin.auth)
      .send({
        name: 'Doc Night',
        venue: `Doc Hall ${Date.now()}`,
        startsAt: '2031-05-01T19:00:00Z',
        capacity: 5,
      });
    expectDocumented(created, 'post', '/events');
    expectDocumented(await base.get('/events').query({ venue: created.body.venue }), 'get', '/events');
    expectDocumented(await base.get('/events/nope'), 'get', '/events/{id}');
    expectDocumented(
      await base.patch(`/events/${created.body.id}`).set(admin.auth).send({ version: 9, name: 'x' }),
      'patch',
      '/events/{id}',
    );

    const booked = await base
      .post(`/events/${created.body.id}/bookings`)
      .set(user.auth)
      .send({ quantity: 2 });
    expectDocumented(booked, 'post', '/events/{id}/bookings');
    expectDocumented(
      await base.get(`/booking-requests/${booked.body.id}`).set(user.auth),
      'get',
      '/booking-requests/{id}',
    );
    expectDocumented(await base.get('/booking-requests').set(user.auth), 'get', '/booking-requests');
    expectDocumented(await base.get('/bookings').set(user.auth), 'get', '/bookings');
    expectDocumented(
      await base.get('/bookings').query({ userId: admin.id }).set(user.auth),
      'get',
      '/bookings',
    );
    expectDocumented(await base.get('/health/ready'), 'get', '/health/ready');
    const partner = await createActor(api.baseUrl, 'partner');
    expectDocumented(await base.get('/webhook-endpoints').set(partner.auth), 'get', '/webhook-endpoints');
    expectDocumented(await base.get('/webhook-endpoints').set(user.auth), 'get', '/webhook-endpoints');
  });

  test('GET /openapi.json serves the document', async () => {
    const res = await request(api.baseUrl).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toMatch(/^3\.1\.\d+$/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  test('GET /docs serves Swagger UI from this server, pointed at /openapi.json', async () => {
    const page = await request(api.baseUrl).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']));
    expect(assets.every((url) => url.startsWith('/docs/'))).toBe(true); // no CDN

    for (const asset of assets) {
      const res = await request(api.baseUrl).get(asset).buffer(true);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    }
    const bundle = await request(api.baseUrl).get('/docs/swagger-ui-bundle.js');
    expect(bundle.headers['content-type']).toMatch(/^text\/javascript/);
    expect(bundle.text).toContain('SwaggerUIBundle');
    const css = await request(api.baseUrl).get('/docs/swagger-ui.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const init = await request(api.baseUrl).get('/docs/swagger-initializer.js');
    expect(init.text).toContain("url: '/openapi.json'");

    const missing = await request(api.baseUrl).get('/docs/package.json');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  browserTest()(
    'Swagger UI at /docs renders the webhooks section: every message type, its payload',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${api.baseUrl}/docs`, { waitUntil: 'domcontentloaded' });
        const webhooks = page.locator('.webhooks');
        await webhooks.getByText('booking.confirmed', { exact: true }).waitFor({ timeout: 20000 });
        for (const type of WEBHOOK_TYPES) {
          expect(await webhooks.getByText(type, { exact: true }).count()).toBeGreaterThan(0);
        }
        await webhooks.getByText('booking.cancelled', { exact: true }).first().click();
        await page.getByText('webhook-signature').first().waitFor({ timeout: 20000 });
        await page.screenshot({ path: artifactPath('docs-webhooks.png'), fullPage: false });
      } finally {
        await browser.close();
      }
    },
  );
});
