import Router from '@koa/router';
import Joi from 'joi';
import { User } from '../../shared/db/models/index.js';
import { AppError, Forbidden, Unauthorized } from '../../shared/errors.js';
import type { AppState } from '../context.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { limitAuthAttempts } from '../middleware/rate-limit.js';
import { validate } from '../middleware/validate.js';
import { singleLine } from '../schemas.js';
import { changePassword, createUser, updateOwnAccount } from '../services/accounts.js';
import { hashPassword, verifyPassword } from '../services/passwords.js';
import type { RateLimits } from '../services/rate-limits.js';
import { signIn } from '../services/sign-in.js';
import type { Tokens } from '../services/tokens.js';

export const email = Joi.string().email({ tlds: false }).max(254);
export const password = Joi.string().min(8).max(128);
export const personName = singleLine(100);

export const registerBody = Joi.object({
  email: email.required(),
  password: password.required(),
  name: personName.required(),
});
export const loginBody = Joi.object({ email: email.required(), password: Joi.string().max(128).required() });
export const refreshBody = Joi.object({ refreshToken: Joi.string().max(2000).required() });
export const logoutBody = Joi.object({
  refreshToken: Joi.string().max(2000).description('Also revoked when it belongs to the caller'),
});
export const passwordBody = Joi.object({
  currentPassword: Joi.string().max(128).required(),
  newPassword: password.required(),
});

export const updateMeBody = Joi.object({
  emailNotifications: Joi.boolean().description(
    'Attendee emails (booking outcomes, waitlist, offer holds, cancellations): `false` stops them at ' +
      'once, those already waiting to be sent too; `true` sends those about what happens from now on',
  ),
}).min(1);

export function authRoutes(tokens: Tokens, limits: RateLimits): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/auth' });

  router.post('/register', limitAuthAttempts(limits), async (ctx) => {
    const body = validate(registerBody, ctx.request.body, 'body');
    const user = await createUser(body);
    ctx.status = 201;
    ctx.body = { user, ...tokens.issue(user) };
  });

  router.post('/login', limitAuthAttempts(limits), async (ctx) => {
    const body = validate(loginBody, ctx.request.body, 'body');
    ctx.body = tokens.issue(await signIn(limits, body.email, body.password));
  });

  router.post('/refresh', async (ctx) => {
    const { refreshToken } = validate(refreshBody, ctx.request.body, 'body');
    // Rotation: a refresh token is spent on use; a second use (replay or race) ends the session.
    const caller = await tokens.rotate(refreshToken);
    const user = await User.findByPk(caller.id);
    if (!user) throw new Unauthorized('Account no longer exists');
    if (user.disabledAt) throw new Unauthorized('Account disabled');
    ctx.body = tokens.issue(user, caller.familyId);
  });

  router.post('/logout', authenticate(tokens), async (ctx) => {
    const principal = principalOf(ctx.state);
    const { refreshToken } = validate(logoutBody, ctx.request.body ?? {}, 'body');
    // Check the refresh token before revoking anything, so a bad one changes nothing.
    const refresh = refreshToken ? await tokens.verify(refreshToken, 'refresh') : null;
    if (refresh && refresh.id !== principal.id)
      throw new Forbidden('That refresh token belongs to someone else');
    // The whole session ends: the refresh token it was given cannot mint new access tokens.
    await tokens.revoke(principal);
    await tokens.revokeFamily(principal);
    if (refresh) {
      await tokens.revoke(refresh);
      await tokens.revokeFamily(refresh);
    }
    ctx.status = 204;
  });

  router.post('/password', authenticate(tokens), async (ctx) => {
    const body = validate(passwordBody, ctx.request.body, 'body');
    const user = await User.findByPk(principalOf(ctx.state).id);
    if (!user) throw new Unauthorized('Account no longer exists');
    // A stolen access token must not become a way to guess the password: same budget as sign-in.
    await limits.assertAccountNotLocked(user.email);
    if (!(await verifyPassword(body.currentPassword, user.passwordHash))) {
      await limits.recordLoginFailure(user.email);
      throw new AppError(403, 'wrong_password', 'The current password is wrong');
    }
    await changePassword(tokens, user.id, await hashPassword(body.newPassword));
    await limits.clearLoginFailures(user.email);
    // A fresh session for the caller, issued after the cut-off.
    ctx.body = tokens.issue(user);
  });

  router.get('/me', authenticate(tokens), async (ctx) => {
    const user = await User.findByPk(principalOf(ctx.state).id);
    if (!user) throw new Unauthorized('Account no longer exists');
    ctx.body = user;
  });

  router.patch('/me', authenticate(tokens), async (ctx) => {
    const body = validate(updateMeBody, ctx.request.body, 'body');
    ctx.body = await updateOwnAccount(principalOf(ctx.state), body);
  });

  return router;
}
