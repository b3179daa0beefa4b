import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * Ties the counters of `events` to the rows they count, so that the capacity CHECK bounds the
 * rows too (general admission has no seat rows to be unique): at every commit, for every event,
 *
 *   booked = sum(quantity) of its confirmed bookings   held = sum(quantity) of its active holds
 *
 * Checked incrementally, at a cost proportional to the rows a statement changes, never by
 * recounting an event (an allocation step writes up to 500 bookings):
 * - statement-level triggers on `bookings`, `holds` and `events` add what each statement changed,
 *   per event, to a balance (rows minus counters) kept in a transaction-local setting,
 *   `evently.counter_balance`, which a rolled-back transaction or savepoint undoes with its rows;
 * - a deferred constraint trigger on the event row, `events_counters_match_rows`, checks at commit
 *   that the event's balance is zero. A statement that unbalances an event whose check is not yet
 *   queued queues it by touching the row (`booked = booked`, once per event until the check ran).
 * So a transaction may write rows and counters in any order (the allocator writes the rows first),
 * but one that commits rows without the same change of the counter, a counter without rows, or an
 * absolute counter written from a stale read, fails with a check violation naming the constraint.
 * Queued checks are pending trigger events on `events` until they run, and PostgreSQL refuses to
 * ALTER a table with pending trigger events: a transaction that changes rows or counters and then
 * alters `events` (or adds a foreign key to it) runs `SET CONSTRAINTS events_counters_match_rows
 * IMMEDIATE` in between (bench/seed-analytics.ts does).
 *
 * Since every commit keeps rows and counters equal, they stay equal; counters that already
 * differed (never the case for data the service wrote; hand-made test fixtures did) are first set
 * from the rows, and if the rows exceed an event's capacity the CHECK refuses that, and so this
 * migration.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    UPDATE events e SET booked = c.booked, held = c.held
      FROM (SELECT e.id,
                   (SELECT coalesce(sum(quantity), 0) FROM bookings
                     WHERE event_id = e.id AND status = 'confirmed')::int AS booked,
                   (SELECT coalesce(sum(quantity), 0) FROM holds
                     WHERE event_id = e.id AND status = 'active')::int AS held
              FROM events e) c
     WHERE e.id = c.id AND (e.booked, e.held) IS DISTINCT FROM (c.booked, c.held);

    -- Adds per-event changes {"<event id>": {"b": n, "h": n}} (rows minus counters) to the
    -- balance and returns the events that became unbalanced with no check queued yet ("q").
    CREATE FUNCTION event_counters_add(changes jsonb) RETURNS uuid[]
      LANGUAGE plpgsql AS $$
    DECLARE
      balance jsonb := coalesce(nullif(current_setting('evently.counter_balance', true), ''), '{}');
      c record;
      b integer;
      h integer;
      queued boolean;
      unqueued uuid[] := '{}';
    BEGIN
      FOR c IN SELECT key, value FROM jsonb_each(changes) LOOP
        b := coalesce((balance #>> ARRAY[c.key, 'b'])::int, 0) + (c.value ->> 'b')::int;
        h := coalesce((balance #>> ARRAY[c.key, 'h'])::int, 0) + (c.value ->> 'h')::int;
        queued := coalesce((balance #>> ARRAY[c.key, 'q'])::boolean, false);
        IF NOT queued AND (b <> 0 OR h <> 0) THEN
          unqueued := unqueued || c.key::uuid;
          queued := true;
        END IF;
        balance := jsonb_set(balance, ARRAY[c.key], jsonb_build_object('b', b, 'h', h, 'q', queued));
      END LOOP;
      PERFORM set_config('evently.counter_balance', balance::text, true);
      RETURN unqueued;
    END
    $$;

    -- bookings (confirmed, into "b") and holds (active, into "h"): what a statement changed.
    CREATE FUNCTION event_counters_rows_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
    DECLARE
      counted text := CASE TG_TABLE_NAME WHEN 'bookings' THEN 'confirmed' ELSE 'active' END;
      counter text := CASE TG_TABLE_NAME WHEN 'bookings' THEN 'b' ELSE 'h' END;
      changes jsonb;
      unqueued uuid[];
    BEGIN
      IF TG_OP = 'INSERT' THEN
        SELECT jsonb_object_agg(event_id, jsonb_build_object('b', 0, 'h', 0, counter, q)) INTO changes
          FROM (SELECT event_id, sum(quantity) AS q FROM new_rows WHERE status = counted GROUP BY event_id) s;
      ELSIF TG_OP = 'DELETE' THEN
        SELECT jsonb_object_agg(event_id, jsonb_build_object('b', 0, 'h', 0, counter, -q)) INTO changes
          FROM (SELECT event_id, sum(quantity) AS q FROM old_rows WHERE status = counted GROUP BY event_id) s;
      ELSE
        SELECT jsonb_object_agg(event_id, jsonb_build_object('b', 0, 'h', 0, counter, q)) INTO changes
          FROM (SELECT event_id, sum(q) AS q
                  FROM (SELECT event_id, quantity AS q FROM new_rows WHERE status = counted
                        UNION ALL
                        SELECT event_id, -quantity FROM old_rows WHERE status = counted) r
                 GROUP BY event_id HAVING sum(q) <> 0) s;
      END IF;
      IF changes IS NOT NULL THEN
        unqueued := event_counters_add(changes);
        IF cardinality(unqueued) > 0 THEN
          UPDATE events SET booked = booked WHERE id = ANY(unqueued); -- queues their checks
        END IF;
      END IF;
      RETURN NULL;
    END
    $$;

    -- events: what a statement changed of the counters (an inserted event counts from 0).
    CREATE FUNCTION event_counters_counters_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
    DECLARE
      changes jsonb;
      unqueued uuid[];
    BEGIN
      IF TG_OP = 'INSERT' THEN
        SELECT jsonb_object_agg(id, jsonb_build_object('b', -booked, 'h', -held)) INTO changes
          FROM new_rows WHERE booked <> 0 OR held <> 0;
      ELSE
        SELECT jsonb_object_agg(n.id, jsonb_build_object('b', o.booked - n.booked, 'h', o.held - n.held))
          INTO changes
          FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE n.booked <> o.booked OR n.held <> o.held;
      END IF;
      IF changes IS NOT NULL THEN
        unqueued := event_counters_add(changes);
        -- An update of the counters queued its own check; an event inserted with counters other
        -- than 0 (never done by the service) has it queued here.
        IF TG_OP = 'INSERT' AND cardinality(unqueued) > 0 THEN
          UPDATE events SET booked = booked WHERE id = ANY(unqueued);
        END IF;
      END IF;
      RETURN NULL;
    END
    $$;

    -- At commit (or SET CONSTRAINTS ... IMMEDIATE): the event's balance must be zero.
    CREATE FUNCTION event_counters_check() RETURNS trigger
      LANGUAGE plpgsql AS $$
    DECLARE
      balance jsonb := coalesce(nullif(current_setting('evently.counter_balance', true), ''), '{}');
      entry jsonb := balance -> NEW.id::text;
    BEGIN
      IF entry IS NULL THEN
        RETURN NULL;
      END IF;
      IF (entry ->> 'b')::int <> 0 OR (entry ->> 'h')::int <> 0 THEN
        RAISE EXCEPTION 'events.booked and events.held must equal the quantities of the event''s confirmed bookings and active holds'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'events_counters_match_rows', TABLE = 'events',
                DETAIL = format('Event %s: its rows changed booked by %s and held by %s more than its counters did.',
                                NEW.id, entry ->> 'b', entry ->> 'h');
      END IF;
      -- Balanced: forget it, so a later change queues a check again.
      PERFORM set_config('evently.counter_balance', (balance - NEW.id::text)::text, true);
      RETURN NULL;
    END
    $$;

    CREATE TRIGGER bookings_counted_insert AFTER INSERT ON bookings REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_rows_changed();
    CREATE TRIGGER bookings_counted_update AFTER UPDATE ON bookings
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_rows_changed();
    CREATE TRIGGER bookings_counted_delete AFTER DELETE ON bookings REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_rows_changed();
    CREATE TRIGGER holds_counted_insert AFTER INSERT ON holds REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_rows_changed();
    CREATE TRIGGER holds_counted_update AFTER UPDATE ON holds
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_rows_changed();
    CREATE TRIGGER holds_counted_delete AFTER DELETE ON holds REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_rows_changed();
    CREATE TRIGGER events_counters_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_counters_changed();
    CREATE TRIGGER events_counters_update AFTER UPDATE ON events
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION event_counters_counters_changed();
    CREATE CONSTRAINT TRIGGER events_counters_match_rows AFTER UPDATE OF booked, held ON events
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION event_counters_check();
  `);
}
