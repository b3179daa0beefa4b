import type * as oas from 'openapi3-ts/oas31';
import { TEST_WEBHOOK_TYPE, WEBHOOK_TYPES } from '../../shared/webhooks/types.js';
import { eventTypes as eventTypesJoi } from '../routes/webhook-endpoints.js';
import {
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
import { fromJoi } from './from-joi.js';
import { ref } from './schemas.js';

const timestamp: oas.SchemaObject = { type: 'string', format: 'date-time' };
const nullableTimestamp: oas.SchemaObject = { type: ['string', 'null'], format: 'date-time' };
/** Generated from the route's Joi schema, which requests are validated with. */
const eventTypes = fromJoi(eventTypesJoi);
const secret: oas.SchemaObject = {
  type: 'string',
  pattern: '^whsec_',
  description: '`whsec_` + base64 of 32 random bytes; shown only here',
};
const page = (item: string): oas.SchemaObject => ({
  type: 'object',
  required: ['data', 'next'],
  properties: { data: { type: 'array', items: ref(item) }, next: { type: ['string', 'null'] } },
});

export const webhookSchemas: Record<string, oas.SchemaObject> = {
  WebhookEndpoint: {
    type: 'object',
    required: [
      'id',
      'userId',
      'url',
      'description',
      'eventTypes',
      'status',
      'disabledReason',
      'circuitOpenUntil',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      userId: { type: 'string', format: 'uuid' },
      url: { type: 'string', format: 'uri' },
      description: { type: 'string' },
      eventTypes,
      status: { type: 'string', enum: ['enabled', 'disabled'] },
      disabledReason: { type: ['string', 'null'], description: 'e.g. a 410 answer, or "disabled by owner"' },
      circuitOpenUntil: {
        ...nullableTimestamp,
        description: 'Deliveries pause until then after repeated failures',
      },
      createdAt: timestamp,
      updatedAt: timestamp,
    },
  },
  CreatedWebhookEndpoint: {
    allOf: [ref('WebhookEndpoint'), { type: 'object', required: ['secret'], properties: { secret } }],
  },
  WebhookEndpointList: page('WebhookEndpoint'),
  RotatedSecret: {
    type: 'object',
    required: ['secret', 'previousSecretExpiresAt'],
    properties: {
      secret,
      previousSecretExpiresAt: { ...nullableTimestamp, description: 'Until then the old secret signs too' },
    },
  },
  WebhookDelivery: {
    type: 'object',
    required: ['id', 'endpointId', 'messageId', 'type', 'status', 'attempts', 'createdAt'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      endpointId: { type: 'string', format: 'uuid' },
      messageId: { type: ['string', 'null'], description: 'The `webhook-id` header, stable across retries' },
      type: {
        type: ['string', 'null'],
        enum: [...WEBHOOK_TYPES, TEST_WEBHOOK_TYPE, null],
        description: '`webhook.test`: a test message (`POST /webhook-endpoints/{id}/test`)',
      },
      status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
      attempts: { type: 'integer', minimum: 0 },
      lastStatus: { type: ['integer', 'null'], description: 'HTTP status of the last attempt' },
      lastError: {
        type: ['string', 'null'],
        description:
          'Why the last attempt failed, as a coarse category (never an address or system error), e.g. ' +
          '`destination not allowed` (the host does not resolve, or not to public addresses only), ' +
          '`connection failed`, `timeout`, `TLS error`, `HTTP 500`; `not entitled`: the endpoint’s owner ' +
          'may no longer receive the message (disabled, demoted, or not of its audience), so it is ' +
          'never sent, retried or replayed',
      },
      nextAttemptAt: nullableTimestamp,
      deliveredAt: nullableTimestamp,
      createdAt: timestamp,
    },
  },
  WebhookDeliveryList: page('WebhookDelivery'),
};

const guarded = { '401': errors.unauthorized, '403': error('Only partners and admins', ['forbidden']) };
const notFound = error('No such endpoint, or another partner’s', ['not_found']);
const inProgress = 'A delivery is being attempted right now';
const tags = ['webhooks'];

/** Webhook endpoints and deliveries (api/routes/webhook-endpoints.ts); partners see their own. */
export const webhookPaths: oas.PathsObject = {
  '/webhook-endpoints': {
    post: {
      tags,
      operationId: 'createWebhookEndpoint',
      summary: 'Register an endpoint (Standard Webhooks v1); the signing secret is returned once',
      security: bearer,
      requestBody: body('CreateWebhookEndpointRequest'),
      responses: {
        '201': json('Registered', ref('CreatedWebhookEndpoint'), ['Location']),
        ...guarded,
        ...bodyErrors,
      },
    },
    get: {
      tags,
      operationId: 'listWebhookEndpoints',
      summary: 'The caller’s endpoints, newest first (admins: all)',
      security: bearer,
      responses: {
        '200': json('A page of endpoints', ref('WebhookEndpointList')),
        '400': errors.invalid,
        ...guarded,
        ...serviceErrors,
      },
    },
  },
  '/webhook-endpoints/{id}': {
    parameters: [param('Id')],
    get: {
      tags,
      operationId: 'getWebhookEndpoint',
      summary: 'One webhook endpoint, without its secrets (its owner or an admin)',
      security: bearer,
      responses: {
        '200': json('The endpoint (without secrets)', ref('WebhookEndpoint')),
        '400': errors.invalid,
        ...guarded,
        '404': notFound,
        ...serviceErrors,
      },
    },
    patch: {
      tags,
      operationId: 'updateWebhookEndpoint',
      summary: 'Change the URL, event types, description, or enable/disable',
      security: bearer,
      requestBody: body('UpdateWebhookEndpointRequest'),
      responses: {
        '200': json('The updated endpoint', ref('WebhookEndpoint')),
        ...guarded,
        '404': notFound,
        ...bodyErrors,
      },
    },
    delete: {
      tags,
      operationId: 'deleteWebhookEndpoint',
      summary: 'Stop delivering to it; its delivery history stays',
      security: bearer,
      responses: {
        '204': noContent('Deleted'),
        '400': errors.invalid,
        ...guarded,
        '404': notFound,
        ...serviceErrors,
      },
    },
  },
  '/webhook-endpoints/{id}/rotate-secret': {
    parameters: [param('Id')],
    post: {
      tags,
      operationId: 'rotateWebhookSecret',
      summary: 'A new secret; the previous one keeps signing alongside for 24 h',
      security: bearer,
      responses: {
        '200': json('The new secret', ref('RotatedSecret')),
        '400': errors.invalid,
        ...guarded,
        '404': notFound,
        ...serviceErrors,
      },
    },
  },
  '/webhook-endpoints/{id}/deliveries': {
    parameters: [param('Id')],
    get: {
      tags,
      operationId: 'listWebhookDeliveries',
      summary: 'Deliveries to this endpoint, newest first',
      security: bearer,
      responses: {
        '200': json('A page of deliveries', ref('WebhookDeliveryList')),
        '400': errors.invalid,
        ...guarded,
        '404': notFound,
        ...serviceErrors,
      },
    },
  },
  '/webhook-endpoints/{id}/replay-failed': {
    parameters: [param('Id')],
    post: {
      tags,
      operationId: 'replayFailedWebhookDeliveries',
      summary: 'Retry every failed delivery of the endpoint',
      description:
        'Only the messages the endpoint’s owner may still receive (an active partner: its own ' +
        'purchases and public news; an active admin: everything) are queued again; the others are ' +
        'skipped, counted in `skipped`, and stay failed (`not entitled`).',
      security: bearer,
      responses: {
        '202': json('Queued again', {
          type: 'object',
          required: ['replayed', 'skipped'],
          properties: {
            replayed: { type: 'integer', minimum: 0 },
            skipped: {
              type: 'integer',
              minimum: 0,
              description: 'Failed deliveries not replayed: their owner is no longer entitled to the message',
            },
          },
        }),
        '400': errors.invalid,
        ...guarded,
        '404': notFound,
        '409': error(`The endpoint is disabled, or ${inProgress.toLowerCase()}`, [
          'endpoint_disabled',
          'delivery_in_progress',
        ]),
        ...serviceErrors,
      },
    },
  },
  '/webhook-endpoints/{id}/test': {
    parameters: [param('Id')],
    post: {
      tags,
      operationId: 'sendWebhookTestMessage',
      summary: 'Send the endpoint a signed test message',
      description:
        'Sends a `webhook.test` message to this endpoint only, through the normal delivery path ' +
        '(signed with the endpoint’s secrets, the SSRF guard, retries, the circuit breaker), and ' +
        'answers with its delivery, which is also listed in the endpoint’s deliveries. The payload: ' +
        '`{"type": "webhook.test", "timestamp": "<ISO 8601>", "data": {"endpointId": "<this ' +
        'endpoint>", "message": "<text>"}}`. No endpoint subscribes to `webhook.test`; it is sent ' +
        'only on request. At most 5 per endpoint per minute.',
      security: bearer,
      responses: {
        '202': json('Queued for delivery', ref('WebhookDelivery')),
        '400': errors.invalid,
        ...guarded,
        '404': notFound,
        '409': error('The endpoint is disabled', ['endpoint_disabled']),
        '429': errors.rateLimited,
        ...serviceErrors,
      },
    },
  },
  '/webhook-deliveries/{id}/retry': {
    parameters: [param('Id')],
    post: {
      tags,
      operationId: 'retryWebhookDelivery',
      summary: 'Queue a delivery again with a fresh set of attempts',
      description:
        'Refused (409 `not_entitled`) when the endpoint’s owner may no longer receive the message ' +
        '(disabled, demoted, or not of its audience); the delivery then stays failed, `not entitled`.',
      security: bearer,
      responses: {
        '202': json('Queued again', ref('WebhookDelivery')),
        '400': errors.invalid,
        ...guarded,
        '404': error('No such delivery, or to another partner’s endpoint', ['not_found']),
        '409': error(`${inProgress}, or its owner is no longer entitled to the message`, [
          'delivery_in_progress',
          'not_entitled',
        ]),
        ...serviceErrors,
      },
    },
  },
};
