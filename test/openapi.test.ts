import { compileErrors, validate } from '@readme/openapi-parser';
import request, { type Response } from 'supertest';
import { createApp } from '../api/app.js';
import { openApiDocument } from '../api/openapi/document.js';
import { createActor, registerUser } from './support/actors.js';
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
});
