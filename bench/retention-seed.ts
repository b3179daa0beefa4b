import type { BenchDatabase } from './setup.js';

export interface OldRows {
  rows: number;
  /** The event the old booking requests and outbox messages were for. */
  eventId: string;
  /** Whose requests they were (round robin); the first owns the webhook endpoint. */
  userIds: readonly string[];
}

/**
 * `rows` old finished rows, all prunable, each table in single INSERT ... SELECT statements:
 * 80 % decided booking requests (200 days old), 10 % relayed outbox messages and 10 % delivered
 * webhook deliveries (100 days old).
 */
export async function seedOldRows(
  db: BenchDatabase,
  old: OldRows,
  log: (line: string) => void,
): Promise<void> {
  const requestRows = Math.round(old.rows * 0.8);
  const outboxRows = Math.round(old.rows * 0.1);
  const chunk = 1_000_000;
  for (let from = 1; from <= requestRows; from += chunk) {
    const to = Math.min(requestRows, from + chunk - 1);
    // A quarter cancellation requests, the rest rejected: all finished long ago, all prunable.
    await db.pool.query(
      `INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, reason, queued_at, decided_at)
       SELECT ($1::uuid[])[1 + i % cardinality($1::uuid[])], $2, CASE WHEN i % 4 = 0 THEN 'cancel' ELSE 'book' END,
              '{"quantity": 1}', 'seed', CASE WHEN i % 4 = 0 THEN 'cancelled' ELSE 'rejected' END,
              CASE WHEN i % 4 = 0 THEN NULL ELSE 'sold_out' END,
              now() - interval '200 days' + make_interval(secs => i / 100.0),
              now() - interval '200 days' + make_interval(secs => i / 100.0)
         FROM generate_series($3::int, $4::int) i`,
      [old.userIds, old.eventId, from, to],
    );
    log(`seeded booking requests ${to}/${requestRows}`);
  }
  const { rows: endpoint } = await db.pool.query(
    `INSERT INTO webhook_endpoints (user_id, url, event_types, secrets)
     VALUES ($1, 'https://example.test/hook', ARRAY['booking.confirmed'], '[]') RETURNING id`,
    [old.userIds[0]],
  );
  await db.pool.query(
    `INSERT INTO webhook_outbox (message_id, type, event_id, payload, created_at, relayed_at)
     SELECT 'seed-' || i, 'booking.confirmed', $1, '{"type": "booking.confirmed"}',
            now() - interval '100 days', now() - interval '100 days' + make_interval(secs => i / 100.0)
       FROM generate_series(1, $2::int) i`,
    [old.eventId, outboxRows],
  );
  await db.pool.query(
    `INSERT INTO webhook_deliveries (endpoint_id, outbox_id, ordering_key, status, attempts, delivered_at,
                                     created_at, updated_at)
     SELECT $1, o.id, 'seed', 'delivered', 1, o.relayed_at, o.relayed_at, o.relayed_at
       FROM webhook_outbox o WHERE o.message_id LIKE 'seed-%'`,
    [endpoint[0].id],
  );
}
