import { User } from '../../shared/db/models/index.js';
import { AccountDisabled, Unauthorized } from '../../shared/errors.js';
import { normaliseEmail } from './accounts.js';
import { DUMMY_HASH, verifyPassword } from './passwords.js';
import type { RateLimits } from './rate-limits.js';

/**
 * Checks an email and password, the one way every sign-in does (the API's /auth/login and the
 * dashboard's form): a locked account is refused even with the right password (that is what
 * stops guessing), one password hash runs even for an unknown email (timing), and failures
 * count against the account whether it exists or not (a lock-out reveals nothing). A disabled
 * account is refused with its own error.
 */
export async function signIn(limits: RateLimits, rawEmail: string, password: string): Promise<User> {
  const email = normaliseEmail(rawEmail);
  await limits.assertAccountNotLocked(email);
  const user = await User.findOne({ where: { email } });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) {
    await limits.recordLoginFailure(email);
    throw new Unauthorized('Invalid email or password');
  }
  await limits.clearLoginFailures(email);
  // Told only to whoever knows the password: a disabled account is not an unknown one.
  if (user.disabledAt) throw new AccountDisabled();
  return user;
}
