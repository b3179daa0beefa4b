import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Attendee email notifications (docs/architecture.md, Email notifications):
 * - `users.email_notifications`: the account's own switch. On for users; off for partners and
 *   admins, who act for other people and hear through webhooks (each can turn it on).
 * - `events.time_zone`: an IANA name the emails show the start time in; null: UTC, said so.
 * - `email_notifications`: one row per email to send, created by the outbox relay in the
 *   transaction that relays its message (or by the reminder sweep for an offer hold about to
 *   expire). `message_id` is unique: the relay running twice over a message, or two sweeps over
 *   one hold, cannot make a second email. It is also the email's Message-ID, the same on every
 *   attempt.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE users ADD COLUMN email_notifications boolean NOT NULL DEFAULT true;
    UPDATE users SET email_notifications = false WHERE role <> 'user';

    ALTER TABLE events ADD COLUMN time_zone text CHECK (char_length(time_zone) BETWEEN 1 AND 64);

    CREATE TABLE email_notifications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN (
        'booking_confirmed', 'booking_rejected', 'waitlisted', 'waitlist_promoted', 'offer_hold',
        'offer_hold_expiring', 'hold_expired', 'booking_cancelled', 'event_cancelled')),
      user_id uuid NOT NULL REFERENCES users (id),
      event_id uuid NOT NULL REFERENCES events (id),
      -- What it reports: an outbox message, or (a reminder) the hold about to expire.
      outbox_id bigint UNIQUE REFERENCES webhook_outbox (id),
      hold_id uuid REFERENCES holds (id),
      message_id text NOT NULL UNIQUE,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT email_notifications_has_subject CHECK (outbox_id IS NOT NULL OR hold_id IS NOT NULL),
      CONSTRAINT email_notifications_sent_at_matches_status CHECK ((status = 'sent') = (sent_at IS NOT NULL))
    );
    -- The stranded sweep: pending notifications long past their next attempt.
    CREATE INDEX email_notifications_pending_idx ON email_notifications (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX email_notifications_user_idx ON email_notifications (user_id);
  `);
}
