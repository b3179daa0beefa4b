import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { WebhookReceiver } from '../test/support/webhook-receiver.js';
import { freePort, type Role, startRole, stopRole } from './cluster.js';
import { assertClientMatchesServer, backup, databaseUrl, dropDatabase, restore } from './drill-tools.js';
import { judgeRequests, type Statuses } from './drill-verdict.js';
import { OwnRedis } from './services.js';
import { apiCaller, freshDatabase, seedUsers } from './setup.js';

export interface DrillOptions {
  /** Any database of the PostgreSQL server to use; the drill makes its own two there. */
  databaseUrl: string;
  /** Its databases are `<prefix>_source` (the lost primary) and `<prefix>_restored`. */
  databasePrefix: string;
  seconds: number;
  requests: number;
  seats: number;
  clients: number;
  workers: number;
  /** When in the sale the backup starts, as a fraction of `seconds`. */
  backupAt: number;
  /** How long to wait for the restored service to decide and deliver everything. */
  recoveryTimeoutSeconds: number;
  /** More environment for the service's processes (e.g. a shorter RECONCILE_INTERVAL_MS in tests). */
  serviceEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface DrillReport {
  /** Requests the backup must hold: a 202 before it started, or found in it. */
  accepted: number;
  /** Of those, decided exactly once on the restored service. */
  decided: number;
  /** accepted - decided: missing from the backup or never decided after the restore. */
  lost: number;
  /** Requests decided in the backup whose outcome the restored service changed (decided twice). */
  redecided: number;
  oversold: number;
  counterDrift: number;
  /** Active holds more than a second past their expiry once recovered (their timers died with Redis). */
  overdueHolds: number;
  /** Outbox messages of the restored database no 2xx delivery reached the partner for. */
  webhooksMissing: number;
  backupSeconds: number;
  backupBytes: number;
  restoreSeconds: number;
  /** Starting the API and worker processes on the restored database. */
  startSeconds: number;
  /** From starting the restored service to no request left queued (startSeconds included). */
  recoverySeconds: number;
  /** From starting the restored service to every outbox message delivered. */
  deliveredSeconds: number;
  /** All 202s of the sale, before and after the backup. */
  acceptedDuringSale: number;
  /** 202s after the backup started whose rows it does not hold: gone with the restore, as expected. */
  acceptedAfterBackup: number;
  /**
   * Requests queued in the backup that the lost primary decided before it died: the restored
   * service decides them again (clients and partners may have seen the first outcome).
   */
  decidedAgainAfterRestore: number;
  /** Of those, how many got a different outcome the second time. */
  outcomeChanged: number;
  /** Webhook messages that reached the partner more than once (same id, from both primaries). */
  webhooksRedelivered: number;
  /** Whether a token logged out before the backup authenticates again once Redis is wiped (a failure). */
  revokedTokenAcceptedAfterRedisLoss: boolean;
  wallSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The backup and restore drill. A sale runs on a fresh database; midway, `pg_dump` backs it up
 * live. At the end of the sale the primary is lost (API and workers SIGKILLed, Redis gone with
 * its disk); the backup is restored into a new database, the service starts on it with an empty
 * Redis, and every request the backup holds must be decided exactly once, the reconciler
 * rebuilding the queues from PostgreSQL. What came after the backup is counted, not hidden.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  if (!/^[a-z][a-z0-9_]*$/.test(options.databasePrefix)) throw new Error('databasePrefix: [a-z][a-z0-9_]*');
  if (!(options.backupAt >= 0 && options.backupAt < 1)) throw new Error('backupAt: from 0 to below 1');
  log(await assertClientMatchesServer(options.databaseUrl));
  const sourceName = `${options.databasePrefix}_source`;
  const restoredName = `${options.databasePrefix}_restored`;
  const dir = mkdtempSync(path.join(tmpdir(), 'evently-drill-'));
  const dumpFile = path.join(dir, 'evently.dump');
  const receiver = await new WebhookReceiver().start();
  let redis = new OwnRedis(await freePort());
  let roles: Role[] = [];
  const pools: pg.Pool[] = [];
  let http: Pool | undefined;
  const started = Date.now();
  try {
    await redis.start();
    const source = await freshDatabase(options.databaseUrl, sourceName);
    pools.push(source.pool);
    const port = await freePort();
    const jwtSecret = randomBytes(32).toString('hex');
    const env = (databaseUrl: string, redisUrl: string) => ({
      // development: the receiver is plain http on loopback, which production refuses.
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: 'drill',
      JWT_SECRET: jwtSecret,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE: new URL(receiver.baseUrl).host,
      RATE_LIMITS_ENABLED: 'false',
      WORKER_METRICS_PORT: '0',
      ...options.serviceEnv,
    });
    /** API and workers start together; if one fails, the others are stopped before the error. */
    const startService = async (databaseUrl: string, redisUrl: string) => {
      const workerEnv = { ...env(databaseUrl, redisUrl), LOG_LEVEL: 'info' };
      const starting = await Promise.allSettled([
        ...Array.from({ length: options.workers }, (_, i) =>
          startRole(`worker${i}`, 'worker', workerEnv, '"worker started"'),
        ),
        startRole('api', 'api', env(databaseUrl, redisUrl), `http://127.0.0.1:${port}/health/live`),
      ]);
      const started = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failed = starting.find((s) => s.status === 'rejected');
      if (failed) {
        await Promise.all(started.map(kill));
        throw failed.reason;
      }
      return started;
    };
    roles = await startService(source.url, redis.url);

    const [admin, partner, leaver] = [
      ...(await seedUsers(source, 1, jwtSecret, 'admin')),
      ...(await seedUsers(source, 2, jwtSecret, 'partner')),
    ];
    const client = new Pool(`http://127.0.0.1:${port}`, { connections: options.clients });
    http = client;
    const call = apiCaller(client);
    const event = await call('POST', '/events', admin!.token, {
      name: 'Drill Night',
      venue: 'Drill Hall',
      startsAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
      capacity: options.seats,
      // Short holds: some expire before the backup, some in it with their timers lost in Redis.
      holdTtlSeconds: 5,
    });
    if (event.status !== 201) throw new Error(`create event: ${event.status} ${JSON.stringify(event.body)}`);
    const eventId = event.body!.id as string;
    const endpoint = await call('POST', '/webhook-endpoints', partner!.token, {
      url: `${receiver.baseUrl}/drill`,
      eventTypes: ['booking.confirmed', 'booking.rejected', 'booking.cancelled'],
    });
    if (endpoint.status !== 201) throw new Error(`register endpoint: ${endpoint.status}`);
    // A session ended before the backup: its revocation is in the backup, and must outlive the
    // Redis the drill wipes.
    if ((await call('POST', '/auth/logout', leaver!.token)).status !== 204) throw new Error('logout failed');
    if ((await call('GET', '/auth/me', leaver!.token)).status !== 401)
      throw new Error('logout did not revoke');

    // The sale: bookings, holds (some confirmed, the rest left to expire) and cancellations,
    // paced over the run; each client retries with its Idempotency-Key until a 202/200.
    const acceptedAt = new Map<string, number>(); // request id -> when its 202 arrived
    const submit = async (route: string, body: unknown) => {
      const key = randomUUID();
      for (let attempt = 0; attempt < 20; attempt++) {
        const res = await call('POST', route, partner!.token, body, key).catch(() => ({
          status: 0,
          body: null,
        }));
        if (res.status === 202 || res.status === 200) {
          acceptedAt.set(res.body!.id as string, Date.now());
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 429) return;
        await sleep(100 * 2 ** Math.min(attempt, 4));
      }
    };
    const pick = async (sql: string) =>
      (await source.pool.query<{ id: string }>(sql, [eventId])).rows.map((r) => r.id);
    const used = new Set<string>();
    const unused = (ids: string[]) => {
      const id = ids.find((x) => !used.has(x));
      if (id) used.add(id);
      return id;
    };
    const saleStart = Date.now();
    const backupStartsAt = saleStart + options.backupAt * options.seconds * 1000;
    let backupStarted = Number.POSITIVE_INFINITY;
    let backupResult: Promise<{ seconds: number; bytes: number }> | undefined;
    const startBackup = () => {
      log(`t=${((Date.now() - saleStart) / 1000).toFixed(1)}s: pg_dump starts (${acceptedAt.size} accepted)`);
      backupStarted = Date.now();
      const result = backup(source.url, dumpFile);
      // Awaited after the sale; marked handled now, so a failing pg_dump cannot end the process
      // before the clean-up below runs.
      result.catch(() => undefined);
      return result;
    };
    const inFlight = new Set<Promise<void>>();
    const interval = (options.seconds * 1000) / options.requests;
    for (let i = 0; i < options.requests; i++) {
      const due = saleStart + i * interval;
      if (due > Date.now()) await sleep(due - Date.now());
      if (!backupResult && Date.now() >= backupStartsAt) backupResult = startBackup();
      let p: Promise<void>;
      if (i % 20 === 7) {
        const id = unused(
          await pick(
            `SELECT id FROM bookings WHERE event_id = $1 AND status = 'confirmed' ORDER BY created_at DESC LIMIT 20`,
          ),
        );
        p = id ? submit(`/bookings/${id}/cancel`, undefined) : Promise.resolve();
      } else if (i % 15 === 11) {
        const id = unused(
          await pick(`SELECT id FROM holds WHERE event_id = $1 AND status = 'active' LIMIT 20`),
        );
        p = id ? submit(`/holds/${id}/confirm`, undefined) : Promise.resolve();
      } else {
        p = submit(`/events/${eventId}/${i % 10 === 3 ? 'holds' : 'bookings'}`, { quantity: 1 });
      }
      const tracked: Promise<void> = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= options.clients) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const { seconds: backupSeconds, bytes: backupBytes } = await (backupResult ?? startBackup());
    log(`sale over: ${acceptedAt.size} accepted; backup took ${backupSeconds.toFixed(2)} s`);

    // The primary is lost: no graceful shutdown, Redis gone with its disk.
    await Promise.all(roles.map(kill));
    roles = [];
    await redis.destroy();
    const statusesOf = async (pool: pg.Pool): Promise<Statuses> => {
      const { rows } = await pool.query<{ id: string; status: string; decided_at: Date | null }>(
        'SELECT id, status, decided_at FROM booking_requests',
      );
      return new Map(
        rows.map((r) => [r.id, { status: r.status, decidedAt: r.decided_at?.getTime() ?? null }]),
      );
    };
    const onLostPrimary = await statusesOf(source.pool);

    log('restoring into a new database...');
    const restoreSeconds = await restore(options.databaseUrl, restoredName, dumpFile);
    const restored = new pg.Pool({
      connectionString: databaseUrl(options.databaseUrl, restoredName),
      max: 3,
    });
    pools.push(restored);
    const inBackup = await statusesOf(restored);
    redis = new OwnRedis(await freePort());
    await redis.start();
    log(`restored in ${restoreSeconds.toFixed(2)} s; starting the service on it with an empty Redis`);
    const recoveryStart = Date.now();
    roles = await startService(databaseUrl(options.databaseUrl, restoredName), redis.url);
    const startSeconds = (Date.now() - recoveryStart) / 1000;

    const count = async (sql: string, params: unknown[] = []) =>
      Number((await restored.query<{ n: string }>(sql, params)).rows[0]!.n);
    const deadline = Date.now() + options.recoveryTimeoutSeconds * 1000;
    let recoverySeconds = Number.NaN;
    while (Date.now() < deadline) {
      if ((await count(`SELECT count(*) AS n FROM booking_requests WHERE status = 'queued'`)) === 0) {
        recoverySeconds = (Date.now() - recoveryStart) / 1000;
        break;
      }
      await sleep(200);
    }
    const overdueHoldsSql = `SELECT count(*) AS n FROM holds WHERE status = 'active' AND expires_at < now() - interval '1 second'`;
    while (Date.now() < deadline && (await count(overdueHoldsSql)) > 0) await sleep(200);
    const delivered = () => {
      const ids = receiver
        .at('/drill')
        .filter((a) => a.answered === 204)
        .map((a) => a.webhookId);
      return { ids: new Set(ids), redelivered: ids.length - new Set(ids).size };
    };
    const expected = async () =>
      (
        await restored.query<{ message_id: string }>(
          `SELECT message_id FROM webhook_outbox WHERE user_id = $1 AND type LIKE 'booking.%'`,
          [partner!.id],
        )
      ).rows.map((r) => r.message_id);
    let webhooksMissing = Number.POSITIVE_INFINITY;
    let deliveredSeconds = Number.NaN;
    while (Date.now() < deadline) {
      const got = delivered().ids;
      webhooksMissing = (await expected()).filter((id) => !got.has(id)).length;
      if (webhooksMissing === 0) {
        deliveredSeconds = (Date.now() - recoveryStart) / 1000;
        break;
      }
      await sleep(250);
    }
    const revokedAfter = await call('GET', '/auth/me', leaver!.token);
    log(`recovered in ${recoverySeconds} s; checking`);

    const verdict = judgeRequests({
      acceptedAt,
      backupStartedAt: backupStarted,
      onLostPrimary,
      inBackup,
      afterRecovery: await statusesOf(restored),
    });
    const [counters] = (
      await restored.query<{ oversold: number; drift: number }>(
        `SELECT GREATEST(0, b.n + h.n - e.capacity)::int AS oversold, ((e.booked <> b.n)::int + (e.held <> h.n)::int) AS drift
           FROM events e,
                LATERAL (SELECT COALESCE(SUM(quantity), 0) AS n FROM bookings WHERE event_id = e.id AND status = 'confirmed') b,
                LATERAL (SELECT COALESCE(SUM(quantity), 0) AS n FROM holds WHERE event_id = e.id AND status = 'active') h
          WHERE e.id = $1`,
        [eventId],
      )
    ).rows;
    return {
      accepted: verdict.accepted,
      decided: verdict.decided,
      lost: verdict.lost,
      redecided: verdict.redecided,
      oversold: counters!.oversold,
      counterDrift: counters!.drift,
      overdueHolds: await count(overdueHoldsSql),
      webhooksMissing: Number.isFinite(webhooksMissing) ? webhooksMissing : -1,
      backupSeconds: round(backupSeconds),
      backupBytes,
      restoreSeconds: round(restoreSeconds),
      startSeconds: round(startSeconds),
      recoverySeconds: round(recoverySeconds),
      deliveredSeconds: round(deliveredSeconds),
      acceptedDuringSale: acceptedAt.size,
      acceptedAfterBackup: verdict.acceptedAfterBackup,
      decidedAgainAfterRestore: verdict.decidedAgainAfterRestore,
      outcomeChanged: verdict.outcomeChanged,
      webhooksRedelivered: delivered().redelivered,
      revokedTokenAcceptedAfterRedisLoss: revokedAfter.status === 200,
      wallSeconds: round((Date.now() - started) / 1000),
    };
  } finally {
    // Every step runs even if an earlier one fails: nothing of the drill may outlive it.
    const steps: (() => Promise<unknown> | undefined)[] = [
      () => Promise.all(roles.map(stopRole)),
      () => http?.close(),
      () => Promise.all(pools.map((p) => p.end())),
      () => receiver.stop(),
      () => redis.destroy(),
      () => dropDatabase(options.databaseUrl, sourceName),
      () => dropDatabase(options.databaseUrl, restoredName),
      async () => rmSync(dir, { recursive: true, force: true }),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        log(`clean-up step failed: ${String(err)}`);
      }
    }
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** SIGKILL, as a lost host: no graceful shutdown. */
async function kill(role: Role): Promise<void> {
  const { child } = role;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
