import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { ConfigError, loadConfig, type RetentionConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { metricsRegistry } from '../shared/metrics.js';
import { PRUNE_TARGETS, pruneBatch, Retention } from '../worker/retention/index.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book, cancelBooking, confirmHold, hold, releaseHold, submitBooking } from './support/factory.js';
import { outcomeOf } from './support/harness.js';

describe('retention: finished rows older than their age are pruned in batches, the rest kept', () => {
  const api = useTestApi({}, { workers: 'in-process' });
  let admin: Actor;
  let alice: Actor;
  let bob: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    [alice, bob] = await Promise.all([registerUser(api.baseUrl, 'alice'), registerUser(api.baseUrl, 'bob')]);
  });

  const sql = <T extends object>(query: string, bind: Record<string, unknown> = {}) =>
    api.deps.sequelize.query<T>(query, { bind, type: QueryTypes.SELECT });

  /** A pruner of its own (the worker's waits for its interval); no pause between batches. */
  const retention = (config: Partial<RetentionConfig> = {}) =>
    new Retention({
      sequelize: api.deps.sequelize,
      redis: api.deps.redis,
      prefix: api.config.redisPrefix,
      logger: createLogger('silent', 'worker'),
      config: { ...api.config.retention, pauseMs: 0, ...config },
    });

  /** Makes requests look decided `days` ago. */
  const backdateRequests = (ids: string[], days = 100) =>
    sql(
      `UPDATE booking_requests SET queued_at = now() - make_interval(days => $days),
              decided_at = now() - make_interval(days => $days)
        WHERE id = ANY($ids::uuid[]) RETURNING id`,
      { ids, days },
    );

  const existing = async (table: string, ids: string[]) =>
    (await sql<{ id: string }>(`SELECT id::text FROM ${table} WHERE id::text = ANY($ids::text[])`, { ids }))
      .map((r) => r.id)
      .sort();

  const prunedCount = async (table: string) => {
    const metric = await metricsRegistry.getSingleMetric('evently_retention_pruned_rows_total')?.get();
    return metric?.values.find((v) => v.labels.table === table)?.value ?? 0;
  };

  test('decided requests that start no purchase are pruned; a purchase keeps its first request', async () => {
    const sale = await createEvent(api.baseUrl, admin, { capacity: 1 });
    const booked = await book(api, alice, sale.id, { quantity: 1, externalReference: 'order-1' });
    const rejected = await book(api, bob, sale.id, { quantity: 1 });
    expect([booked.status, rejected.status]).toEqual(['confirmed', 'rejected']);
    const cancel = await cancelBooking(api, alice, booked.booking.id);
    expect(cancel.status).toBe('cancelled');

    const checkout = await createEvent(api.baseUrl, admin, { capacity: 2 });
    const released = await hold(api, bob, checkout.id, { quantity: 1 });
    const release = await releaseHold(api, bob, released.hold.id);
    const confirmed = await hold(api, bob, checkout.id, { quantity: 1 });
    const confirm = await confirmHold(api, bob, confirmed.hold.id);
    expect([release.status, confirm.status]).toEqual(['cancelled', 'confirmed']);

    // A waitlisted request rejected later still names its waitlist entry: kept.
    const [waitlisted] = await sql<{ id: string }>(
      `WITH r AS (
         INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, reason, decided_at)
         VALUES ($userId, $eventId, 'book', '{"quantity": 1}', 'retention', 'rejected', 'event_cancelled', now())
         RETURNING id, seq)
       INSERT INTO waitlist_entries (event_id, user_id, request_id, seq, quantity, min_quantity, status, ended_at)
       SELECT $eventId, $userId, r.id, r.seq, 1, 1, 'cancelled', now() FROM r RETURNING request_id AS id`,
      { userId: bob.id, eventId: sale.id },
    );
    // Decided a day ago: younger than the age, kept.
    const recent = await book(api, bob, sale.id, { quantity: 1 });

    const purchases = [booked.id, released.id, confirmed.id, waitlisted!.id];
    const prunable = [rejected.id, cancel.id, release.id, confirm.id];
    await backdateRequests([...purchases, ...prunable]);
    await backdateRequests([recent.id], 1);
    const before = await prunedCount('booking_requests');

    const report = await retention().runOnce();

    expect(report.ran).toBe(true);
    expect(report.pruned.booking_requests).toBeGreaterThanOrEqual(prunable.length);
    expect(await prunedCount('booking_requests')).toBe(before + report.pruned.booking_requests);
    expect(await existing('booking_requests', [...purchases, ...prunable, recent.id])).toEqual(
      [...purchases, recent.id].sort(),
    );
    expect((await api.http().get(`/booking-requests/${rejected.id}`).set(bob.auth)).status).toBe(404);
    // The booking still reads its purchase's reference from the request that started it.
    const bookingView = await api.http().get(`/bookings/${booked.booking.id}`).set(alice.auth);
    expect(bookingView.status).toBe(200);
    expect(bookingView.body).toMatchObject({ status: 'cancelled', externalReference: 'order-1' });
  });

  test('deliveries, notifications and outbox messages: finished and old go, pending and unrelayed stay', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    const [endpoint] = await sql<{ id: string }>(
      `INSERT INTO webhook_endpoints (user_id, url, event_types, secrets)
       VALUES ($userId, 'https://example.test/hook', ARRAY['booking.confirmed'], '[]') RETURNING id`,
      { userId: admin.id },
    );
    const message = async (relayedDaysAgo: number | null) => {
      const [row] = await sql<{ id: string }>(
        `INSERT INTO webhook_outbox (message_id, type, event_id, payload, created_at, relayed_at)
         VALUES ($messageId, 'booking.confirmed', $eventId, '{}', now() - interval '40 days',
                 now() - make_interval(days => $days::int))
         RETURNING id::text`,
        { messageId: `msg_${randomUUID()}`, eventId: event.id, days: relayedDaysAgo },
      );
      // relayed_at NULL: not relayed yet.
      if (relayedDaysAgo === null)
        await sql('UPDATE webhook_outbox SET relayed_at = NULL WHERE id = $id', row!);
      return row!.id;
    };
    const delivery = async (outboxId: string, status: string, finishedDaysAgo: number) => {
      const [row] = await sql<{ id: string }>(
        `INSERT INTO webhook_deliveries (endpoint_id, outbox_id, ordering_key, status, updated_at)
         VALUES ($endpointId, $outboxId, 'k', $status, now() - make_interval(days => $days)) RETURNING id`,
        { endpointId: endpoint!.id, outboxId, status, days: finishedDaysAgo },
      );
      return row!.id;
    };
    const notification = async (outboxId: string, status: string, finishedDaysAgo: number) => {
      const [row] = await sql<{ id: string }>(
        `INSERT INTO email_notifications (kind, user_id, event_id, outbox_id, message_id, status, sent_at, updated_at)
         VALUES ('booking_confirmed', $userId, $eventId, $outboxId, $messageId, $status,
                 CASE WHEN $status = 'sent' THEN now() END, now() - make_interval(days => $days))
         RETURNING id`,
        {
          userId: alice.id,
          eventId: event.id,
          outboxId,
          messageId: `<${randomUUID()}@t>`,
          status,
          days: finishedDaysAgo,
        },
      );
      return row!.id;
    };

    const delivered = await message(40);
    const deliveredDelivery = await delivery(delivered, 'delivered', 40);
    const emailed = await message(40);
    const sentEmail = await notification(emailed, 'sent', 40);
    const pendingDeliveryMessage = await message(40);
    const pendingDelivery = await delivery(pendingDeliveryMessage, 'pending', 40);
    const pendingEmailMessage = await message(40);
    const pendingEmail = await notification(pendingEmailMessage, 'pending', 40);
    const recentFailureMessage = await message(40);
    const recentFailure = await delivery(recentFailureMessage, 'failed', 10);
    const skippedEmailMessage = await message(40);
    const skippedEmail = await notification(skippedEmailMessage, 'skipped', 40);
    const unrelayed = await message(null);
    const recentlyRelayed = await message(10);

    const report = await retention().runOnce();

    expect(report.pruned.webhook_deliveries).toBeGreaterThanOrEqual(1);
    expect(report.pruned.email_notifications).toBeGreaterThanOrEqual(2);
    expect(report.pruned.webhook_outbox).toBeGreaterThanOrEqual(3);
    expect(await existing('webhook_deliveries', [deliveredDelivery, pendingDelivery, recentFailure])).toEqual(
      [pendingDelivery, recentFailure].sort(),
    );
    expect(await existing('email_notifications', [sentEmail, pendingEmail, skippedEmail])).toEqual([
      pendingEmail,
    ]);
    const messages = [
      delivered,
      emailed,
      skippedEmailMessage,
      pendingDeliveryMessage,
      pendingEmailMessage,
      recentFailureMessage,
      unrelayed,
      recentlyRelayed,
    ];
    expect(await existing('webhook_outbox', messages)).toEqual(
      [pendingDeliveryMessage, pendingEmailMessage, recentFailureMessage, unrelayed, recentlyRelayed].sort(),
    );
  });

  test('a round works in batches, walks past rows it keeps, and stops when the table has nothing older', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    const [{ ids }] = (await sql<{ ids: string[] }>(
      `WITH r AS (
         INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, reason, decided_at)
         SELECT $userId, $eventId, 'book', '{"quantity": 1}', 'retention', 'rejected', 'sold_out',
                now() - interval '200 days' - make_interval(secs => i)
           FROM generate_series(1, 7) i
         RETURNING id)
       SELECT array_agg(id) AS ids FROM r`,
      { userId: bob.id, eventId: event.id },
    )) as [{ ids: string[] }];
    // Five old rows the round must walk past: rejected later, but named by a waitlist entry.
    const kept = await sql<{ id: string }>(
      `WITH r AS (
         INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, reason, decided_at)
         SELECT $userId, $eventId, 'book', '{"quantity": 1}', 'retention', 'rejected', 'event_cancelled',
                now() - interval '300 days'
           FROM generate_series(1, 5)
         RETURNING id, seq)
       INSERT INTO waitlist_entries (event_id, user_id, request_id, seq, quantity, min_quantity, status, ended_at)
       SELECT $eventId, $userId, r.id, r.seq, 1, 1, 'cancelled', now() FROM r RETURNING request_id AS id`,
      { userId: bob.id, eventId: event.id },
    );

    const report = await retention({ batchSize: 2 }).runOnce();

    expect(report.pruned.booking_requests).toBeGreaterThanOrEqual(7);
    // 12 old candidates at 2 a batch in this table alone; every other table at least one batch.
    expect(report.batches).toBeGreaterThanOrEqual(6 + 4);
    expect(await existing('booking_requests', ids)).toEqual([]);
    expect(
      await existing(
        'booking_requests',
        kept.map((r) => r.id),
      ),
    ).toHaveLength(5);

    // One batch: at most its limit, and a cursor past the last row it looked at.
    const target = PRUNE_TARGETS.find((t) => t.table === 'booking_requests')!;
    const batch = await pruneBatch(api.deps.sequelize, target, 90, 2, null);
    expect(batch.scanned).toBeLessThanOrEqual(2);
    expect(batch.pruned).toBe(0);
  });

  test('a token revocation goes the age after what it revokes expired; one still in force stays', async () => {
    const revocation = async (expiresAt: string) => {
      const [row] = await sql<{ id: string }>(
        `INSERT INTO token_revocations (id, kind, user_id, expires_at)
         VALUES (gen_random_uuid(), 'refresh', $userId, now() + $expiresAt::interval) RETURNING id`,
        { userId: bob.id, expiresAt },
      );
      return row!.id;
    };
    const old = await revocation('-2 days');
    const justExpired = await revocation('-1 hour');
    const live = await revocation('29 days');
    const before = await prunedCount('token_revocations');

    const report = await retention().runOnce();

    expect(report.pruned.token_revocations).toBeGreaterThanOrEqual(1);
    expect(await prunedCount('token_revocations')).toBe(before + report.pruned.token_revocations);
    expect(await existing('token_revocations', [old, justExpired, live])).toEqual([justExpired, live].sort());
  });

  test('an age of 0 keeps rows for good, and a second pruner waits while one holds the lease', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    await book(api, alice, event.id, { quantity: 1 });
    const rejected = await book(api, bob, event.id, { quantity: 1 });
    await backdateRequests([rejected.id]);

    const forever = await retention({ bookingRequestsDays: 0 }).runOnce();
    expect(forever.pruned.booking_requests).toBe(0);
    expect(await existing('booking_requests', [rejected.id])).toEqual([rejected.id]);

    const lease = `${api.config.redisPrefix}:retention-lease`;
    await api.deps.redis.set(lease, 'another-worker', 'PX', 60_000);
    try {
      expect(await retention().runOnce()).toMatchObject({ ran: false, batches: 0 });
      expect(await existing('booking_requests', [rejected.id])).toEqual([rejected.id]);
    } finally {
      await api.deps.redis.del(lease);
    }
    expect((await retention().runOnce()).ran).toBe(true);
    expect(await existing('booking_requests', [rejected.id])).toEqual([]);
  });

  test('the idempotency window: a key is remembered until its request is pruned', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    await book(api, alice, event.id, { quantity: 1 });
    const key = `order-${randomUUID()}`;
    const first = await book(api, bob, event.id, { quantity: 1 }, { idempotencyKey: key });
    expect(first.status).toBe('rejected');
    const replay = await submitBooking(api, bob, event.id, { quantity: 1 }, { idempotencyKey: key });
    expect(replay.body.id).toBe(first.id);

    await backdateRequests([first.id]);
    await retention().runOnce();

    const after = await submitBooking(api, bob, event.id, { quantity: 1 }, { idempotencyKey: key });
    expect(after.status).toBe(202);
    expect(after.body.id).not.toBe(first.id);
    expect((await outcomeOf(api.baseUrl, bob, after.body.id)).status).toBe('rejected');
  });

  test('intake and allocation go on while a large batch holds its locks', async () => {
    const old = await createEvent(api.baseUrl, admin, { capacity: 1 });
    const [{ n }] = (await sql<{ n: number }>(
      `WITH r AS (
         INSERT INTO booking_requests (user_id, event_id, kind, payload, fingerprint, status, reason, decided_at)
         SELECT $userId, $eventId, 'book', '{"quantity": 1}', 'retention', 'rejected', 'sold_out',
                now() - interval '100 days'
           FROM generate_series(1, 20000)
         RETURNING 1)
       SELECT count(*)::int AS n FROM r`,
      { userId: bob.id, eventId: old.id },
    )) as [{ n: number }];
    expect(n).toBe(20000);
    const target = PRUNE_TARGETS.find((t) => t.table === 'booking_requests')!;
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });

    await api.deps.sequelize.transaction(async (transaction) => {
      const batch = await pruneBatch(api.deps.sequelize, target, 90, 50_000, null, transaction);
      expect(batch.pruned).toBeGreaterThanOrEqual(20000);
      const [{ pid }] = (await api.deps.sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', {
        transaction,
        type: QueryTypes.SELECT,
      })) as [{ pid: number }];

      // The batch is uncommitted: anything it blocked would wait until after these answers.
      const decided = await book(api, bob, event.id, { quantity: 1 }, { idempotencyKey: randomUUID() });
      expect(decided.status).toBe('confirmed');

      // It holds only the table locks of any insert or update (and row locks on what it deletes).
      const modes = await sql<{ mode: string }>(
        `SELECT DISTINCT mode FROM pg_locks WHERE pid = $pid AND locktype = 'relation'`,
        { pid },
      );
      expect(modes.map((m) => m.mode).sort()).toEqual(expect.arrayContaining(['RowExclusiveLock']));
      for (const { mode } of modes)
        expect(['AccessShareLock', 'RowShareLock', 'RowExclusiveLock']).toContain(mode);
    });
    expect(
      (
        await sql<{ n: number }>('SELECT count(*)::int AS n FROM booking_requests WHERE event_id = $id', {
          id: old.id,
        })
      )[0]!.n,
    ).toBe(0);
  });
});

describe('retention settings', () => {
  test('defaults: 90 days of booking requests, 30 of webhooks and emails, 1 past a revoked token’s expiry, batches of 1,000', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).retention).toEqual({
      bookingRequestsDays: 90,
      webhookDays: 30,
      emailDays: 30,
      tokenRevocationsDays: 1,
      batchSize: 1000,
      pauseMs: 100,
      intervalMs: 300_000,
    });
    expect(loadConfig({ NODE_ENV: 'test', RETENTION_EMAIL_DAYS: '0' }).retention.emailDays).toBe(0);
  });

  test.each([
    ['RETENTION_BOOKING_REQUESTS_DAYS', '-1'],
    ['RETENTION_WEBHOOK_DAYS', '1.5'],
    ['RETENTION_EMAIL_DAYS', 'a month'],
    ['RETENTION_TOKEN_REVOCATIONS_DAYS', '-1'],
    ['RETENTION_BATCH_SIZE', '0'],
    ['RETENTION_INTERVAL_MS', '10'],
  ])('%s=%s is refused, naming the setting', (name, value) => {
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(name);
  });
});
