import Router from '@koa/router';
import Joi from 'joi';
import type { WhereOptions } from 'sequelize';
import { WebhookDelivery, WebhookEndpoint } from '../../shared/db/models/index.js';
import { NotFound } from '../../shared/errors.js';
import { generateSecret } from '../../shared/webhooks/signing.js';
import { WEBHOOK_TYPES } from '../../shared/webhooks/types.js';
import type { ApiDeps, AppState } from '../context.js';
import { authenticate, principalOf, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { keysetPage, pageQuery } from '../pagination.js';
import { presentDelivery } from '../presenters.js';
import { multiLine, uuidParam } from '../schemas.js';
import type { Tokens } from '../services/tokens.js';
import {
  checkEndpointUrl,
  replayFailed,
  retryDelivery,
  rotateSecret,
  visibleEndpoint,
} from '../services/webhook-endpoints.js';
import { sendTestMessage } from '../services/webhook-test-message.js';

export const eventTypes = Joi.array()
  .items(Joi.string().valid(...WEBHOOK_TYPES))
  .min(1)
  .unique()
  .description(
    'The message types to receive (`booking.*`, `hold.*`, `waitlist.*`, `event.*`). Each type’s ' +
      'payload and headers are in this document’s `webhooks` section. Messages about one purchase are ' +
      'delivered in order.',
  );
export const createBody = Joi.object({
  url: Joi.string()
    .max(2048)
    .required()
    .description(
      'http(s) (https only in production), no credentials; every address the host resolves to must be ' +
        'global unicast: no private, loopback, link-local or metadata address, and no IPv6 form embedding ' +
        'an IPv4 address (IPv4-mapped or -compatible, SIIT, NAT64, 6to4, Teredo), however spelt. ' +
        'Checked again at each delivery. Refused: 400 validation_failed, with one message (“the URL’s ' +
        'host must resolve to public addresses”) whether the host resolves to a private address or not at all',
    ),
  eventTypes: eventTypes.required(),
  description: multiLine(500),
});
export const updateBody = Joi.object({
  url: Joi.string().max(2048).description('The same rules as at registration'),
  eventTypes,
  description: multiLine(500),
  status: Joi.string()
    .valid('enabled', 'disabled')
    .description('Enabling resets the failure count and closes the circuit'),
}).min(1);
export const deliveriesQuery = Joi.object({
  ...pageQuery,
  status: Joi.string().valid('pending', 'delivered', 'failed'),
});
export const endpointsQuery = Joi.object(pageQuery);

/** Partners and admins register endpoints; a partner sees and manages only its own. */
export function webhookRoutes(deps: ApiDeps, tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>();
  const config = deps.config.webhooks;
  const guard = [authenticate(tokens), requireRole('partner', 'admin')];

  router.post('/webhook-endpoints', ...guard, async (ctx) => {
    const body = validate(createBody, ctx.request.body, 'body');
    const url = await checkEndpointUrl(body.url, config);
    const secret = generateSecret();
    const endpoint = await WebhookEndpoint.create({
      userId: principalOf(ctx.state).id,
      url,
      description: body.description ?? '',
      eventTypes: body.eventTypes,
      secrets: [{ secret, expiresAt: null }],
    });
    ctx.status = 201;
    ctx.set('Location', `/webhook-endpoints/${endpoint.id}`);
    // The secret is shown here and after a rotation, never again.
    ctx.body = { ...endpoint.toJSON(), secret };
  });

  router.get('/webhook-endpoints', ...guard, async (ctx) => {
    const principal = principalOf(ctx.state);
    const query = validate(endpointsQuery, ctx.query, 'query');
    const where: WhereOptions[] = [];
    if (principal.role !== 'admin') where.push({ userId: principal.id });
    ctx.body = await keysetPage(WebhookEndpoint, {
      key: 'createdAt',
      direction: 'DESC',
      where,
      limit: query.limit,
      cursor: query.cursor,
    });
  });

  router.get('/webhook-endpoints/:id', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    ctx.body = await visibleEndpoint(principalOf(ctx.state), id);
  });

  router.patch('/webhook-endpoints/:id', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const body = validate(updateBody, ctx.request.body, 'body');
    const endpoint = await visibleEndpoint(principalOf(ctx.state), id);
    const url = body.url === undefined ? endpoint.url : await checkEndpointUrl(body.url, config);
    const enabling = body.status === 'enabled' && endpoint.status !== 'enabled';
    await endpoint.update({
      url,
      ...(body.eventTypes ? { eventTypes: body.eventTypes } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.status ? { status: body.status } : {}),
      // Re-enabling starts with a closed circuit and a clean failure count.
      ...(enabling ? { disabledReason: null, consecutiveFailures: 0, circuitOpenUntil: null } : {}),
      ...(body.status === 'disabled' ? { disabledReason: 'disabled by owner' } : {}),
    });
    ctx.body = endpoint;
  });

  router.delete('/webhook-endpoints/:id', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const endpoint = await visibleEndpoint(principalOf(ctx.state), id);
    await endpoint.update({ status: 'disabled', disabledReason: 'deleted' });
    await endpoint.destroy(); // soft delete: its delivery history stays
    ctx.status = 204;
  });

  router.post('/webhook-endpoints/:id/rotate-secret', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const endpoint = await visibleEndpoint(principalOf(ctx.state), id);
    ctx.body = await rotateSecret(endpoint, config.secretOverlapSeconds);
  });

  router.get('/webhook-endpoints/:id/deliveries', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const query = validate(deliveriesQuery, ctx.query, 'query');
    await visibleEndpoint(principalOf(ctx.state), id);
    const where: WhereOptions[] = [{ endpointId: id }];
    if (query.status) where.push({ status: query.status });
    const page = await keysetPage(WebhookDelivery, {
      key: 'createdAt',
      direction: 'DESC',
      where,
      limit: query.limit,
      cursor: query.cursor,
      include: ['message'],
    });
    ctx.body = { data: page.data.map(presentDelivery), next: page.next };
  });

  router.post('/webhook-endpoints/:id/replay-failed', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const endpoint = await visibleEndpoint(principalOf(ctx.state), id);
    const answer = await replayFailed(deps.webhookQueue, config, endpoint);
    ctx.status = 202;
    ctx.body = answer;
  });

  router.post('/webhook-endpoints/:id/test', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const endpoint = await visibleEndpoint(principalOf(ctx.state), id);
    const delivery = await sendTestMessage(deps.webhookQueue, config, endpoint);
    ctx.status = 202;
    ctx.set('Location', `/webhook-endpoints/${endpoint.id}/deliveries`);
    ctx.body = presentDelivery(delivery);
  });

  router.post('/webhook-deliveries/:id/retry', ...guard, async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const delivery = await WebhookDelivery.findByPk(id, { include: ['message'] });
    if (!delivery) throw new NotFound('Webhook delivery');
    await visibleEndpoint(principalOf(ctx.state), delivery.endpointId);
    await retryDelivery(deps.webhookQueue, config, delivery);
    ctx.status = 202;
    ctx.body = presentDelivery(delivery);
  });

  return router;
}
