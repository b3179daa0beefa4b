import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Security and fairness (issue "security holes and fair limits"):
 * - `users.disabled_at`: an admin can disable an account; sign-in, refresh and intake refuse it.
 * - `events.published_at`: when the event first went on sale. An event never published stays
 *   invisible to everyone but admins whatever its status (a cancelled draft too), and its webhook
 *   messages are addressed to admins only. Existing non-draft events count as published.
 * - `events.max_tickets_per_user` / `limit_partners`: the per-buyer cap, decided by the allocator.
 * - `webhook_outbox.audience`: who may receive a message, decided by its writer in the transaction
 *   that knows the state (`owner`: the principal's endpoints; `public`: every subscriber;
 *   `admins`: admins' endpoints only), instead of the relay guessing it from the type.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE users ADD COLUMN disabled_at timestamptz;
    CREATE INDEX users_role_idx ON users (role, created_at);

    ALTER TABLE events ADD COLUMN published_at timestamptz;
    UPDATE events SET published_at = created_at WHERE status <> 'draft';
    ALTER TABLE events ADD COLUMN max_tickets_per_user integer
      CHECK (max_tickets_per_user IS NULL OR max_tickets_per_user >= 1);
    ALTER TABLE events ADD COLUMN limit_partners boolean NOT NULL DEFAULT false;

    ALTER TABLE webhook_outbox ADD COLUMN audience text NOT NULL DEFAULT 'owner'
      CHECK (audience IN ('owner', 'public', 'admins'));
    UPDATE webhook_outbox o
       SET audience = CASE WHEN e.published_at IS NULL THEN 'admins' ELSE 'public' END
      FROM events e
     WHERE o.type LIKE 'event.%' AND e.id = o.event_id;
  `);
}
