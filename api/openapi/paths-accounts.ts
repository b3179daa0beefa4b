import type * as oas from 'openapi3-ts/oas31';
import {
  anonymous,
  bearer,
  body,
  bodyErrors,
  error,
  errors,
  json,
  noContent,
  param,
  serviceErrors,
} from './components.js';
import { ref } from './schemas.js';

/** Health, docs, auth (api/routes/health.ts, auth.ts, users.ts; api/openapi/routes.ts). */
export const accountPaths: oas.PathsObject = {
  '/health/live': {
    get: {
      tags: ['operations'],
      operationId: 'liveness',
      summary: 'The process is running',
      security: anonymous,
      responses: { '200': json('Alive', ref('Liveness')), '500': errors.internal },
    },
  },
  '/health/ready': {
    get: {
      tags: ['operations'],
      operationId: 'readiness',
      summary: 'PostgreSQL and Redis both answer (within 2 s each)',
      security: anonymous,
      responses: {
        '200': json('Ready', ref('Readiness')),
        '500': errors.internal,
        '503': json('Not ready; `checks` says which dependency is down', ref('Readiness'), ['Retry-After']),
      },
    },
  },
  '/openapi.json': {
    get: {
      tags: ['operations'],
      operationId: 'openApiDocument',
      summary: 'This OpenAPI 3.1 document',
      security: anonymous,
      responses: { '200': json('The document', { type: 'object' }), '500': errors.internal },
    },
  },
  '/docs': {
    get: {
      tags: ['operations'],
      operationId: 'apiDocsPage',
      summary: 'Swagger UI over /openapi.json',
      security: anonymous,
      responses: {
        '200': { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
        '500': errors.internal,
      },
    },
  },
  '/docs/{asset}': {
    get: {
      tags: ['operations'],
      operationId: 'apiDocsAsset',
      summary: 'A static Swagger UI asset (bundled, no CDN)',
      security: anonymous,
      parameters: [
        {
          name: 'asset',
          in: 'path',
          required: true,
          schema: {
            type: 'string',
            enum: ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-initializer.js', 'favicon-32x32.png'],
          },
        },
      ],
      responses: {
        '200': {
          description: 'The asset',
          content: {
            'text/javascript': { schema: { type: 'string' } },
            'text/css': { schema: { type: 'string' } },
            'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
          },
        },
        '404': errors.notFound,
        '500': errors.internal,
      },
    },
  },
  '/auth/register': {
    post: {
      tags: ['auth'],
      operationId: 'register',
      summary: 'Create a user account and sign in',
      description:
        'Sign-in and registration attempts share a budget per client IP (`RATE_LIMIT_LOGIN_PER_IP`).',
      security: anonymous,
      requestBody: body('RegisterRequest'),
      responses: {
        '201': json('Account created; tokens issued', ref('Registration'), ['RateLimit', 'RateLimit-Policy']),
        '409': error('The email is taken (in any letter case)', ['email_taken']),
        '429': errors.rateLimited,
        ...bodyErrors,
      },
    },
  },
  '/auth/login': {
    post: {
      tags: ['auth'],
      operationId: 'login',
      summary: 'Sign in: a token pair that starts a new session (token family)',
      description:
        'Rate-limited per client IP (`RATE_LIMIT_LOGIN_PER_IP` a minute, shared with registration) ' +
        'and per account: after `RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT` wrong passwords the account ' +
        'refuses sign-in (even with the right password) for the rest of ' +
        '`RATE_LIMIT_LOGIN_FAILURE_WINDOW_SECONDS`; a successful sign-in clears its failures. ' +
        '`RateLimit` / `RateLimit-Policy` tell the address’s budget on every answer.',
      security: anonymous,
      requestBody: body('LoginRequest'),
      responses: {
        '200': json('Signed in', ref('TokenPair'), ['RateLimit', 'RateLimit-Policy']),
        '401': error('Wrong email or password', ['unauthorized'], ['WWW-Authenticate']),
        '403': error('The password is right but an admin has disabled the account', ['account_disabled']),
        '429': errors.rateLimited,
        ...bodyErrors,
      },
    },
  },
  '/auth/refresh': {
    post: {
      tags: ['auth'],
      operationId: 'refresh',
      summary: 'Trade a refresh token for a new pair; the old refresh token is spent',
      description:
        'The new pair belongs to the same session (token family). Presenting a refresh token that ' +
        'was already spent revokes the whole family: every access and refresh token of that session.',
      security: anonymous,
      requestBody: body('RefreshRequest'),
      responses: {
        '200': json('A new token pair', ref('TokenPair')),
        '401': error(
          'Invalid, expired, already used or revoked refresh token',
          ['unauthorized'],
          ['WWW-Authenticate'],
        ),
        ...bodyErrors,
      },
    },
  },
  '/auth/logout': {
    post: {
      tags: ['auth'],
      operationId: 'logout',
      summary: 'End the session: the access token and its whole family (and the given refresh token’s)',
      security: bearer,
      requestBody: { ...body('LogoutRequest'), required: false },
      responses: { '204': noContent('Revoked'), '401': errors.unauthorized, ...bodyErrors },
    },
  },
  '/auth/password': {
    post: {
      tags: ['auth'],
      operationId: 'changePassword',
      summary: 'Change the password; every token of the account issued before now is revoked',
      description:
        'Answers with a fresh token pair (a new session). Wrong current passwords count against ' +
        'the account’s sign-in failure budget, as on `POST /auth/login`.',
      security: bearer,
      requestBody: body('PasswordChangeRequest'),
      responses: {
        '200': json('Changed; a new token pair', ref('TokenPair')),
        '401': errors.unauthorized,
        '403': error('The current password is wrong', ['wrong_password']),
        '429': errors.rateLimited,
        ...bodyErrors,
      },
    },
  },
  '/auth/me': {
    get: {
      tags: ['auth'],
      operationId: 'me',
      summary: 'The caller’s account',
      security: bearer,
      responses: { '200': json('The account', ref('User')), '401': errors.unauthorized, ...serviceErrors },
    },
    patch: {
      tags: ['auth'],
      operationId: 'updateMe',
      summary: 'Change the caller’s own settings: attendee emails on or off',
      description:
        'Emails turned off stop at once, those already waiting to be sent too (the sender reads the ' +
        'setting before each email). Turned on, the account hears about what happens from then on.',
      security: bearer,
      requestBody: body('UpdateMeRequest'),
      responses: {
        '200': json('The account as it is now', ref('User')),
        '401': errors.unauthorized,
        ...bodyErrors,
      },
    },
  },
  '/admin/users': {
    get: {
      tags: ['admin'],
      operationId: 'listUsers',
      summary: 'List accounts, newest first (admin only)',
      security: bearer,
      responses: {
        '200': json('A page of accounts', ref('UserList')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '403': errors.forbidden,
        ...serviceErrors,
      },
    },
    post: {
      tags: ['admin'],
      operationId: 'createUser',
      summary: 'Create an account with any role (admin only)',
      security: bearer,
      requestBody: body('CreateUserRequest'),
      responses: {
        '201': json('Account created', ref('User')),
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '409': error('The email is taken (in any letter case)', ['email_taken']),
        ...bodyErrors,
      },
    },
  },
  '/admin/users/{id}': {
    parameters: [param('Id')],
    get: {
      tags: ['admin'],
      operationId: 'getUser',
      summary: 'One account (admin only)',
      security: bearer,
      responses: {
        '200': json('The account', ref('User')),
        '400': errors.invalid,
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '404': errors.notFound,
        ...serviceErrors,
      },
    },
    patch: {
      tags: ['admin'],
      operationId: 'updateUser',
      summary: 'Disable or enable an account, or change its role (admin only)',
      description:
        'Both take effect on the account’s next request, with the tokens it already holds: a disabled ' +
        'account’s access and refresh tokens are refused (401) and its sign-in is `403 account_disabled`; ' +
        'a demoted partner loses partner routes at once. Enabling lets it sign in again. An admin cannot ' +
        'disable or demote their own account.',
      security: bearer,
      requestBody: body('UpdateUserRequest'),
      responses: {
        '200': json('The account as it is now', ref('User')),
        '401': errors.unauthorized,
        '403': errors.forbidden,
        '404': errors.notFound,
        '409': error('An admin tried to disable or demote their own account', ['own_account']),
        ...bodyErrors,
      },
    },
  },
};
