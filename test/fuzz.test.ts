// Property-based fuzzing of every documented operation: random bodies, path parameters, query
// strings and headers never get a 5xx, every 4xx has the error shape, and a 4xx changes no data.
// `npm test` runs a fixed seed and a few hundred cases; `npm run fuzz` runs many more
// (FUZZ_RUNS, FUZZ_SEED: read here, in the test, never by the service).
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import request, { type Response } from 'supertest';
import { openApiDocument } from '../api/openapi/document.js';
import { WebhookEndpoint } from '../shared/db/models/index.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { testConfig, testEnv } from './support/config.js';
import {
  DEFAULT_WAIT_MS,
  flushRedisPrefix,
  type StartedApi,
  startInProcessWorker,
  startTestApi,
  waitFor,
} from './support/harness.js';
import { expectApiError } from './support/http.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20260501);
/** Marks what the fuzz's own (valid-looking) bodies could create, so it can be looked for. */
const MARK = `fz${randomUUID().slice(0, 8)}`;
const PASSWORD = 'correct-horse-battery';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];
type ActorName = 'none' | 'user' | 'partner' | 'admin';

interface Operation {
  method: Method;
  /** OpenAPI spelling: `/events/{id}/bookings`. */
  path: string;
  query: string[];
}

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };

interface Case {
  op: Operation;
  method: Method | 'options';
  params: string[];
  query: string;
  actor: ActorName;
  headers: Record<string, string>;
  contentType: string | null;
  body: Body;
}

/** Every operation the document describes (test/openapi.test.ts keeps it equal to the routers). */
const operations: Operation[] = Object.entries(openApiDocument.paths ?? {}).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((method) => ({
    method,
    path,
    query: (item[method]!.parameters ?? []).flatMap((p) => {
      if ('$ref' in p) {
        const name = p.$ref.split('/').at(-1)!;
        const resolved = openApiDocument.components?.parameters?.[name];
        return resolved && 'in' in resolved && resolved.in === 'query' ? [resolved.name] : [];
      }
      return p.in === 'query' ? [p.name] : [];
    }),
  })),
);

describe('fuzzing every endpoint', () => {
  const env = testEnv({
    // Long polls would hold a case for seconds; cap them at "answer now".
    LONG_POLL_MAX_SECONDS: '0',
    // No private hosts allowed: a fuzzed registration must never create a live endpoint (an
    // admin's would receive every message of every test file sharing this database).
    CORS_ORIGINS: 'https://app.example.test',
  });
  let api: StartedApi;
  const actors: Partial<Record<Exclude<ActorName, 'none'>, Actor>> = {};
  let eventId: string;
  let draftEventId: string;
  let requestId: string;
  let bookingId: string;
  let endpointId: string;
  /** Path parameter values that reach past "not found": ids the fuzz principals own. */
  let knownIds: string[] = [];

  const http = () => request(api.baseUrl);

  /**
   * Keep-alive, as browsers and HTTP libraries are: the server then reads and discards a body it
   * refused. With `Connection: close` (supertest's default) it closes the socket with the body
   * unread, and the kernel's reset can destroy the answer before the client reads it.
   */
  const keepAlive = new Agent({ keepAlive: true });

  async function signIn(role: 'user' | 'partner' | 'admin'): Promise<Actor> {
    return role === 'user' ? registerUser(api.baseUrl, `${MARK}-user`) : createActor(api.baseUrl, role);
  }

  beforeAll(async () => {
    api = await startTestApi(testConfig(env));
    const [admin, user, partner] = await Promise.all([signIn('admin'), signIn('user'), signIn('partner')]);
    Object.assign(actors, { admin, user, partner });
    const event = await createEvent(api.baseUrl, admin!, { capacity: 1000, name: `Fuzz ${MARK}` });
    const draft = await createEvent(api.baseUrl, admin!, { status: 'draft', name: `Fuzz draft ${MARK}` });
    eventId = event.id;
    draftEventId = draft.id;

    // One decided booking, so cancel and lookups reach their deeper branches. The worker stops
    // before fuzzing: nothing may change the data behind the fuzz's back.
    const worker = await startInProcessWorker(testConfig(env));
    try {
      const booked = await http().post(`/events/${eventId}/bookings`).set(user!.auth).send({ quantity: 1 });
      expect(booked.status).toBe(202);
      requestId = booked.body.id;
      bookingId = await waitFor(
        async () => {
          const res = await http().get(`/booking-requests/${requestId}`).set(user!.auth);
          return res.body.booking?.id as string | undefined;
        },
        DEFAULT_WAIT_MS,
        'the seed booking to be confirmed',
      );
    } finally {
      await worker.close();
    }
    // Made directly (the SSRF guard refuses loopback here, by design) and disabled: it exists for
    // its id, to send nothing.
    const endpoint = await WebhookEndpoint.create({
      userId: partner!.id,
      url: `http://127.0.0.1:9/${MARK}`,
      eventTypes: ['booking.confirmed'],
      secrets: [{ secret: 'whsec_ZnV6emZ1enpmdXp6ZnV6emZ1enpmdXp6', expiresAt: null }],
      status: 'disabled',
    });
    endpointId = endpoint.id;
    knownIds = [eventId, draftEventId, requestId, bookingId, endpointId, user!.id];
  });

  afterAll(async () => {
    keepAlive.destroy();
    // Admins' endpoints receive every message: retire the ones the fuzz registered, or the test
    // files that relay webhooks (sharing this database) would keep delivering to a closed port.
    const owners = Object.values(actors).map((a) => a.id);
    await api?.deps.sequelize.query(
      `WITH gone AS (
         UPDATE webhook_endpoints SET status = 'disabled', deleted_at = now()
          WHERE deleted_at IS NULL AND (user_id = ANY($owners::uuid[]) OR url LIKE $mark) RETURNING id)
       UPDATE webhook_deliveries SET status = 'failed', last_error = 'fuzz endpoint retired'
        WHERE status = 'pending' AND endpoint_id IN (SELECT id FROM gone)`,
      { bind: { owners, mark: `%${MARK}%` } },
    );
    await api?.close();
    await flushRedisPrefix(env.REDIS_PREFIX!);
  });

  // ---- what a case may change: the rows of the fuzz's principals and events, and anything
  // carrying the fuzz's marker or a string the case sent (other test files run alongside). ----

  /** Up to 100 strings from a body, the ones a created row could carry. */
  function stringsIn(value: unknown, found: string[] = [], depth = 0): string[] {
    if (found.length >= 100 || depth > 20) return found;
    if (typeof value === 'string') {
      // PostgreSQL text holds neither NUL nor a lone surrogate; such a string cannot be stored.
      if (value.length <= 2048 && !value.includes('\u0000') && wellFormed(value))
        found.push(value.toLowerCase());
    } else if (value && typeof value === 'object') {
      for (const item of Object.values(value)) stringsIn(item, found, depth + 1);
    }
    return found;
  }

  async function digest(c: Case): Promise<unknown> {
    const principals = Object.values(actors).map((a) => a.id);
    const strings = c.body.kind === 'json' ? stringsIn(c.body.value) : [];
    const [row] = await api.deps.sequelize.query(
      `SELECT
         (SELECT md5(coalesce(string_agg(u::text, '|' ORDER BY u.id), '')) FROM users u
           WHERE u.id = ANY($principals::uuid[]) OR u.email LIKE $mark OR lower(u.email) = ANY($strings::text[])) AS users,
         (SELECT md5(coalesce(string_agg(e::text, '|' ORDER BY e.id), '')) FROM events e
           WHERE e.id = ANY($events::uuid[]) OR e.name LIKE $mark OR e.venue LIKE $mark
              OR lower(e.name) = ANY($strings::text[]) OR lower(e.venue) = ANY($strings::text[])) AS events,
         (SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r.id), '')) FROM booking_requests r
           WHERE r.user_id = ANY($principals::uuid[]) OR r.event_id = ANY($events::uuid[])) AS requests,
         (SELECT md5(coalesce(string_agg(b::text, '|' ORDER BY b.id), '')) FROM bookings b
           WHERE b.user_id = ANY($principals::uuid[]) OR b.event_id = ANY($events::uuid[])) AS bookings,
         -- Not the delivery bookkeeping columns: another file's relay may deliver to these.
         (SELECT md5(coalesce(string_agg(concat_ws(',', w.id, w.url, w.description, w.event_types::text,
                   w.secrets::text, w.status, w.deleted_at), '|' ORDER BY w.id), '')) FROM webhook_endpoints w
           WHERE w.user_id = ANY($principals::uuid[]) OR w.url LIKE $mark OR lower(w.url) = ANY($strings::text[])) AS endpoints,
         (SELECT count(*)::int FROM webhook_outbox o
           WHERE o.event_id = ANY($events::uuid[]) OR o.user_id = ANY($principals::uuid[])) AS outbox`,
      {
        bind: { principals, events: [eventId, draftEventId], mark: `%${MARK}%`, strings },
        type: QueryTypes.SELECT,
      },
    );
    return row;
  }

  // ---- arbitraries ----

  const unicode = fc.string({ unit: 'binary', maxLength: 60 });
  const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 60 });
  /** What Node lets a client put in a header value: tab, printable ASCII and Latin-1. */
  const headerText = fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n)),
      fc.integer({ min: 0x80, max: 0xff }).map((n) => String.fromCharCode(n)),
      fc.constant('\t'),
    ),
    maxLength: 300,
  });
  const huge = fc
    .tuple(
      fc.constantFrom('x', 'é', '💥', '\u202e', '\u0000', '"', '\\'),
      fc.integer({ min: 1000, max: 40000 }),
    )
    .map(([ch, n]) => ch.repeat(n));
  const weird = fc.constantFrom<unknown>(
    -0,
    1e308,
    -1e308,
    5e-324,
    Number.MAX_SAFE_INTEGER + 2,
    '1e3',
    '0x10',
    ' 1',
    '',
    ' ',
    'null',
    'true',
    '__proto__',
    'constructor',
    '2031-02-31T10:00:00Z',
    '9999-12-31T23:59:59Z',
    '1970-01-01',
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '%00',
    '\u0000',
    'A'.repeat(255),
    [],
    {},
    [null],
    { $gt: '' },
    { __proto__: { role: 'admin' } },
    JSON.parse('{"__proto__": {"role": "admin"}, "constructor": {"prototype": {"x": 1}}}'),
  );
  const garbage: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    {
      weight: 2,
      arbitrary: fc.anything({
        maxDepth: 3,
        withNullPrototype: true,
        withDate: true,
        withSparseArray: true,
        withBoxedValues: true,
        withObjectString: true,
      }),
    },
    { weight: 2, arbitrary: unicode },
    { weight: 2, arbitrary: weird },
    { weight: 1, arbitrary: huge },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 400 }).map((n) => nest(n, 'array')) },
  );

  /** A body the endpoint would accept (or nearly), for mutations to start from. */
  function template(op: Operation): Record<string, unknown> {
    const email = `${MARK}-${randomUUID()}@example.test`;
    const future = new Date(Date.now() + 40 * 86400000).toISOString();
    switch (`${op.method} ${op.path}`) {
      case 'post /auth/register':
      case 'post /admin/users':
        return {
          email,
          password: PASSWORD,
          name: `Fuzz ${MARK}`,
          ...(op.path === '/admin/users' ? { role: 'user' } : {}),
        };
      case 'post /auth/login':
      case 'post /admin/login':
        return { email, password: 'wrong-password-1' };
      case 'post /auth/refresh':
        return { refreshToken: 'not.a.token' };
      case 'post /auth/logout':
        return {};
      case 'post /auth/password':
        return { currentPassword: 'wrong-password-1', newPassword: 'another-password-1' };
      case 'post /events':
        return { name: `Fuzz ${MARK}`, venue: `Hall ${MARK}`, startsAt: future, capacity: 10 };
      case 'patch /events/{id}':
        return { version: 1, name: `Fuzz ${MARK} renamed` };
      case 'post /events/{id}/bookings':
        return { quantity: 1 };
      case 'post /webhook-endpoints':
        return { url: `http://127.0.0.1:9/${MARK}`, eventTypes: ['booking.confirmed'] };
      case 'patch /webhook-endpoints/{id}':
        return { description: `Fuzz ${MARK}` };
      default:
        return {};
    }
  }

  const bodyFor = (op: Operation): fc.Arbitrary<Body> =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
      { weight: 5, arbitrary: fc.constant<Body>({ kind: 'json', value: template(op) }) },
      {
        weight: 4,
        arbitrary: fc
          .tuple(fc.constantFrom(...Object.keys(template(op)), 'extra', '__proto__', 'role', 'id'), garbage)
          .map(([key, value]): Body => ({ kind: 'json', value: { ...template(op), [key]: value } })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(...Object.keys(template(op)), 'none')
          .map((drop): Body => ({ kind: 'json', value: without(template(op), drop) })),
      },
      { weight: 3, arbitrary: garbage.map((value): Body => ({ kind: 'json', value })) },
      {
        weight: 2,
        arbitrary: fc
          .oneof(
            unicode,
            fc.constantFrom(
              '{',
              '{"a":',
              '[1,2',
              '{"a":1,}',
              "{'a':1}",
              'NaN',
              'undefined',
              '{"a":1}{"b":2}',
              '\ufeff{}',
              '{"quantity":1,"quantity":1e400}',
            ),
            fc.integer({ min: 1000, max: 10000 }).map((n) => deepJson(n, 'object')),
            fc.integer({ min: 1000, max: 30000 }).map((n) => deepJson(n, 'array')),
          )
          .map((text): Body => ({ kind: 'raw', text })),
      },
    );

  const contentType = fc.oneof(
    { weight: 16, arbitrary: fc.constant('application/json') },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        null,
        '',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json; charset=nonsense',
        'APPLICATION/JSON',
        'application/merge-patch+json',
        'application/vnd.api+json',
        'text/plain',
        'text/html',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=xyz',
        'application/xml',
        '*/*',
        'application/json, text/plain',
      ),
    },
    { weight: 1, arbitrary: headerText },
  );

  const pathParam = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 5).map((i) => () => knownIds[i]!) },
    { weight: 2, arbitrary: fc.uuid().map((id) => () => id) },
    { weight: 1, arbitrary: fc.uuid().map((id) => () => id.toUpperCase()) },
    { weight: 2, arbitrary: unicode.map((s) => () => encodeURIComponent(s)) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '%zz',
          '%',
          '%00',
          '..',
          '%2e%2e',
          '%2F',
          '{id}',
          'null',
          '0',
          '-1',
          '1e9',
          'x'.repeat(5000),
          '%E0%A4%A',
        )
        .map((s) => () => s),
    },
  );

  const queryString = (op: Operation) =>
    fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...op.query, 'limit', 'cursor', 'from', 'to', 'status'), printable),
          fc.oneof(
            printable,
            unicode,
            weird.map(String),
            fc.integer().map(String),
            fc.constantFrom('101', '0', '-1', '1.5', 'abc', '2030-01-01', '2030-13-45', 'eyJ4IjoxfQ', '%%%'),
          ),
        ),
        { maxLength: 5 },
      )
      .map((pairs) =>
        pairs
          .map(([k, v]) =>
            v === '%%%'
              ? `${encodeURIComponent(k)}=%%%`
              : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
          )
          .join('&'),
      );

  const headers = fc.record(
    {
      authorization: fc.oneof(
        headerText,
        fc.constantFrom(
          'Bearer ',
          'Bearer',
          'bearer x.y.z',
          'Basic Zm9vOmJhcg==',
          'Bearer a.b.c',
          `Bearer ${'a'.repeat(5000)}`,
        ),
        headerText.map((t) => `Bearer ${t}`),
      ),
      'idempotency-key': fc.oneof(headerText, fc.uuid(), fc.constant('k'.repeat(300))),
      prefer: fc.oneof(
        headerText,
        fc.constantFrom(
          'wait=5',
          'wait=0',
          'wait=-1',
          'wait=abc',
          'wait=99999999999999999999',
          'respond-async, wait=1',
          'wait=',
        ),
      ),
      'x-request-id': headerText,
      'cache-control': fc.oneof(headerText, fc.constantFrom('no-cache', 'max-age=0', 'no-store')),
      origin: fc.oneof(
        headerText,
        fc.constantFrom('https://app.example.test', 'null', 'https://evil.example.test'),
      ),
      // Some cookie-less form posts (the dashboard sign-in) pass the same-origin check and go on.
      'sec-fetch-site': fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none'),
      'access-control-request-method': fc.constantFrom('POST', 'GET', 'BREW'),
      accept: fc.constantFrom('application/json', '*/*', 'text/plain', 'application/xml'),
    },
    { requiredKeys: [] },
  );

  const caseFor = (op: Operation): fc.Arbitrary<Case> =>
    fc.record({
      op: fc.constant(op),
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom<Method | 'options'>(...METHODS, 'options') },
      ),
      params: fc.array(pathParam, { minLength: 2, maxLength: 2 }).map((ps) => ps.map((p) => p())),
      query: fc.oneof(fc.constant(''), queryString(op)),
      actor: fc.constantFrom<ActorName>('none', 'user', 'partner', 'admin', 'admin'),
      headers,
      contentType,
      body: bodyFor(op),
    });

  const anyCase = fc.constantFrom(...operations).chain(caseFor);

  // ---- sending a case and judging the answer ----

  function urlOf(c: Case): string {
    let i = 0;
    const path = c.op.path.replace(/\{\w+\}/g, () => c.params[i++] ?? 'x');
    return c.query ? `${path}?${c.query}` : path;
  }

  function send(c: Case, override?: { body: Buffer; contentType: string }): Promise<Response> {
    let req = http()[c.method](urlOf(c)).agent(keepAlive).timeout(15000);
    const actor = c.actor === 'none' ? undefined : actors[c.actor];
    const headerSet = { ...c.headers };
    // A signed-in case keeps its real token; the others send whatever the generator made.
    if (actor) headerSet.authorization = `Bearer ${actor.token}`;
    req = req.set(headerSet);
    const payload = override?.body ?? encode(c.body);
    const type = override?.contentType ?? c.contentType;
    if (type !== null) req = req.set('Content-Type', type);
    // The bytes as generated: superagent would otherwise re-serialise a Buffer by its Content-Type.
    return payload ? req.serialize((data) => data).send(payload) : req;
  }

  function encode(body: Body): Buffer | undefined {
    if (body.kind === 'none') return undefined;
    if (body.kind === 'raw') return Buffer.from(body.text, 'utf8');
    const text = JSON.stringify(body.value);
    return text === undefined ? undefined : Buffer.from(text, 'utf8');
  }

  /** The same with Node's own client: supertest spends ~250 ms of CPU on a 1 MB body. */
  function sendRaw(c: Case, body: Buffer): Promise<Response> {
    const { hostname, port } = new URL(api.baseUrl);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          agent: keepAlive,
          host: hostname,
          port,
          method: c.method.toUpperCase(),
          path: urlOf(c),
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': body.length,
            ...(c.actor === 'none' ? {} : { Authorization: `Bearer ${actors[c.actor]!.token}` }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const json = /^application\/json/.test(res.headers['content-type'] ?? '');
            resolve({
              status: res.statusCode,
              headers: res.headers,
              text,
              body: json ? JSON.parse(text) : {},
            } as unknown as Response);
          });
        },
      );
      req.on('error', (err) =>
        reject(new Error(`${describeCase(c)} (${body.length} bytes): ${err.message}`)),
      );
      req.end(body);
    });
  }

  /** A readable one-liner of the case, for a failure message. */
  const describeCase = (c: Case) => `${c.method.toUpperCase()} ${urlOf(c).slice(0, 300)} as ${c.actor}`;

  async function judge(c: Case, res: Response, before: unknown) {
    if (res.status >= 500)
      throw new Error(`${describeCase(c)} answered ${res.status}: ${res.text.slice(0, 500)}`);
    if (res.status >= 400) {
      expectApiError(res, res.status);
      expect({ case: describeCase(c), data: await digest(c) }).toEqual({
        case: describeCase(c),
        data: before,
      });
    }
  }

  /** A case that logged out, changed a password or spent a token may have ended a session. */
  async function renewSessions(c: Case, res: Response) {
    if (res.status >= 400 || !c.op.path.startsWith('/auth/')) return;
    for (const role of ['user', 'partner', 'admin'] as const) {
      const me = await http().get('/auth/me').set(actors[role]!.auth);
      if (me.status === 401) {
        const login = await http()
          .post('/auth/login')
          .send({ email: actors[role]!.email, password: PASSWORD });
        expect(login.status).toBe(200);
        actors[role] = {
          ...actors[role]!,
          token: login.body.accessToken,
          auth: { Authorization: `Bearer ${login.body.accessToken}` },
        };
      }
    }
  }

  test(
    `random requests to every operation (${RUNS} runs, seed ${SEED}): no 5xx, 4xx has the error shape and changes nothing`,
    async () => {
      expect(operations.length).toBeGreaterThan(30);
      await fc.assert(
        fc.asyncProperty(anyCase, async (c) => {
          const before = await digest(c);
          const res = await send(c);
          await judge(c, res, before);
          await renewSessions(c, res);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: RUNS > 1000 },
      );
    },
    Math.max(60000, RUNS * 500),
  );

  test('every operation, given a 1 MB body or deeply nested JSON, answers 4xx (or as usual) and never 5xx', async () => {
    const megabyte = Buffer.from(JSON.stringify({ quantity: 1, padding: 'x'.repeat(1024 * 1024) }));
    const deepObject = Buffer.from(deepJson(10000, 'object'));
    const deepArray = Buffer.from(deepJson(30000, 'array'));
    for (const op of operations) {
      for (const body of [megabyte, deepObject, deepArray]) {
        const c: Case = {
          op,
          method: op.method,
          params: [eventId, bookingId],
          query: '',
          actor: 'admin',
          headers: {},
          contentType: 'application/json',
          body: { kind: 'none' },
        };
        const before = await digest(c);
        const res = await sendRaw(c, body);
        await judge(c, res, before);
        if (body === megabyte) {
          expect({ op: `${op.method} ${op.path}`, status: res.status }).toEqual({
            op: `${op.method} ${op.path}`,
            status: 413,
          });
        }
      }
    }
  });
});

function nest(depth: number, kind: 'object' | 'array'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

/** JSON text nested `depth` levels deep (JSON.stringify would overflow the stack building it). */
function deepJson(depth: number, kind: 'object' | 'array'): string {
  return kind === 'object'
    ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

function without(body: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => k !== key));
}

function wellFormed(value: string): boolean {
  try {
    encodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}
