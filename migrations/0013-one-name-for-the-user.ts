import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * One name for the person a row belongs to: `user_id`, as in bookings, holds and waitlist
 * entries (docs/architecture.md, Glossary). Renames keep the data, the foreign keys and the
 * indexes; their names follow.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE booking_requests RENAME COLUMN principal_id TO user_id;
    ALTER TABLE booking_requests RENAME CONSTRAINT booking_requests_principal_id_fkey TO booking_requests_user_id_fkey;
    ALTER INDEX booking_requests_principal_idx RENAME TO booking_requests_user_idx;

    ALTER TABLE webhook_outbox RENAME COLUMN principal_id TO user_id;
    ALTER TABLE webhook_outbox RENAME CONSTRAINT webhook_outbox_principal_id_fkey TO webhook_outbox_user_id_fkey;

    ALTER TABLE webhook_endpoints RENAME COLUMN owner_id TO user_id;
    ALTER TABLE webhook_endpoints RENAME CONSTRAINT webhook_endpoints_owner_id_fkey TO webhook_endpoints_user_id_fkey;
    ALTER INDEX webhook_endpoints_owner_idx RENAME TO webhook_endpoints_user_idx;
  `);
}
