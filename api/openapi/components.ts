import type * as oas from 'openapi3-ts/oas31';

type Responses = oas.ResponsesObject;
type Ref = oas.ReferenceObject;

export const parameters = {
  Id: {
    name: 'id',
    in: 'path',
    required: true,
    description: 'A UUID; anything else is `400 validation_failed`',
    schema: { type: 'string', format: 'uuid' },
  },

  PreferWait: {
    name: 'Prefer',
    in: 'header',
    description:
      'RFC 7240 `wait=N`: while the request is queued, hold the answer up to N seconds ' +
      '(capped at `LONG_POLL_MAX_SECONDS`, default 30) until it is decided. On a submission the ' +
      'answer is then `200` with the outcome, or the `202` once N seconds have passed.',
    schema: { type: 'string', example: 'wait=10' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      'Makes retries safe: the same key with the same request returns the original request ' +
      '(202 while queued, 200 once decided, with `Idempotent-Replayed: true`); the same key with a ' +
      'different request is `422 idempotency_key_reused`. Required for partners.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
  },
  XRequestId: {
    name: 'X-Request-Id',
    in: 'header',
    description: 'Correlates logs; echoed back. An invalid value is replaced by a generated one.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
} satisfies Record<string, oas.ParameterObject>;

export const headers = {
  'X-Request-Id': {
    description: 'The request id (the caller’s, or generated); quote it when reporting a problem',
    schema: { type: 'string' },
  },
  Location: { description: 'Where the created resource lives', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
  'WWW-Authenticate': { schema: { type: 'string', enum: ['Bearer'] } },
  RateLimit: {
    description:
      'What is left of the budget this request drew on (IETF httpapi RateLimit fields): `r` requests ' +
      'remain, the window resets in `t` seconds',
    schema: { type: 'string', examples: ['"bookings";r=29;t=48'] },
  },
  'RateLimit-Policy': {
    description: 'The budget: `q` requests per `w` seconds',
    schema: { type: 'string', examples: ['"bookings";q=30;w=60'] },
  },
  'Idempotent-Replayed': {
    description: 'Present (`true`) when an earlier request with the same Idempotency-Key is answered',
    schema: { type: 'string', enum: ['true'] },
  },
  'Preference-Applied': {
    description: 'Echoes the honoured `Prefer: wait=N` (N capped at `LONG_POLL_MAX_SECONDS`)',
    schema: { type: 'string', examples: ['wait=10'] },
  },
} satisfies Record<string, oas.HeaderObject>;

export const param = (name: keyof typeof parameters): Ref => ({ $ref: `#/components/parameters/${name}` });
const header = (name: keyof typeof headers): Ref => ({ $ref: `#/components/headers/${name}` });

/** Every answer carries X-Request-Id; `extra` names further headers of this answer. */
const withHeaders = (extra: (keyof typeof headers)[] = []) =>
  Object.fromEntries(['X-Request-Id' as const, ...extra].map((name) => [name, header(name)]));

/** Named examples of a body, shown by Swagger UI in a drop-down. */
export type Examples = Record<string, oas.ExampleObject>;

export function json(
  description: string,
  schema: oas.SchemaObject | Ref,
  extraHeaders: (keyof typeof headers)[] = [],
  examples?: Examples,
): oas.ResponseObject {
  return {
    description,
    headers: withHeaders(extraHeaders),
    content: { 'application/json': { schema, ...(examples ? { examples } : {}) } },
  };
}

export const noContent = (description: string): oas.ResponseObject => ({
  description,
  headers: withHeaders(),
});

export const body = (schema: string, examples?: Examples): oas.RequestBodyObject => ({
  required: true,
  content: {
    'application/json': {
      schema: { $ref: `#/components/schemas/${schema}` },
      ...(examples ? { examples } : {}),
    },
  },
});

/**
 * An error answer: the Error envelope with `code` narrowed to the codes this status can carry
 * for this operation (the codes are those thrown in the route, its services and middleware).
 */
export function error(
  description: string,
  codes: string[],
  extraHeaders: (keyof typeof headers)[] = [],
): oas.ResponseObject {
  return json(
    `${description} (\`${codes.join('`, `')}\`)`,
    {
      allOf: [
        { $ref: '#/components/schemas/Error' },
        { properties: { error: { properties: { code: { enum: codes } } } } },
      ],
    },
    extraHeaders,
  );
}

/** The error answers operations share; pick the statuses an operation can produce. */
export const errors = {
  invalid: error('Invalid path, query, header or body', ['validation_failed']),
  invalidBody: error('Invalid JSON or a body that breaks the schema', ['validation_failed', 'invalid_json']),
  unauthorized: error(
    'Missing, malformed, expired or revoked access token',
    ['unauthorized'],
    ['WWW-Authenticate'],
  ),
  forbidden: error('The caller’s role may not do this', ['forbidden']),
  notFound: error('No such resource, or not visible to the caller', ['not_found']),
  tooLarge: error('Body over `BODY_LIMIT_KB` (64 kB by default)', ['payload_too_large']),
  notJson: error('A body that is not application/json', ['unsupported_media_type']),
  internal: error('Unexpected failure; quote X-Request-Id', ['internal_error']),
  unavailable: error('PostgreSQL or Redis is unreachable', ['service_unavailable'], ['Retry-After']),
  rateLimited: error(
    'Over a rate limit; `details.retryAfterSeconds` and `Retry-After` say when to try again',
    ['rate_limited'],
    ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
  ),
} satisfies Record<string, oas.ResponseObject>;

/** The answers of any operation that reads a JSON body and touches PostgreSQL or Redis. */
export const bodyErrors: Responses = {
  '400': errors.invalidBody,
  '413': errors.tooLarge,
  '415': errors.notJson,
  '500': errors.internal,
  '503': errors.unavailable,
};

/** The answers of any operation without a body that touches PostgreSQL or Redis. */
export const serviceErrors: Responses = { '500': errors.internal, '503': errors.unavailable };

export const bearer: oas.SecurityRequirementObject[] = [{ bearerAuth: [] }];
export const anonymous: oas.SecurityRequirementObject[] = [];
/** A token is optional: anonymous callers see public data, admins see drafts too. */
export const optionalBearer: oas.SecurityRequirementObject[] = [{}, { bearerAuth: [] }];
