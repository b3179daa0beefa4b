import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { migrate } from '../shared/db/migrator.js';
import { createSequelize } from '../shared/db/sequelize.js';
import { WebhookReceiver } from '../test/support/webhook-receiver.js';
import { freePort, type Role, startRole, stopRole } from './cluster.js';
import { OwnPostgres, OwnRedis } from './services.js';
import { apiCaller, seedUsers } from './setup.js';

export interface ChaosOptions {
  seconds: number;
  requests: number;
  seats: number;
  clients: number;
  workers: number;
  killEveryMs: number;
  redisRestarts: number;
  pgRestarts: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  kills: number;
  redisRestarts: number;
  pgRestarts: number;
  accepted: number;
  /** Submissions a client gave up on after retrying for a minute (the API never accepted them). */
  gaveUp: number;
  decided: number;
  lost: number;
  duplicated: number;
  oversold: number;
  webhooksMissing: number;
  counterDrift: number;
  /**
   * Per fault, how long after it the event's next decision came. `idle`: no request was waiting
   * at that moment, so there was nothing to recover (`recoveredAfterMs` null).
   */
  recoveries: { fault: string; atSecond: number; idle: boolean; recoveredAfterMs: number | null }[];
  wallSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A flash sale with cancellations while worker processes are SIGKILLed and restarted, Redis
 * crashes and restarts, and PostgreSQL crashes and restarts. Clients retry failed calls with the
 * same Idempotency-Key, as the API asks them to. Afterwards, every accepted request must have
 * an outcome, no seat be sold twice, no counter drift, and every outcome reach the partner's
 * webhook receiver.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const redis = new OwnRedis(await freePort());
  const postgres =
    options.pgRestarts > 0 || OwnPostgres.available() ? new OwnPostgres(await freePort()) : null;
  if (!postgres) throw new Error('the chaos harness needs PostgreSQL server binaries (initdb, pg_ctl)');
  const receiver = await new WebhookReceiver().start();
  const roles: Role[] = [];
  const workers: (Role | undefined)[] = [];
  let db: pg.Pool | undefined;
  try {
    await redis.start();
    await postgres.start();
    const sequelize = createSequelize({ databaseUrl: postgres.url, dbPoolMax: 2 });
    await migrate(sequelize);
    await sequelize.close();
    db = new pg.Pool({ connectionString: postgres.url, max: 3 });
    db.on('error', () => undefined); // idle clients die with the PostgreSQL restart; queries retry below

    const port = await freePort();
    const jwtSecret = randomBytes(32).toString('hex');
    const env = {
      // development: the receiver is plain http on loopback, which production refuses.
      NODE_ENV: 'development',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'chaos',
      JWT_SECRET: jwtSecret,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // Only the receiver's port: the guard still refuses Redis, PostgreSQL and the API.
      WEBHOOK_ALLOW_PRIVATE: new URL(receiver.baseUrl).host,
      WEBHOOK_RETRY_SCHEDULE: '0.5,1,2,2,2,2,2,2,2,2,2,2',
      WEBHOOK_CIRCUIT_COOLDOWN_MS: '2000',
      RECONCILE_INTERVAL_MS: '1000',
      RECONCILE_GRACE_MS: '3000',
      JOB_LOCK_MS: '3000',
      RATE_LIMITS_ENABLED: 'false',
      WORKER_METRICS_PORT: '0',
    };
    const startWorker = (i: number) => startRole(`worker${i}`, 'worker', env, '"worker started"');
    for (let i = 0; i < options.workers; i++) workers.push(await startWorker(i));
    const api = await startRole(
      'api',
      'api',
      { ...env, LOG_LEVEL: 'warn' },
      `http://127.0.0.1:${port}/health/live`,
    );
    roles.push(api);
    const base = `http://127.0.0.1:${port}`;

    const [admin] = await seedUsers({ url: postgres.url, pool: db }, 1, jwtSecret, 'admin');
    const [partner] = await seedUsers({ url: postgres.url, pool: db }, 1, jwtSecret, 'partner');
    const http = new Pool(base, { connections: options.clients });
    const call = apiCaller(http);
    const event = await call('POST', '/events', admin!.token, {
      name: 'Chaos Night',
      venue: 'Chaos Hall',
      startsAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
      capacity: options.seats,
    });
    if (event.status !== 201) throw new Error(`create event: ${event.status}`);
    const eventId = event.body!.id as string;
    const endpoint = await call('POST', '/webhook-endpoints', partner!.token, {
      url: `${receiver.baseUrl}/chaos`,
      eventTypes: ['booking.confirmed', 'booking.rejected', 'booking.cancelled'],
    });
    if (endpoint.status !== 201) throw new Error(`register endpoint: ${endpoint.status}`);

    /** Sends until accepted (202/200) or refused for good (4xx other than 429); retries keep the key. */
    const accepted = new Map<string, string>(); // idempotency key -> request id
    const duplicatesSeen: string[] = [];
    let gaveUp = 0;
    const submit = async (path: string, body: unknown) => {
      const key = randomUUID();
      const giveUpAt = Date.now() + 60_000; // a client does not retry forever; counted, not hidden
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > giveUpAt) {
          gaveUp += 1;
          return;
        }
        const res = await call('POST', path, partner!.token, body, key).catch(() => ({
          status: 0,
          body: null,
        }));
        if (res.status === 202 || res.status === 200) {
          const id = res.body!.id as string;
          const earlier = accepted.get(key);
          if (earlier && earlier !== id) duplicatesSeen.push(key);
          accepted.set(key, id);
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 429) return;
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    };

    // Faults, on a schedule spread over the run.
    const started = Date.now();
    const faults: { fault: string; at: number }[] = [];
    let kills = 0;
    let redisRestarts = 0;
    let pgRestarts = 0;
    const faulting = (async () => {
      const redisAt = new Set(
        Array.from({ length: options.redisRestarts }, (_, i) =>
          Math.round(((i + 1) * options.seconds) / (options.redisRestarts + 2)),
        ),
      );
      const pgAt = new Set(
        Array.from({ length: options.pgRestarts }, (_, i) =>
          Math.round(((i + 1.5) * options.seconds) / (options.pgRestarts + 2)),
        ),
      );
      let nextKill = started + options.killEveryMs;
      for (let second = 0; Date.now() - started < options.seconds * 1000; second++) {
        const tickEnd = started + (second + 1) * 1000;
        if (redisAt.has(second)) {
          log(`t=${second}s: crashing Redis`);
          faults.push({ fault: 'redis restart', at: Date.now() });
          await redis.crashAndRestart();
          redisRestarts += 1;
        }
        if (pgAt.has(second)) {
          log(`t=${second}s: crashing PostgreSQL`);
          faults.push({ fault: 'postgres restart', at: Date.now() });
          await postgres.crashAndRestart();
          pgRestarts += 1;
        }
        if (options.killEveryMs > 0 && Date.now() >= nextKill) {
          const i = kills % workers.length;
          const victim = workers[i]!;
          faults.push({ fault: `kill ${victim.name}`, at: Date.now() });
          victim.child.kill('SIGKILL');
          await new Promise((resolve) =>
            victim.child.exitCode !== null ? resolve(null) : victim.child.on('exit', resolve),
          );
          kills += 1;
          workers[i] = await startWorker(i);
          // From the restart, not the schedule: on a slow machine a start-up can take longer than
          // the interval, and a schedule that fell behind would kill without end.
          nextKill = Date.now() + options.killEveryMs;
        }
        await sleep(Math.max(0, tickEnd - Date.now()));
      }
    })();

    // Load: bookings paced over the run, and cancellations of a tenth of what gets confirmed.
    const cancelled = new Set<string>();
    const loading = (async () => {
      const interval = (options.seconds * 1000 * 0.8) / options.requests;
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; i < options.requests; i++) {
        const due = started + i * interval;
        if (due > Date.now()) await sleep(due - Date.now());
        const p = submit(`/events/${eventId}/bookings`, { quantity: 1 }).finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= options.clients) await Promise.race(inFlight);
        if (i % 20 === 19) {
          const { rows } = await db!
            .query<{ id: string }>(
              `SELECT id FROM bookings WHERE event_id = $1 AND status = 'confirmed' ORDER BY created_at DESC LIMIT 5`,
              [eventId],
            )
            .catch(() => ({ rows: [] as { id: string }[] }));
          const pick = rows.find((r) => !cancelled.has(r.id));
          if (pick) {
            cancelled.add(pick.id);
            const c = submit(`/bookings/${pick.id}/cancel`, undefined).finally(() => inFlight.delete(c));
            inFlight.add(c);
          }
        }
      }
      await Promise.all(inFlight);
    })();
    await Promise.all([faulting, loading]);
    log(`load done: ${accepted.size} accepted, ${gaveUp} given up; waiting for recovery...`);

    const ids = [...accepted.values()];
    const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) => {
      for (;;) {
        try {
          return (await db!.query<T>(sql, params)).rows;
        } catch {
          await sleep(200); // PostgreSQL may still be starting
        }
      }
    };
    const deadline = Date.now() + 120_000;
    let queued = Number.POSITIVE_INFINITY;
    while (queued > 0 && Date.now() < deadline) {
      const [row] = await query<{ n: string }>(
        `SELECT count(*) AS n FROM booking_requests WHERE id = ANY($1::uuid[]) AND status = 'queued'`,
        [ids],
      );
      queued = Number(row!.n);
      if (queued > 0) await sleep(250);
    }
    // Webhooks: every outcome for the partner must arrive with a 2xx at least once.
    const expectedMessages = async () =>
      (
        await query<{ message_id: string }>(
          `SELECT message_id FROM webhook_outbox WHERE user_id = $1 AND type LIKE 'booking.%'`,
          [partner!.id],
        )
      ).map((r) => r.message_id);
    const delivered = () =>
      new Set(
        receiver
          .at('/chaos')
          .filter((a) => a.answered === 204)
          .map((a) => a.webhookId),
      );
    let missing = Number.POSITIVE_INFINITY;
    while (missing > 0 && Date.now() < deadline + 60_000) {
      const got = delivered();
      missing = (await expectedMessages()).filter((id) => !got.has(id)).length;
      if (missing > 0) await sleep(500);
    }

    const [decided] = await query<{ n: string }>(
      `SELECT count(*) AS n FROM booking_requests WHERE id = ANY($1::uuid[]) AND status <> 'queued'`,
      [ids],
    );
    const [dupes] = await query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT request_id FROM bookings GROUP BY request_id HAVING count(*) > 1) d`,
      [],
    );
    const [counters] = await query<{ oversold: number; drift: number }>(
      `SELECT GREATEST(0, COALESCE(SUM(b.quantity) FILTER (WHERE b.status = 'confirmed'), 0) - e.capacity)::int AS oversold,
              (e.booked <> COALESCE(SUM(b.quantity) FILTER (WHERE b.status = 'confirmed'), 0))::int AS drift
         FROM events e LEFT JOIN bookings b ON b.event_id = e.id WHERE e.id = $1 GROUP BY e.id`,
      [eventId],
    );
    const recoveries = [];
    for (const f of faults) {
      // A fault with nothing queued at that moment (the load over, say) has nothing to recover.
      const [next] = await query<{ at: Date | null; waiting: boolean }>(
        `SELECT min(decided_at) AS at,
                bool_or(queued_at <= $2) AS waiting
           FROM booking_requests WHERE event_id = $1 AND decided_at > $2`,
        [eventId, new Date(f.at)],
      );
      recoveries.push({
        fault: f.fault,
        atSecond: Math.round((f.at - started) / 100) / 10,
        idle: !next?.waiting,
        recoveredAfterMs: next?.at && next.waiting ? new Date(next.at).getTime() - f.at : null,
      });
    }
    await http.close();
    return {
      kills,
      redisRestarts,
      pgRestarts,
      accepted: ids.length,
      gaveUp,
      decided: Number(decided!.n),
      lost: ids.length - Number(decided!.n),
      duplicated: Number(dupes!.n) + duplicatesSeen.length,
      oversold: counters!.oversold,
      webhooksMissing: Number.isFinite(missing) ? missing : -1,
      counterDrift: counters!.drift,
      recoveries,
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    // Every step runs even if an earlier one fails: no process of the harness may outlive it.
    const steps: (() => Promise<unknown> | undefined)[] = [
      () => Promise.all([...roles, ...workers.filter((w): w is Role => !!w)].map(stopRole)),
      () => db?.end(),
      () => receiver.stop(),
      () => redis.destroy(),
      () => postgres.destroy(),
    ];
    // In order (the workers stop before their databases), each guarded.
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        log(`clean-up step failed: ${String(err)}`);
      }
    }
  }
}
