import type * as oas from 'openapi3-ts/oas31';
import { anonymous, bearer, error, errors, json, optionalBearer, serviceErrors } from './components.js';

const requestId = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } };
const page = (description: string): oas.ResponseObject => ({
  description,
  headers: requestId,
  content: { 'text/html': { schema: { type: 'string' } } },
});
const redirect = (description: string, to: string, cookie?: string): oas.ResponseObject => ({
  description,
  headers: {
    ...requestId,
    Location: { schema: { type: 'string', const: to } },
    ...(cookie ? { 'Set-Cookie': { description: cookie, schema: { type: 'string' } } } : {}),
  },
});
/** The login form answers browsers with the form again (and a message), other clients with JSON. */
/** An error of the sign-in form: the form again (HTML) for a browser, the Error envelope for others. */
const formError = (answer: oas.ResponseObject): oas.ResponseObject => ({
  ...answer,
  content: { 'text/html': { schema: { type: 'string' } }, ...answer.content },
});

const SESSION =
  'The `evently_admin` session cookie set by `POST /admin/login`, or an admin’s bearer token. ' +
  'Without either, a browser (`Accept` preferring `text/html`) is redirected to `/admin/login` ' +
  'and any other client gets 401; a signed-in non-admin gets 403.';
const adminPage = { '302': redirect('No valid session, to a browser: sign in first', '/admin/login') };
const adminOnly = { '401': errors.unauthorized, '403': errors.forbidden };
/** What the dashboard refuses before bull-board sees it (api/dashboard/board.ts, checkBoardRequest). */
const boardQueryError = error(
  'A malformed query: a malformed percent-escape, a repeated parameter, an unknown `status` (one of ' +
    '`latest`, `active`, `waiting`, `wait`, `waiting-children`, `prioritized`, `completed`, `failed`, ' +
    '`delayed`, `paused`), or a `page` or `jobsPerPage` that is not a positive integer',
  ['validation_failed'],
);
/** The CSRF rule (api/middleware/same-origin.ts), for every route that takes the session cookie. */
const SAME_ORIGIN =
  'A request that can change state (any method but GET, HEAD, OPTIONS) and carries the session ' +
  'cookie must come from this origin: an `Origin` exactly equal to this service’s own (scheme, ' +
  'host and port as the server sees them, through `TRUST_PROXY`), or `Sec-Fetch-Site: ' +
  'same-origin`; with neither, or with any other value of either (`null`, another port, a ' +
  'sibling subdomain, `same-site`, `cross-site`, `none`), it is refused with 403 `forbidden` and ' +
  'changes nothing. Bearer-token requests are not affected.';

const logout: oas.OperationObject = {
  tags: ['admin'],
  summary: 'Sign out of the admin pages: revokes the session’s token and clears the cookie',
  description:
    'GET works too, for the dashboard’s link, and is held to the same rule as POST: with the ' +
    `session cookie, it must come from this origin. ${SAME_ORIGIN}`,
  security: anonymous,
  responses: {
    '303': redirect('Signed out', '/admin/login', 'Clears the session cookie (`Max-Age=0`)'),
    '403': error('Sent with the session cookie from another origin (CSRF)', ['forbidden']),
    ...serviceErrors,
  },
};

/** Metrics and the admin console in a browser (api/routes/metrics.ts, api/dashboard/). */
export const opsPaths: oas.PathsObject = {
  '/metrics': {
    get: {
      tags: ['operations'],
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      description:
        'Text exposition format: HTTP request durations by route template, booking decisions by ' +
        'outcome, decision latency, webhook deliveries by result, queue depth per event, process ' +
        'metrics. Open unless `METRICS_TOKEN` is set (in production it must be); then send it as `Authorization: Bearer ' +
        '<METRICS_TOKEN>` (the token itself, not a JWT). A worker running on its own serves its ' +
        'series on `WORKER_METRICS_PORT` instead.',
      security: optionalBearer,
      responses: {
        '200': {
          description: 'The metrics',
          headers: requestId,
          content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
        },
        '401': error('METRICS_TOKEN is set and was not sent', ['unauthorized'], ['WWW-Authenticate']),
        '403': error(
          'No METRICS_TOKEN: in production the endpoint is closed; elsewhere it answers only requests to localhost',
          ['forbidden'],
        ),
        '500': errors.internal,
      },
    },
  },
  '/admin/login': {
    get: {
      tags: ['admin'],
      operationId: 'adminLoginPage',
      summary: 'The admin sign-in form (HTML)',
      security: anonymous,
      responses: { '200': page('The form'), '500': errors.internal },
    },
    post: {
      tags: ['admin'],
      operationId: 'adminLogin',
      summary: 'Sign in to the admin pages with the form; sets the session cookie',
      description:
        'Checks the credentials as `POST /auth/login` does and sets `evently_admin`, an access ' +
        'token in an HttpOnly, SameSite=Strict cookie for `Path=/admin` (`Secure` in production) ' +
        'that lives as long as the token. Any account can sign in; the dashboard admits admins only. ' +
        'Login CSRF: the form must be posted from this origin, with or without a cookie: an ' +
        '`Origin` exactly equal to this service’s own, or `Sec-Fetch-Site: same-origin`; anything ' +
        'else, or neither, is 403. A browser (`Accept` preferring `text/html`) gets the form again with ' +
        'a message for a refused sign-in, with the error’s headers: over a sign-in budget or with the ' +
        'account locked, 429 with `Retry-After`, `RateLimit` and `RateLimit-Policy` and “Too many ' +
        'attempts; try again in N seconds”.',
      security: anonymous,
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['email', 'password'],
              additionalProperties: false,
              properties: {
                email: { type: 'string', format: 'email', maxLength: 254 },
                password: { type: 'string', maxLength: 128 },
              },
            },
          },
        },
      },
      responses: {
        '303': redirect('Signed in: on to the admin console', '/admin', 'The session cookie'),
        '400': formError(error('A missing or malformed field', ['validation_failed'])),
        '401': formError(error('Wrong email or password', ['unauthorized'])),
        '429': formError(errors.rateLimited),
        '403': formError(
          error('Not posted from this origin (`Origin`, `Sec-Fetch-Site`), or a disabled account', [
            'forbidden',
            'account_disabled',
          ]),
        ),
        '413': error('Form over 4 kB', ['payload_too_large']),
        '415': error('A body that is neither form-encoded nor JSON', ['unsupported_media_type']),
        ...serviceErrors,
      },
    },
  },
  '/admin/logout': {
    get: { ...logout, operationId: 'adminLogoutLink' },
    post: { ...logout, operationId: 'adminLogout' },
  },
  '/admin': {
    get: {
      tags: ['admin'],
      operationId: 'adminConsole',
      summary: 'The admin console: sales overview, each event’s attendees, holds and waitlist, users',
      description:
        `${SESSION} One page; its views are chosen by the URL's fragment (\`#/\`, \`#/events/{id}\`, ` +
        '`#/users`) and call the admin JSON API with the session cookie. Its scripts, stylesheet and ' +
        'chart library are served under `/admin/console/`, under a policy that allows nothing else.',
      security: bearer,
      responses: {
        '200': page('The console'),
        ...adminPage,
        ...adminOnly,
        ...serviceErrors,
      },
    },
  },
  '/admin/console/{name}': {
    parameters: [
      {
        name: 'name',
        in: 'path',
        required: true,
        description: 'One of the console’s own files (`app.js`, `console.css`, …) or `chart.umd.min.js`',
        schema: { type: 'string' },
      },
    ],
    get: {
      tags: ['admin'],
      operationId: 'adminConsoleAsset',
      summary: 'A script or stylesheet of the admin console',
      description: SESSION,
      security: bearer,
      responses: {
        '200': {
          description: 'The file',
          headers: requestId,
          content: {
            'text/javascript': { schema: { type: 'string' } },
            'text/css': { schema: { type: 'string' } },
          },
        },
        ...adminPage,
        ...adminOnly,
        '404': error('No such file', ['not_found']),
        ...serviceErrors,
      },
    },
  },
  '/admin/queues': {
    get: {
      tags: ['admin'],
      operationId: 'queueDashboard',
      summary: 'The queue dashboard (bull-board): every event queue with pending work, and the webhook queue',
      description:
        `${SESSION} Event queues appear as events get work and leave once their queue is idle. ` +
        'The page’s assets and bull-board’s own JSON API (job details, retry, pause...) live under ' +
        '`/admin/queues/` behind the same guard; they are bull-board’s, not part of this contract, ' +
        `except the queue list below. ${SAME_ORIGIN}`,
      security: bearer,
      responses: {
        '200': page('The dashboard'),
        '400': boardQueryError,
        ...adminPage,
        ...adminOnly,
        ...serviceErrors,
      },
    },
  },
  '/admin/queues/api/queues': {
    get: {
      tags: ['admin'],
      operationId: 'queueDashboardQueues',
      summary: 'The queues the dashboard shows, with their job counts (bull-board’s JSON)',
      description: `${SESSION} Other fields of bull-board’s answer are bull-board’s and may change with it.`,
      security: bearer,
      responses: {
        '200': json('The queues', {
          type: 'object',
          required: ['queues'],
          properties: {
            queues: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'counts'],
                properties: {
                  name: { type: 'string', description: '`event-<event id>`, or `webhooks`' },
                  description: { type: 'string', description: 'The event’s name, for event queues' },
                  counts: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
                },
              },
            },
          },
        }),
        '400': boardQueryError,
        ...adminPage,
        ...adminOnly,
        ...serviceErrors,
      },
    },
  },
};
