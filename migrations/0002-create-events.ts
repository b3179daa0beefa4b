import type { MigrationContext } from '../shared/db/migrator.js';

export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    CREATE TABLE events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '',
      venue text NOT NULL CHECK (length(venue) BETWEEN 1 AND 200),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz,
      capacity integer NOT NULL CHECK (capacity > 0),
      status text NOT NULL DEFAULT 'on_sale' CHECK (status IN ('draft', 'on_sale', 'cancelled', 'completed')),
      booked integer NOT NULL DEFAULT 0,
      held integer NOT NULL DEFAULT 0,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- The last guard against overselling: no code path can commit more seats than exist.
      CONSTRAINT events_seats_within_capacity CHECK (booked >= 0 AND held >= 0 AND booked + held <= capacity),
      CONSTRAINT events_ends_after_start CHECK (ends_at IS NULL OR ends_at > starts_at)
    );
    CREATE INDEX events_starts_at_idx ON events (starts_at, id);
  `);
}
