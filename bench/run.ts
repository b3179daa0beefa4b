// `npm run bench`: a flash sale (or a mixed load) against real API and worker processes.
//
// Clients (bench/load.ts) act as the README tells them to: submit a booking request (`202`),
// then `GET` it with `Prefer: wait=10` until decided, then send their next one (`--mode poll`,
// the default). `--mode submit` stops each client at the `202`, as the figures before issue 13
// did: the workers then decide a backlog the clients never wait on (`decidedPerSec`).
// `--clients N` is a closed loop of N clients; `--rate N` is an open loop instead: N booking
// requests a second on a fixed schedule whatever the answers, latencies from each request's
// intended start (`--clients` then only sizes the cancellations of `--scenario mixed`).
// `--backlog` submits everything before the workers start, so it implies `--mode submit`.
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { Redis } from 'ioredis';
import { cpuSeconds, freePort, type Role, sampleMemory, startRole, stopRole } from './cluster.js';
import { type Callbacks, type ClientMode, fire, fireAtRate, type Learned, type Sent } from './load.js';
import { type BenchDatabase, freshDatabase, seedUsers } from './setup.js';
import { percentile, round } from './stats.js';
import { checkOutcomes } from './verify.js';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'flash' },
    events: { type: 'string', default: '1' },
    seats: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '500' },
    workers: { type: 'string', default: '2' },
    json: { type: 'string' },
    mode: { type: 'string', default: 'poll' },
    rate: { type: 'string' },
    // Submit everything first, then start the workers: measures how fast a backlog drains.
    backlog: { type: 'boolean', default: false },
    batch: { type: 'string' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    // The run drops and re-creates this database: runs that may overlap need names of their own.
    database: { type: 'string', default: 'evently_bench_load' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const scenario = args.scenario as 'flash' | 'mixed';
if (scenario !== 'flash' && scenario !== 'mixed') throw new Error('--scenario is flash or mixed');
const eventCount = scenario === 'flash' ? 1 : Number(args.events);
const seats = Number(args.seats);
const requestCount = Number(args.requests);
const clients = Number(args.clients);
const workerCount = Number(args.workers);
// A backlog is submitted before any worker runs: a client waiting for its outcome would wait forever.
const mode: ClientMode = args.backlog ? 'submit' : (args.mode as ClientMode);
if (mode !== 'poll' && mode !== 'submit') throw new Error('--mode is poll or submit');
// The name goes into DROP/CREATE DATABASE as is.
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(args.database!)) throw new Error('--database is a lower-case SQL name');
const targetRate = args.rate ? Number(args.rate) : null;
if (targetRate !== null && !(targetRate > 0)) throw new Error('--rate is a number of requests a second');

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const jwtSecret = randomBytes(32).toString('hex');
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  log(`preparing a fresh database and ${workerCount} worker process(es)...`);
  const db = await freshDatabase(args['database-url']!, args.database!);
  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    REDIS_URL: args['redis-url']!,
    REDIS_PREFIX: prefix,
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    MAX_QUEUE_DEPTH: String(Math.max(requestCount * 2, 1000)),
    ...(args.batch ? { ALLOCATION_BATCH_SIZE: args.batch } : {}),
    // Several workers share this host: no per-worker metrics port.
    WORKER_METRICS_PORT: '0',
    // Hundreds of requests per user: budgets it never reaches, but the limiter still runs (and costs).
    RATE_LIMIT_BOOKINGS_PER_MINUTE: '1000000',
    RATE_LIMIT_PARTNER_BOOKINGS_PER_MINUTE: '1000000',
  };
  // Workers log little per job, so they run at info (their ready line); the API logs a line per
  // request, which is not what this measures, so it runs at warn and is polled for readiness.
  const workers: Role[] = [];
  const roles: Role[] = [];
  const startWorkers = async () => {
    for (let i = 0; i < workerCount; i++) {
      const worker = await startRole(
        `worker${i}`,
        'worker',
        { ...env, LOG_LEVEL: 'info' },
        '"worker started"',
      );
      workers.push(worker);
      roles.push(worker);
    }
  };
  try {
    roles.push(await startRole('api', 'api', env, `http://127.0.0.1:${port}/health/live`));
    if (!args.backlog) await startWorkers();
  } catch (err) {
    await Promise.all(workers.map(stopRole));
    throw err;
  }
  const api = roles[0]!;
  const stopSampling = sampleMemory(roles);
  const redis = new Redis(args['redis-url']!);
  let peakRedisClients = 0;
  const redisSampler = setInterval(async () => {
    const info = await redis.info('clients');
    peakRedisClients = Math.max(peakRedisClients, Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0));
  }, 250);

  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    const [admin] = await seedUsers(db, 1, jwtSecret, 'admin');
    const users = await seedUsers(db, Math.min(clients, 1000), jwtSecret);
    const events = await createEvents(baseUrl, admin!.token, eventCount, seats);
    const plan = planRequests(events, users, requestCount);

    log(
      `${scenario}: ${requestCount} requests from ${clients} clients over ${eventCount} event(s) of ${seats} seats`,
    );
    const cpuBefore = roles.map(cpuSeconds);
    const result = await runLoad(baseUrl, db, plan, events, args.backlog ? startWorkers : async () => {});
    // CPU of the load alone (not start-up, not the read-back), per accepted booking request;
    // `--backlog` workers start during the load, so theirs includes their start-up.
    const cpuMs = roles.map((role, i) => (cpuSeconds(role) - (cpuBefore[i] ?? 0)) * 1000);
    const perRequest = (ms: number) => round(ms / Math.max(1, result.accepted.length), 2);
    let cancellations = { requests: 0, accepted: 0 };
    if (scenario === 'mixed') cancellations = await cancelSome(baseUrl, db, users, result.accepted);

    const outcomes = await checkOutcomes(
      baseUrl,
      db,
      users,
      events.map((e) => e.id),
      result.accepted,
    );
    // Outcomes known to clients exist only when they poll; submit mode reports null for them.
    const learned = mode === 'poll' ? result.outcomeLatencies.length : null;
    const figures = {
      scenario,
      mode,
      requests: requestCount + cancellations.requests,
      accepted: result.accepted.length + cancellations.accepted,
      confirmed: outcomes.confirmed,
      rejected: outcomes.rejected,
      waitlisted: 0,
      errors: result.errors + (cancellations.requests - cancellations.accepted),
      oversold: outcomes.oversold,
      fifoViolations: outcomes.fifoViolations,
      lost: outcomes.lost,
      counterDrift: outcomes.counterDrift,
      submitRps: round(result.accepted.length / result.submitSeconds, 0),
      submitP50Ms: round(percentile(result.latencies, 50)),
      submitP99Ms: round(percentile(result.latencies, 99)),
      decidedPerSec: round(outcomes.decidedPerSec, 0),
      drainPerSec: round(outcomes.drainPerSec, 0),
      decideP50Ms: round(outcomes.decideP50Ms),
      decideP99Ms: round(outcomes.decideP99Ms),
      outcomesPerSec: learned === null ? null : round(learned / Math.max(0.001, result.outcomeSeconds), 0),
      outcomeP50Ms: learned === null ? null : round(percentile(result.outcomeLatencies, 50)),
      outcomeP99Ms: learned === null ? null : round(percentile(result.outcomeLatencies, 99)),
      pollsPerOutcome: learned === null ? null : round(result.polls / Math.max(1, learned), 2),
      targetRate,
      achievedRate: result.achievedRate === null ? null : round(result.achievedRate, 0),
      wallSeconds: round(result.wallSeconds, 2),
      apiCpuMsPerRequest: perRequest(cpuMs[0]!),
      workerCpuMsPerRequest: perRequest(cpuMs.slice(1).reduce((sum, ms) => sum + ms, 0)),
      apiRssMb: round(api.peakRssMb, 0),
      workerRssMb: round(Math.max(...workers.map((w) => w.peakRssMb)), 0),
      redisConnections: peakRedisClients,
    };
    printTable(figures);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(figures, null, 2)}\n`);
    const clean =
      figures.oversold === 0 &&
      figures.lost === 0 &&
      figures.errors === 0 &&
      figures.fifoViolations === 0 &&
      figures.counterDrift === 0;
    process.exitCode = clean ? 0 : 1;
  } finally {
    clearInterval(redisSampler);
    stopSampling();
    await Promise.all(roles.map(stopRole));
    await redis.quit();
    await db.pool.end();
  }
}

interface BenchEvent {
  id: string;
  /** Share of the requests this event receives. */
  weight: number;
}

async function createEvents(
  baseUrl: string,
  token: string,
  count: number,
  capacity: number,
): Promise<BenchEvent[]> {
  const events: BenchEvent[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${baseUrl}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        name: `Bench event ${i}`,
        venue: 'Bench Arena',
        startsAt: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
        capacity,
      }),
    });
    if (res.status !== 201) throw new Error(`creating event: ${res.status} ${await res.text()}`);
    // Mixed: a tenth of the events are hot and draw half of the requests.
    const hot = i < Math.max(1, Math.round(count / 10));
    events.push({ id: ((await res.json()) as { id: string }).id, weight: hot ? 5 : 0.5 });
  }
  return events;
}

function planRequests(events: BenchEvent[], users: { token: string }[], count: number) {
  const total = events.reduce((sum, e) => sum + e.weight, 0);
  const pick = (i: number) => {
    // Deterministic spread by weight: request i goes to the event whose cumulative share covers it.
    let x = ((i * 0.6180339887) % 1) * total;
    for (const event of events) {
      x -= event.weight;
      if (x < 0) return event;
    }
    return events.at(-1)!;
  };
  return Array.from({ length: count }, (_, i) => {
    const event = pick(i);
    return {
      path: `/events/${event.id}/bookings`,
      headers: { authorization: `Bearer ${users[i % users.length]!.token}`, 'idempotency-key': randomUUID() },
      body: { quantity: 1 },
    };
  });
}

async function runLoad(
  baseUrl: string,
  db: BenchDatabase,
  plan: ReturnType<typeof planRequests>,
  events: BenchEvent[],
  afterSubmit: () => Promise<void>,
) {
  const bar = new SingleBar({
    format: ' {bar} {value}/{total} submitted | decided {decided} | outcomes known {learned}',
    hideCursor: true,
  });
  bar.start(plan.length, 0, { decided: 0, learned: 0 });
  const accepted: string[] = [];
  const latencies: number[] = [];
  const outcomeLatencies: number[] = [];
  let errors = 0;
  let polls = 0;
  let lastLearnedAt = 0;
  const started = performance.now();
  const eventIds = events.map((e) => e.id);
  const decidedCount = async () =>
    Number(
      (
        await db.pool.query(
          `SELECT count(*) AS n FROM booking_requests WHERE event_id = ANY($1::uuid[]) AND status <> 'queued'`,
          [eventIds],
        )
      ).rows[0].n,
    );
  let done = 0;
  const progress = setInterval(
    async () => bar.update(done, { decided: await decidedCount(), learned: outcomeLatencies.length }),
    500,
  );
  const callbacks: Callbacks = {
    onSubmitted(sent: Sent) {
      done += 1;
      latencies.push(sent.latencyMs);
      if (sent.status === 202) accepted.push((sent.body as { id: string }).id);
      else errors += 1;
    },
    onLearned(learned: Learned) {
      polls += learned.polls;
      if (learned.status === null) {
        errors += 1;
        if (errors <= 5) log(`a poll failed: ${learned.error}`);
        return;
      }
      outcomeLatencies.push(learned.latencyMs);
      lastLearnedAt = performance.now();
    },
  };
  const achievedRate =
    targetRate === null ? null : (await fireAtRate(baseUrl, targetRate, plan, mode, callbacks)).achievedRate;
  if (targetRate === null) await fire(baseUrl, clients, plan, mode, callbacks);
  const submitSeconds = (performance.now() - started) / 1000;
  await afterSubmit();
  // Wait for every accepted request to be decided (bounded, so a bug cannot hang the run).
  const deadline = Date.now() + 300_000;
  let decided = await decidedCount();
  while (decided < accepted.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    decided = await decidedCount();
  }
  clearInterval(progress);
  bar.update(done, { decided, learned: outcomeLatencies.length });
  bar.stop();
  latencies.sort((a, b) => a - b);
  outcomeLatencies.sort((a, b) => a - b);
  return {
    accepted,
    latencies,
    outcomeLatencies,
    polls,
    errors,
    achievedRate,
    submitSeconds,
    outcomeSeconds: (lastLearnedAt - started) / 1000,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** Mixed scenario: cancel a tenth of the confirmed bookings through the API, then wait for them. */
async function cancelSome(
  baseUrl: string,
  db: BenchDatabase,
  users: { id: string; token: string }[],
  accepted: string[],
) {
  const { rows } = await db.pool.query(
    `SELECT b.id, b.user_id FROM bookings b WHERE b.request_id = ANY($1::uuid[]) AND b.status = 'confirmed'`,
    [accepted],
  );
  const chosen = rows.filter((_, i) => i % 10 === 0);
  const tokens = new Map(users.map((u) => [u.id, u.token]));
  const plan = chosen.map((b: { id: string; user_id: string }) => ({
    path: `/bookings/${b.id}/cancel`,
    headers: { authorization: `Bearer ${tokens.get(b.user_id)!}`, 'idempotency-key': randomUUID() },
    body: {},
  }));
  log(`cancelling ${plan.length} bookings...`);
  const ids: string[] = [];
  await fire(baseUrl, Math.min(clients, 100), plan, mode, {
    onSubmitted(sent) {
      if (sent.status === 202) ids.push((sent.body as { id: string }).id);
    },
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows: left } = await db.pool.query(
      `SELECT count(*) AS n FROM booking_requests WHERE id = ANY($1::uuid[]) AND status = 'queued'`,
      [ids],
    );
    if (Number(left[0].n) === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { requests: plan.length, accepted: ids.length };
}

function printTable(figures: Record<string, string | number | null>) {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  process.stdout.write(`\n${'figure'.padEnd(width)}  value\n${'-'.repeat(width)}  -----\n`);
  for (const [key, value] of Object.entries(figures))
    process.stdout.write(`${key.padEnd(width)}  ${value ?? '-'}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
