/**
 * "May this endpoint's owner receive this message, now?", the one rule for every place a
 * webhook delivery is created (the relay), attempted (the delivery worker's `loadAttempt`) or
 * revived (a manual retry or replay): the owner exists, is not disabled, is a partner or an
 * admin, and is entitled to the message's audience (`webhook_outbox.audience`, chosen by its
 * writer, see shared/db/outbox.ts):
 *
 * - `admins`: the owner is an admin;
 * - `owner`: the owner is the message's principal (the person it is about), or an admin;
 * - `public`: any partner or admin.
 *
 * Checked against the account as it is when the statement runs, never as it was when the
 * delivery was made: a demoted or disabled owner stops receiving at once, and a delivery no
 * longer entitled is failed with `NOT_ENTITLED` and never sent or revived.
 *
 * `endpoint` and `message` are the SQL aliases of the `webhook_endpoints` and `webhook_outbox`
 * rows in the caller's statement.
 */
export function entitledSql(endpoint: string, message: string): string {
  for (const alias of [endpoint, message]) {
    if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`not an SQL alias: ${alias}`);
  }
  return `EXISTS (
    SELECT 1 FROM users entitled_owner
     WHERE entitled_owner.id = ${endpoint}.user_id
       AND entitled_owner.disabled_at IS NULL
       AND (entitled_owner.role = 'admin'
            OR (entitled_owner.role = 'partner'
                AND (${message}.audience = 'public'
                     OR (${message}.audience = 'owner' AND ${message}.user_id = ${endpoint}.user_id)))))`;
}

/** `last_error` of a delivery failed because its owner is no longer entitled to the message. */
export const NOT_ENTITLED = 'not entitled';
