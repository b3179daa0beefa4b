import { randomBytes } from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import { User } from '../../shared/db/models/index.js';
import type { Role } from '../../shared/domain.js';
import { Conflict, NotFound, Unauthorized } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Principal } from '../context.js';
import { hashPassword } from './passwords.js';
import type { Tokens } from './tokens.js';

/** Emails are matched case-insensitively; they are stored lower-cased. */
export const normaliseEmail = (value: string) => value.trim().toLowerCase();

/**
 * Creates an account; a taken email (in any letter case) is a 409. Attendee emails start on for
 * users and off for partners and admins, who book for other people and hear through webhooks.
 */
export async function createUser(fields: { email: string; password: string; name: string; role?: Role }) {
  const role = fields.role ?? 'user';
  try {
    return await User.create({
      email: normaliseEmail(fields.email),
      name: fields.name,
      role,
      emailNotifications: role === 'user',
      passwordHash: await hashPassword(fields.password),
    });
  } catch (err) {
    if (err instanceof UniqueConstraintError)
      throw new Conflict('email_taken', 'An account with this email exists');
    throw err;
  }
}

/** The first admin's address when ADMIN_EMAIL is not set. */
export const DEFAULT_ADMIN_EMAIL = 'admin@example.com';

/**
 * Without ADMIN_EMAIL / ADMIN_PASSWORD, a service that has no admin yet creates one with a
 * generated password and says it once, in one log line: no install ever runs with a published
 * password, and the first start still gives its operator a way in. Returns what it created.
 */
export async function ensureSomeAdmin(logger: Logger): Promise<{ email: string; password: string } | null> {
  if (await User.findOne({ where: { role: 'admin' }, attributes: ['id'] })) return null;
  const credentials = { email: DEFAULT_ADMIN_EMAIL, password: randomBytes(18).toString('base64url') };
  try {
    await createUser({ ...credentials, name: 'Administrator', role: 'admin' });
  } catch (err) {
    // Another process starting at the same moment created it (and printed its password).
    if (err instanceof Conflict) return null;
    throw err;
  }
  logger.warn(
    credentials,
    'created the first admin with a generated password: it is shown only this once; sign in and change it (POST /auth/password)',
  );
  return credentials;
}

/**
 * The first admin comes from ADMIN_EMAIL / ADMIN_PASSWORD at start-up, created if missing. An
 * existing account is left exactly as it is: its password may have changed since, and an admin
 * may have demoted or disabled it, which a restart must not undo.
 */
export async function ensureAdmin(email: string, password: string, logger: Logger): Promise<void> {
  const existing = await User.findOne({ where: { email: normaliseEmail(email) } });
  if (existing) {
    if (existing.role !== 'admin' || existing.disabledAt) {
      logger.warn({ email }, 'ADMIN_EMAIL names an account that is not an enabled admin; left as it is');
    }
    return;
  }
  try {
    await createUser({ email, password, name: 'Administrator', role: 'admin' });
    logger.info({ email }, 'created first admin from ADMIN_EMAIL');
  } catch (err) {
    // Two processes starting together: the other one created it first.
    if (!(err instanceof Conflict)) throw err;
  }
}

export interface AccountChanges {
  disabled?: boolean;
  role?: Role;
}

/**
 * An admin disables, enables or changes the role of an account; both take effect on the
 * account's next request, without a database read on every request: disabling revokes every
 * token issued so far (sign-in and refresh then refuse the account), a role change is recorded
 * where token checks read it (`Tokens.recordRole`). The Redis writes happen inside the
 * transaction, which holds the row FOR UPDATE, so the row never says one thing while the tokens
 * say another, and a copy of the row's state to Redis (`Tokens`) is made before or after, never
 * across. An admin cannot disable or demote themselves (the last admin could lock everyone out).
 */
export async function updateAccount(
  tokens: Tokens,
  actor: Principal,
  id: string,
  changes: AccountChanges,
): Promise<User> {
  if (id === actor.id && (changes.disabled === true || (changes.role && changes.role !== 'admin'))) {
    throw new Conflict('own_account', 'Admins cannot disable or demote their own account');
  }
  const sequelize = User.sequelize!;
  return sequelize.transaction(async (transaction) => {
    const user = await User.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE });
    if (!user) throw new NotFound('User');
    const disabledAt =
      changes.disabled === undefined
        ? user.disabledAt
        : changes.disabled
          ? (user.disabledAt ?? new Date())
          : null;
    const role = changes.role ?? user.role;
    if (changes.disabled === true && !user.disabledAt)
      await tokens.revokeUserTokensIssuedBefore(user.id, transaction);
    if (changes.disabled !== undefined) await tokens.recordDisabled(user.id, changes.disabled);
    if (role !== user.role) await tokens.recordRole(user.id, role);
    await user.update({ disabledAt, role }, { transaction });
    return user;
  });
}

/**
 * A new password hash for the account, ending every session issued before it: both in one
 * transaction that holds the row FOR UPDATE (as `updateAccount`), so neither happens without the
 * other.
 */
export async function changePassword(tokens: Tokens, userId: string, passwordHash: string): Promise<void> {
  const sequelize = User.sequelize!;
  await sequelize.transaction(async (transaction) => {
    const user = await User.findByPk(userId, { transaction, lock: transaction.LOCK.UPDATE });
    if (!user) throw new Unauthorized('Account no longer exists');
    await tokens.revokeUserTokensIssuedBefore(user.id, transaction);
    await user.update({ passwordHash }, { transaction });
  });
}

/** What an account may change about itself (`PATCH /auth/me`). */
export interface OwnAccountChanges {
  emailNotifications?: boolean;
}

/**
 * The caller changes its own settings. Emails turned off stop at once, also those already waiting
 * to be sent: the sender reads the switch before every email.
 */
export async function updateOwnAccount(principal: Principal, changes: OwnAccountChanges): Promise<User> {
  const user = await User.findByPk(principal.id);
  if (!user) throw new Unauthorized('Account no longer exists');
  return user.update(changes);
}

/**
 * The caller as the database knows them now, for routes that need a privileged role (partner,
 * admin): one primary-key read, so a deleted or disabled account, or a role taken away, fails
 * there even if Redis forgot a revocation. Ordinary routes rely on the token check alone (and
 * intake checks the account in its own statement).
 */
export async function confirmAccount(principal: Principal): Promise<Principal> {
  const user = await User.findByPk(principal.id, { attributes: ['id', 'role', 'disabledAt'] });
  if (!user) throw new Unauthorized('Account no longer exists');
  if (user.disabledAt) throw new Unauthorized('Account disabled');
  return { ...principal, role: user.role };
}
