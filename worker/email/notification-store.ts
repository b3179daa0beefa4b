import { QueryTypes, type Sequelize } from 'sequelize';
import type { EmailKind } from './kinds.js';

export type NotificationStatus = 'pending' | 'sent' | 'failed' | 'skipped';

/** Everything one email is rendered from, read in one query when it is about to be sent. */
export interface NotificationToSend {
  id: string;
  kind: EmailKind;
  status: NotificationStatus;
  attempts: number;
  /** The Message-ID's left-hand side: the outbox `message_id`, or `hold-expiring-<holdId>`. */
  messageId: string;
  email: string;
  name: string;
  /** The account's switch as it is now, and whether an admin disabled the account. */
  emailsOn: boolean;
  disabled: boolean;
  event: { id: string; name: string; venue: string; startsAt: Date; timeZone: string | null };
  /** The outbox message's `data`; null for a reminder. */
  data: Record<string, unknown> | null;
  /** A reminder's hold as it is now; null otherwise. */
  hold: { id: string; status: string; quantity: number; seats: unknown; expiresAt: Date } | null;
  /** A `waitlisted` email's place in line now, if the entry is still waiting; null otherwise. */
  waitlistPosition: number | null;
  /** The outbox message's stored trace context, which the sending span is parented to; null for a reminder. */
  traceContext: string | null;
}

export async function loadNotification(sequelize: Sequelize, id: string): Promise<NotificationToSend | null> {
  const [row] = await sequelize.query<Omit<NotificationToSend, 'event'> & Record<string, unknown>>(
    `SELECT n.id, n.kind, n.status, n.attempts, n.message_id AS "messageId",
            u.email, u.name, u.email_notifications AS "emailsOn", u.disabled_at IS NOT NULL AS disabled,
            e.id AS "eventId", e.name AS "eventName", e.venue, e.starts_at AS "startsAt",
            e.time_zone AS "timeZone",
            o.payload -> 'data' AS data, o.trace_context AS "traceContext",
            CASE WHEN h.id IS NULL THEN NULL ELSE json_build_object(
              'id', h.id, 'status', h.status, 'quantity', h.quantity, 'seats', h.seats,
              'expiresAt', h.expires_at) END AS hold,
            line.position AS "waitlistPosition"
       FROM email_notifications n
       JOIN users u ON u.id = n.user_id
       JOIN events e ON e.id = n.event_id
       LEFT JOIN webhook_outbox o ON o.id = n.outbox_id
       LEFT JOIN holds h ON h.id = n.hold_id
       LEFT JOIN LATERAL (
         SELECT 1 + (SELECT count(*) FROM waitlist_entries ahead
                      WHERE ahead.event_id = w.event_id AND ahead.status = 'waiting' AND ahead.seq < w.seq)::int
                AS position
           FROM waitlist_entries w
          WHERE n.kind = 'waitlisted' AND w.status = 'waiting'
            AND w.id = (o.payload #>> '{data,waitlistEntry,id}')::uuid
       ) line ON true
      WHERE n.id = $id`,
    { bind: { id }, type: QueryTypes.SELECT },
  );
  if (!row) return null;
  const { eventId, eventName, venue, startsAt, timeZone, hold, ...rest } = row as typeof row & {
    eventId: string;
    eventName: string;
    venue: string;
    startsAt: Date;
    timeZone: string | null;
    hold: (Omit<NonNullable<NotificationToSend['hold']>, 'expiresAt'> & { expiresAt: string }) | null;
  };
  return {
    ...(rest as unknown as NotificationToSend),
    event: { id: eventId, name: eventName, venue, startsAt: new Date(startsAt), timeZone },
    hold: hold ? { ...hold, expiresAt: new Date(hold.expiresAt) } : null,
  };
}

/**
 * Recorded the moment the server's 250 arrives, before anything else: the one window in which a
 * crash sends an email twice is between those two, and it is kept this short.
 */
export async function recordSent(sequelize: Sequelize, id: string, attempts: number): Promise<void> {
  await sequelize.query(
    `UPDATE email_notifications SET status = 'sent', sent_at = now(), attempts = $attempts,
            last_error = NULL, updated_at = now()
      WHERE id = $id AND status = 'pending'`,
    { bind: { id, attempts } },
  );
}

/** A temporary failure (4xx, connection): pending again at `nextAttemptAt`. */
export async function recordRetry(
  sequelize: Sequelize,
  id: string,
  attempts: number,
  error: string,
  nextAttemptAt: Date,
): Promise<void> {
  await sequelize.query(
    `UPDATE email_notifications SET attempts = $attempts, last_error = $error, next_attempt_at = $next,
            updated_at = now()
      WHERE id = $id AND status = 'pending'`,
    { bind: { id, attempts, error, next: nextAttemptAt } },
  );
}

/** Failed for good (5xx, or out of retries) or skipped (emails off, hold gone): never sent. */
export async function recordFinal(
  sequelize: Sequelize,
  id: string,
  status: 'failed' | 'skipped',
  attempts: number,
  reason: string,
): Promise<void> {
  await sequelize.query(
    `UPDATE email_notifications SET status = $status, attempts = $attempts, last_error = $reason,
            updated_at = now()
      WHERE id = $id AND status = 'pending'`,
    { bind: { id, status, attempts, reason } },
  );
}

/** Pending notifications whose attempt is overdue by `graceMs`: their job may be lost. */
export async function overdueNotifications(sequelize: Sequelize, graceMs: number): Promise<string[]> {
  const rows = await sequelize.query<{ id: string }>(
    `SELECT id FROM email_notifications
      WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => $graceSeconds)
      ORDER BY next_attempt_at LIMIT 500`,
    { bind: { graceSeconds: graceMs / 1000 }, type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.id);
}
