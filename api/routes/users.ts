import Router from '@koa/router';
import Joi from 'joi';
import { ROLES } from '../../shared/domain.js';
import type { AppState } from '../context.js';
import { authenticate, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { createUser } from '../services/accounts.js';
import type { Tokens } from '../services/tokens.js';
import { email, password, personName } from './auth.js';

const createBody = Joi.object({
  email: email.required(),
  password: password.required(),
  name: personName.required(),
  role: Joi.string()
    .valid(...ROLES)
    .required(),
});

/** Admins create partner (and further admin) accounts; self-registration only makes users. */
export function userAdminRoutes(tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/admin/users' });
  router.post('/', authenticate(tokens), requireRole('admin'), async (ctx) => {
    const body = validate(createBody, ctx.request.body, 'body');
    const user = await createUser(body);
    ctx.status = 201;
    ctx.body = user;
  });
  return router;
}
