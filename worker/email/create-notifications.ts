import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { EMAIL_SOURCE_TYPES, emailFor, type RelayedMessage } from './kinds.js';

/**
 * Creates the notifications of relayed outbox messages, in the relay's transaction: they exist
 * if and only if the relay's claim of those messages commits, and `message_id` (the outbox
 * message's) is unique, so relaying a message twice cannot make a second email. Only for
 * accounts whose emails are on now; the sender checks again before sending. Returns the ids of
 * the notifications created, whose jobs the caller adds after the commit.
 */
export async function createNotificationsForOutbox(
  sequelize: Sequelize,
  transaction: Transaction,
  outboxIds: readonly string[],
): Promise<string[]> {
  if (outboxIds.length === 0) return [];
  const rows = await sequelize.query<
    RelayedMessage & { outboxId: string; messageId: string; eventId: string }
  >(
    `SELECT o.id AS "outboxId", o.message_id AS "messageId", o.type, o.user_id AS "userId",
            o.event_id AS "eventId", o.payload -> 'data' AS data
       FROM webhook_outbox o
       JOIN users u ON u.id = o.user_id AND u.email_notifications
      WHERE o.id = ANY ($ids::bigint[]) AND o.type = ANY ($types::text[]) AND o.event_id IS NOT NULL`,
    { bind: { ids: outboxIds, types: EMAIL_SOURCE_TYPES }, transaction, type: QueryTypes.SELECT },
  );
  const emails = rows.flatMap((row) => {
    const email = emailFor(row);
    return email ? [{ ...email, row }] : [];
  });
  if (emails.length === 0) return [];
  const created = await sequelize.query<{ id: string }>(
    `INSERT INTO email_notifications (kind, user_id, event_id, outbox_id, message_id)
     SELECT * FROM unnest($kinds::text[], $users::uuid[], $events::uuid[], $outbox::bigint[], $messages::text[])
     ON CONFLICT (message_id) DO NOTHING
     RETURNING id`,
    {
      bind: {
        kinds: emails.map((e) => e.kind),
        users: emails.map((e) => e.userId),
        events: emails.map((e) => e.row.eventId),
        outbox: emails.map((e) => e.row.outboxId),
        messages: emails.map((e) => e.row.messageId),
      },
      transaction,
      type: QueryTypes.SELECT,
    },
  );
  return created.map((c) => c.id);
}

/**
 * "Your offer expires soon": one reminder per offer hold (a hold a waitlist promotion gave,
 * i.e. made for a `book` request) once it is within `leadSeconds` of its expiry and still
 * active. Driven by committed state alone: a sweep over active holds, recorded by the
 * notification row itself (`message_id` `hold-expiring-<holdId>`, unique), so a crash loses no
 * reminder (the next sweep makes it) and two sweeps make one. A hold whose whole life is shorter
 * than the lead time gets none: the offer email already gave its deadline.
 */
export async function createHoldReminders(sequelize: Sequelize, leadSeconds: number): Promise<string[]> {
  if (leadSeconds <= 0) return [];
  const created = await sequelize.query<{ id: string }>(
    `INSERT INTO email_notifications (kind, user_id, event_id, hold_id, message_id)
     SELECT 'offer_hold_expiring', h.user_id, h.event_id, h.id, 'hold-expiring-' || h.id
       FROM holds h
       JOIN booking_requests r ON r.id = h.request_id AND r.kind = 'book'
       JOIN users u ON u.id = h.user_id AND u.email_notifications
      WHERE h.status = 'active'
        AND h.expires_at > now() AND h.expires_at <= now() + make_interval(secs => $lead)
        AND h.expires_at - h.created_at > make_interval(secs => $lead)
        AND NOT EXISTS (SELECT 1 FROM email_notifications n WHERE n.message_id = 'hold-expiring-' || h.id)
     ON CONFLICT (message_id) DO NOTHING
     RETURNING id`,
    { bind: { lead: leadSeconds }, type: QueryTypes.SELECT },
  );
  return created.map((c) => c.id);
}
