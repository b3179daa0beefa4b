import { QueryTypes, type Sequelize } from 'sequelize';

export interface SeededAttendees {
  eventId: string;
  /** Every `every`-th attendee's email starts with this (`<tag>-<n>@example.test`). */
  tag: string;
}

/**
 * An event with `count` bookings, one per new account, as the worker would have left them, in
 * four statements (generate_series): fast enough for 100,000 rows in a test or a bench. Booking
 * n (1-based) is made n ms after `since`; about every 10th (by arrival
 * `seq`) is cancelled; every 3rd carries a partner's
 * reference `<tag>-ref-<n>` and metadata; account n is `<tag>-<n>@example.test`, named
 * `Attendee <n>`, except every 50th, whose name starts with `=` (a formula, for the CSV guard).
 * With `buyers`, only that many accounts, booking n made by account ((n - 1) mod buyers) + 1: for a
 * test that needs many rows, not many accounts (the users table is shared by every test file).
 */
export async function seedAttendees(
  sequelize: Sequelize,
  {
    count,
    tag,
    since = new Date('2030-01-01T00:00:00Z'),
    buyers = count,
  }: { count: number; tag: string; since?: Date; buyers?: number },
): Promise<SeededAttendees> {
  return sequelize.transaction(async (transaction) => {
    const q = <T extends object>(sql: string, bind: Record<string, unknown>) =>
      sequelize.query<T>(sql, { bind, transaction, type: QueryTypes.SELECT });
    const [event] = await q<{ id: string }>(
      `INSERT INTO events (name, venue, starts_at, capacity)
       VALUES ($name, 'Bench Hall', now() + interval '1 year', $capacity) RETURNING id`,
      { name: `Attendees ${tag}`, capacity: count * 2 },
    );
    const eventId = event!.id;
    const bind = { tag, count, buyers, eventId, since: since.toISOString() };
    await q(
      `INSERT INTO users (email, password_hash, name)
       SELECT $tag || '-' || n || '@example.test', 'seeded: no password',
              CASE WHEN n % 50 = 0 THEN '=HYPERLINK("x", "Attendee ' || n || '")' ELSE 'Attendee ' || n END
         FROM generate_series(1, $buyers::int) n`,
      bind,
    );
    await q(
      `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, queued_at, decided_at,
                                     external_reference, metadata)
       SELECT u.id, $eventId, 'book', jsonb_build_object('quantity', 1 + n % 3), 'seeded', 'confirmed',
              t, t,
              CASE WHEN n % 3 = 0 THEN $tag || '-ref-' || n END,
              CASE WHEN n % 3 = 0 THEN jsonb_build_object('order', 'o-' || n) ELSE '{}'::jsonb END
         FROM generate_series(1, $count::int) n
         JOIN users u ON u.email = $tag || '-' || ((n - 1) % $buyers::int + 1) || '@example.test'
         CROSS JOIN LATERAL (SELECT $since::timestamptz + n * interval '1 millisecond' AS t) at`,
      bind,
    );
    // Rows and the counter change together (events_counters_match_rows, migration 0012).
    await q(
      `WITH b AS (
         INSERT INTO bookings (event_id, user_id, request_id, status, quantity, created_at, cancelled_at)
         SELECT r.event_id, r.user_id, r.id,
                CASE WHEN r.seq % 10 = 0 THEN 'cancelled' ELSE 'confirmed' END,
                (r.payload->>'quantity')::int, r.queued_at,
                CASE WHEN r.seq % 10 = 0 THEN r.queued_at END
           FROM booking_requests r WHERE r.event_id = $eventId
         RETURNING id, request_id, status, quantity),
       linked AS (UPDATE booking_requests r SET booking_id = b.id FROM b WHERE r.id = b.request_id)
       UPDATE events SET booked = (SELECT coalesce(sum(quantity), 0) FROM b WHERE status = 'confirmed')
        WHERE id = $eventId`,
      bind,
    );
    return { eventId, tag };
  });
}
