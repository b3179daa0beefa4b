import Router from '@koa/router';
import Joi from 'joi';
import { User } from '../../shared/db/models/index.js';
import { Forbidden, Unauthorized } from '../../shared/errors.js';
import type { AppState } from '../context.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { validate } from '../middleware/validate.js';
import { singleLine } from '../schemas.js';
import { createUser, normaliseEmail } from '../services/accounts.js';
import { DUMMY_HASH, verifyPassword } from '../services/passwords.js';
import type { Tokens } from '../services/tokens.js';

export const email = Joi.string().email({ tlds: false }).max(254);
export const password = Joi.string().min(8).max(128);
export const personName = singleLine(100);

const registerBody = Joi.object({
  email: email.required(),
  password: password.required(),
  name: personName.required(),
});
const loginBody = Joi.object({ email: email.required(), password: Joi.string().max(128).required() });
const refreshBody = Joi.object({ refreshToken: Joi.string().max(2000).required() });
const logoutBody = Joi.object({ refreshToken: Joi.string().max(2000) });

export function authRoutes(tokens: Tokens): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/auth' });

  router.post('/register', async (ctx) => {
    const body = validate(registerBody, ctx.request.body, 'body');
    const user = await createUser(body);
    ctx.status = 201;
    ctx.body = { user, ...tokens.issue(user) };
  });

  router.post('/login', async (ctx) => {
    const body = validate(loginBody, ctx.request.body, 'body');
    const user = await User.findOne({ where: { email: normaliseEmail(body.email) } });
    // Always run one hash comparison so response time does not reveal whether the email exists.
    const ok = await verifyPassword(body.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new Unauthorized('Invalid email or password');
    ctx.body = tokens.issue(user);
  });

  router.post('/refresh', async (ctx) => {
    const { refreshToken } = validate(refreshBody, ctx.request.body, 'body');
    const claims = await tokens.verify(refreshToken, 'refresh');
    // Rotation: a refresh token is spent on use; a second use (replay or race) is refused.
    if (!(await tokens.revoke(claims.tokenId, claims.expiresAt)))
      throw new Unauthorized('Token has been revoked');
    const user = await User.findByPk(claims.id);
    if (!user) throw new Unauthorized('Account no longer exists');
    ctx.body = tokens.issue(user);
  });

  router.post('/logout', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const { refreshToken } = validate(logoutBody, ctx.request.body ?? {}, 'body');
    // Check the refresh token before revoking anything, so a bad one changes nothing.
    const refresh = refreshToken ? await tokens.verify(refreshToken, 'refresh') : null;
    if (refresh && refresh.id !== principal.id)
      throw new Forbidden('That refresh token belongs to someone else');
    await tokens.revoke(principal.tokenId, principal.expiresAt);
    if (refresh) await tokens.revoke(refresh.tokenId, refresh.expiresAt);
    ctx.status = 204;
  });

  router.get('/me', authenticate(tokens), async (ctx) => {
    const user = await User.findByPk(principalOf(ctx.state).id);
    if (!user) throw new Unauthorized('Account no longer exists');
    ctx.body = user;
  });

  return router;
}
