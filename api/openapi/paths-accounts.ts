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
      security: anonymous,
      requestBody: body('RegisterRequest'),
      responses: {
        '201': json('Account created; tokens issued', ref('Registration')),
        '409': error('The email is taken (in any letter case)', ['email_taken']),
        ...bodyErrors,
      },
    },
  },
  '/auth/login': {
    post: {
      tags: ['auth'],
      operationId: 'login',
      security: anonymous,
      requestBody: body('LoginRequest'),
      responses: {
        '200': json('Signed in', ref('TokenPair')),
        '401': error('Wrong email or password', ['unauthorized'], ['WWW-Authenticate']),
        ...bodyErrors,
      },
    },
  },
  '/auth/refresh': {
    post: {
      tags: ['auth'],
      operationId: 'refresh',
      summary: 'Trade a refresh token for a new pair; the old refresh token is spent',
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
      summary: 'Revoke the access token (and the refresh token, if given); later use is 401',
      security: bearer,
      requestBody: { ...body('LogoutRequest'), required: false },
      responses: { '204': noContent('Revoked'), '401': errors.unauthorized, ...bodyErrors },
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
  },
  '/admin/users': {
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
};
