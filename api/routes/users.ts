import Router from '@koa/router';
import Joi from 'joi';
import { Op, type WhereOptions } from 'sequelize';
import { User } from '../../shared/db/models/index.js';
import { ROLES } from '../../shared/domain.js';
import { NotFound } from '../../shared/errors.js';
import type { AppState } from '../context.js';
import { authenticate, principalOf, requireRole } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { keysetPage, pageQuery } from '../pagination.js';
import { likeEscape, singleLine, uuidParam } from '../schemas.js';
import { createUser, updateAccount } from '../services/accounts.js';
import type { Tokens } from '../services/tokens.js';
import { email, password, personName } from './auth.js';

const role = Joi.string().valid(...ROLES);

export const createBody = Joi.object({
  email: email.required(),
  password: password.required(),
  name: personName.required(),
  role: role.required(),
});

export const listQuery = Joi.object({
  ...pageQuery,
  email: singleLine(254).description('Part of the address, any letter case (`%` and `_` are plain text)'),
  role,
  disabled: Joi.boolean(),
});

export const updateBody = Joi.object({
  disabled: Joi.boolean().description(
    '`true` refuses the account’s tokens on their next use (401), its refresh tokens and its sign-in ' +
      '(403 `account_disabled`); `false` lets it sign in again (old tokens stay refused)',
  ),
  role: role.description('Applies on the account’s next request, with the tokens it already holds'),
}).min(1);

/**
 * Accounts, for admins: create partner (and further admin) accounts (self-registration only
 * makes users), list and find them, disable or enable them and change their role.
 */
export function userAdminRoutes(tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/admin/users' });
  router.use(authenticate(tokens), requireRole('admin'));

  router.post('/', async (ctx) => {
    const body = validate(createBody, ctx.request.body, 'body');
    const user = await createUser(body);
    ctx.status = 201;
    ctx.set('Location', `/admin/users/${user.id}`);
    ctx.body = user;
  });

  router.get('/', async (ctx) => {
    const query = validate(listQuery, ctx.query, 'query');
    const where: WhereOptions[] = [];
    if (query.email) where.push({ email: { [Op.iLike]: `%${likeEscape(query.email)}%` } });
    if (query.role) where.push({ role: query.role });
    if (query.disabled !== undefined) where.push({ disabledAt: { [query.disabled ? Op.ne : Op.is]: null } });
    ctx.body = await keysetPage(User, {
      key: 'createdAt',
      direction: 'DESC',
      where,
      limit: query.limit,
      cursor: query.cursor,
    });
  });

  router.get('/:id', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const user = await User.findByPk(id);
    if (!user) throw new NotFound('User');
    ctx.body = user;
  });

  router.patch('/:id', async (ctx) => {
    const { id } = validate(uuidParam, ctx.params, 'params');
    const body = validate(updateBody, ctx.request.body, 'body');
    ctx.body = await updateAccount(tokens, principalOf(ctx.state), id, body);
  });

  return router;
}
