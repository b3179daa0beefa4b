import type * as oas from 'openapi3-ts/oas31';
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_PATH } from '../middleware/session-cookie.js';
import { headers, param, parameters } from './components.js';
import { accountPaths } from './paths-accounts.js';
import { adminPaths, adminSchemas } from './paths-admin.js';
import { bookingPaths } from './paths-bookings.js';
import { consolePaths, consoleSchemas } from './paths-console.js';
import { eventPaths } from './paths-events.js';
import { opsPaths } from './paths-ops.js';
import { seatingPaths, seatingSchemas } from './paths-seating.js';
import { webhookPaths, webhookSchemas } from './paths-webhooks.js';
import { requestSchemas, withGeneratedQuery } from './requests.js';
import { schemas } from './schemas.js';
import { webhookHeaders, webhookMessageSchemas, webhooks } from './webhooks.js';

/**
 * Under `/admin/`, the session cookie stands for a bearer token (api/middleware/authenticate.ts,
 * `readCaller`): every operation there that takes a bearer token takes the cookie too.
 */
function withSessionCookie(path: string, operation: oas.OperationObject): oas.OperationObject {
  const within = path === ADMIN_SESSION_PATH || path.startsWith(`${ADMIN_SESSION_PATH}/`);
  const bearer = operation.security?.some((s) => 'bearerAuth' in s);
  if (!within || !bearer) return operation;
  return { ...operation, security: [...(operation.security ?? []), { adminSession: [] }] };
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const paths: oas.PathsObject = {
  ...accountPaths,
  ...eventPaths,
  ...bookingPaths,
  ...seatingPaths,
  ...webhookPaths,
  ...adminPaths,
  ...consolePaths,
  ...opsPaths,
};

/**
 * The API contract as OpenAPI 3.1, served at /openapi.json. test/openapi.test.ts fails when a
 * route is served that this does not describe, or the reverse, so keep them in step.
 */
export const openApiDocument: oas.OpenAPIObject = {
  openapi: '3.1.0',
  info: {
    title: 'Evently API',
    version: '0.1.0',
    description: [
      'Queue-based asynchronous ticket booking.',
      'All bodies are JSON. Errors are always `{"error": {"code", "message", "details"}}`; unknown ' +
        'fields, wrong types and unparsable dates are `400 validation_failed`.',
      'Lists take `limit` (1–100) and `cursor`, and answer `{"data": [...], "next": cursor|null}`.',
      'Booking requests are decided asynchronously: `202` with `Location`, then poll (or long-poll ' +
        'with `Prefer: wait=N`) the booking request. Bookings, holds and their confirmations, ' +
        'releases and cancellations are all booking requests, decided in one queue per event in ' +
        'arrival order.',
      'Any path answers `405 method_not_allowed` for a method it does not serve, and `501 ' +
        'not_implemented` for a method the server does not know; an unknown path is `404 not_found`.',
      'Outcomes and event news are pushed to partners’ webhook endpoints: the `webhooks` section has ' +
        'each message type’s payload and headers.',
      'Sign-in, registration and booking submissions are rate-limited (Redis-backed, shared by every ' +
        'instance): over a budget is `429 rate_limited` with `Retry-After` in seconds. A request whose ' +
        'body is over `BODY_LIMIT_KB` (64 kB by default) is `413 payload_too_large`, whatever its method.',
    ].join('\n\n'),
  },
  servers: [{ url: '/', description: 'This server' }],
  tags: [
    { name: 'auth', description: 'Accounts and JWTs' },
    { name: 'admin', description: 'Admin-only account management' },
    { name: 'events', description: 'What is on sale: published events for everyone, drafts for admins' },
    { name: 'bookings', description: 'Booking requests are submitted here; bookings are what they win' },
    { name: 'booking requests', description: 'Outcomes of submitted requests' },
    {
      name: 'seating',
      description: 'Reserved seating: an event’s seat map, its seats’ states and its sections',
    },
    {
      name: 'holds',
      description: 'Seats kept for a buyer during checkout, then confirmed (booked), released or expired',
    },
    { name: 'waitlist', description: 'The line for a sold-out event, served in order as seats free up' },
    {
      name: 'webhooks',
      description: 'Partner endpoints for booking, hold, waitlist and event notifications',
    },
    { name: 'analytics', description: 'Admin-only figures over bookings, events and queues' },
    { name: 'operations', description: 'Health and these docs' },
  ],
  security: [{ bearerAuth: [] }],
  // Every operation accepts X-Request-Id; declaring it per path item keeps the operations short.
  // Query parameters come from the Joi schemas the routes validate with (requests.ts).
  paths: Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      {
        ...Object.fromEntries(
          Object.entries(item ?? {}).map(([key, value]) =>
            METHODS.has(key)
              ? [key, withSessionCookie(path, withGeneratedQuery(value as oas.OperationObject))]
              : [key, value],
          ),
        ),
        parameters: [...(item?.parameters ?? []), param('XRequestId')],
      },
    ]),
  ),
  webhooks,
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Access token from `/auth/login`, `/auth/register` or `/auth/refresh`',
      },
      adminSession: {
        type: 'apiKey',
        in: 'cookie',
        name: ADMIN_SESSION_COOKIE,
        description:
          'The admin pages’ session, set by `POST /admin/login`; taken on paths under `/admin` only ' +
          '(its `Path`), where it stands for a bearer token. A request that can change state and ' +
          'carries it must come from this origin (`Origin` or `Sec-Fetch-Site: same-origin`), or it is 403.',
      },
    },
    schemas: {
      ...schemas,
      ...requestSchemas,
      ...seatingSchemas,
      ...webhookSchemas,
      ...webhookMessageSchemas,
      ...adminSchemas,
      ...consoleSchemas,
    },
    parameters: { ...parameters, ...webhookHeaders },
    headers,
  },
};
