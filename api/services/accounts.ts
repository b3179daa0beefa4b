import { UniqueConstraintError } from 'sequelize';
import { User } from '../../shared/db/models/index.js';
import type { Role } from '../../shared/domain.js';
import { Conflict } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { hashPassword } from './passwords.js';

/** Emails are matched case-insensitively; they are stored lower-cased. */
export const normaliseEmail = (value: string) => value.trim().toLowerCase();

/** Creates an account; a taken email (in any letter case) is a 409. */
export async function createUser(fields: { email: string; password: string; name: string; role?: Role }) {
  try {
    return await User.create({
      email: normaliseEmail(fields.email),
      name: fields.name,
      role: fields.role ?? 'user',
      passwordHash: await hashPassword(fields.password),
    });
  } catch (err) {
    if (err instanceof UniqueConstraintError)
      throw new Conflict('email_taken', 'An account with this email exists');
    throw err;
  }
}

/**
 * The first admin comes from ADMIN_EMAIL / ADMIN_PASSWORD at start-up. An existing account is
 * left as it is (its password may have been changed since), except that it is made admin.
 */
export async function ensureAdmin(email: string, password: string, logger: Logger): Promise<void> {
  const existing = await User.findOne({ where: { email: normaliseEmail(email) } });
  if (existing) {
    if (existing.role !== 'admin') {
      await existing.update({ role: 'admin' });
      logger.warn({ email }, 'promoted existing account to admin (ADMIN_EMAIL)');
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
