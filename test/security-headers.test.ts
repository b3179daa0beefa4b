import request from 'supertest';
import { browserTest, launchChromium } from './support/browser.js';
import { useTestApi } from './support/environment.js';
import { expectApiError } from './support/http.js';

const ALLOWED = 'https://app.example.test';
const ALSO_ALLOWED = 'http://localhost:5173';
const OTHER = 'https://evil.example.test';

/** Directive name -> its sources, from a Content-Security-Policy header. */
function directives(csp: string | undefined): Record<string, string[]> {
  return Object.fromEntries(
    (csp ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!, sources]),
  );
}

function expectHelmetHeaders(headers: Record<string, string>) {
  expect(headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'same-origin',
    'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-dns-prefetch-control': 'off',
    'x-permitted-cross-domain-policies': 'none',
  });
  const csp = directives(headers['content-security-policy']);
  expect(csp).toMatchObject({
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'object-src': ["'none'"],
    'frame-ancestors': ["'none'"],
  });
  expect(headers).not.toHaveProperty('x-powered-by');
}

describe('security headers, CORS and the body limit', () => {
  const api = useTestApi({ CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}`, BODY_LIMIT_KB: '2' });

  const http = () => request(api.baseUrl);

  test('helmet’s headers are on JSON answers, errors included', async () => {
    const ok = await http().get('/events');
    expect(ok.status).toBe(200);
    expectHelmetHeaders(ok.headers);
    const missing = await http().get('/no-such-path');
    expectApiError(missing, 404, 'not_found');
    expectHelmetHeaders(missing.headers);
    const unauthorized = await http().get('/auth/me');
    expectApiError(unauthorized, 401, 'unauthorized');
    expectHelmetHeaders(unauthorized.headers);
  });

  test('an allowed origin gets Access-Control-Allow-Origin and the exposed headers', async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      const res = await http().get('/events').set('Origin', origin);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['access-control-expose-headers']!.split(',').sort()).toEqual(
        [
          'Idempotent-Replayed',
          'Location',
          'Preference-Applied',
          'RateLimit',
          'RateLimit-Policy',
          'Retry-After',
          'X-Request-Id',
        ].sort(),
      );
      expect(res.headers.vary).toMatch(/\bOrigin\b/);
    }
    // Error answers too, so a browser script can read why it was refused.
    const refused = await http().get('/auth/me').set('Origin', ALLOWED);
    expectApiError(refused, 401, 'unauthorized');
    expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  test('another origin gets no CORS headers', async () => {
    for (const origin of [OTHER, `${ALLOWED}.evil.test`, 'null', 'https://APP.example.test']) {
      const res = await http().get('/events').set('Origin', origin);
      expect(res.status).toBe(200);
      expect({ origin, acao: res.headers['access-control-allow-origin'] }).toEqual({
        origin,
        acao: undefined,
      });
      expect(res.headers['access-control-expose-headers']).toBeUndefined();
      expect(res.headers.vary).toMatch(/\bOrigin\b/); // caches must not reuse an allowed answer
    }
  });

  test('a preflight from an allowed origin is answered without authentication', async () => {
    const res = await http()
      .options('/events/7d3c2b1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d/bookings')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']!.split(',')).toEqual(
      expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE']),
    );
    const allowedHeaders = res.headers['access-control-allow-headers']!.toLowerCase().split(',');
    expect(allowedHeaders).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
    );
    expect(res.headers['access-control-max-age']).toBe('600');
  });

  test('a preflight from another origin is not approved', async () => {
    const res = await http()
      .options('/events')
      .set('Origin', OTHER)
      .set('Access-Control-Request-Method', 'POST');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });

  test('a body over BODY_LIMIT_KB is 413 payload_too_large', async () => {
    const res = await http()
      .post('/auth/login')
      .send({ email: 'a@example.test', password: 'x'.repeat(3 * 1024) });
    expectApiError(res, 413, 'payload_too_large');
    const small = await http()
      .post('/auth/login')
      .send({ email: 'a@example.test', password: 'x'.repeat(100) });
    expectApiError(small, 401, 'unauthorized');
  });

  test('/docs carries a CSP that allows its own same-origin scripts and styles, and they load', async () => {
    const page = await http().get('/docs');
    expect(page.status).toBe(200);
    const csp = directives(page.headers['content-security-policy']);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['style-src']).toContain("'self'");
    // No inline script on the page: the initializer is a file of its own.
    expect(page.text).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/);
    for (const asset of [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)) {
      const res = await http().get(asset).buffer(true);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    }
  });

  browserTest()('in Chromium, Swagger UI renders under the CSP without a violation', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(`${api.baseUrl}/docs`, { waitUntil: 'load' });
      // Rendered from /openapi.json by the bundle: scripts ran and the document was fetched.
      await page.locator('.swagger-ui .info .title').getByText('Evently API').waitFor({ timeout: 20000 });
      await page.locator('.opblock-summary-path', { hasText: '/auth/password' }).first().waitFor();
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('CORS without CORS_ORIGINS', () => {
  const api = useTestApi();

  test('no origin gets CORS headers, preflights included', async () => {
    const res = await request(api.baseUrl).get('/events').set('Origin', ALLOWED);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await request(api.baseUrl)
      .options('/events')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});
