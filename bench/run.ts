// `npm run bench`: a flash sale (or a mixed load) against real API and worker processes.
//
// Clients (bench/load.ts) act as the README tells them to: submit a booking request (`202`),
// then `GET` it with `Prefer: wait=10` until decided, then send their next one (`--mode poll`,
// the default). `--mode wait` sends `Prefer: wait=10` with the submission itself (one round trip
// when decided within it; its submit latency is then the outcome's). `--mode submit` stops each
// client at the `202`, as the figures before issue 13 did: the workers then decide a backlog the
// clients never wait on (`decidedPerSec`).
// `--clients N` is a closed loop of N clients; `--rate N` is an open loop instead: N booking
// requests a second on a fixed schedule whatever the answers, latencies from each request's
// intended start (`--clients` then only sizes the cancellations of `--scenario mixed`).
// `--backlog` submits everything before the workers start, so it implies `--mode submit`.
// `--topology split` (the default) starts one API process and `--workers` worker processes;
// `--topology all-in-one` starts the service as `npm start` does (bin/start.ts, the supervisor,
// with `--api-processes` API processes and one worker), to compare the two shapes on one machine.
// `--redis-cluster N` runs the service on a Redis Cluster of N masters of the run's own.
// `--tracing` turns OpenTelemetry tracing on in every process, exported over OTLP/HTTP to a local
// sink of the run's own (bench/otlp-sink.ts), which counts what arrives once the roles stopped.
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { Redis } from 'ioredis';
import { eventQueueName } from '../shared/queues.js';
import {
  cpuSeconds,
  freePort,
  type Role,
  type ServiceProcess,
  sampleMemory,
  startRole,
  stopRole,
  supervisedChildren,
} from './cluster.js';
import { type Callbacks, type ClientMode, fire, fireAtRate, type Learned, type Sent } from './load.js';
import { OtlpSink } from './otlp-sink.js';
import { OwnRedisCluster } from './redis-cluster.js';
import { type BenchDatabase, deleteKeys, freshDatabase, seedUsers } from './setup.js';
import { percentile, round } from './stats.js';
import { checkOutcomes } from './verify.js';
import { WebhookLag } from './webhook-lag.js';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'flash' },
    events: { type: 'string', default: '1' },
    seats: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '500' },
    // split: one API process and --workers worker processes, each started by the bench.
    // all-in-one: `npm start`'s supervisor (bin/start.ts), --api-processes API processes and one worker.
    topology: { type: 'string', default: 'split' },
    workers: { type: 'string' },
    'api-processes': { type: 'string' },
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
    // N masters of a Redis Cluster of the run's own (bench/redis-cluster.ts) instead of --redis-url.
    'redis-cluster': { type: 'string' },
    // One subscribed webhook endpoint (a local receiver): reports webhookLagP99Ms and deliveries/s.
    'webhook-endpoint': { type: 'boolean', default: false },
    // Tracing on, every span exported to a local OTLP/HTTP sink: what tracing costs.
    tracing: { type: 'boolean', default: false },
  },
});
const scenario = args.scenario as 'flash' | 'mixed';
if (scenario !== 'flash' && scenario !== 'mixed') throw new Error('--scenario is flash or mixed');
const eventCount = scenario === 'flash' ? 1 : Number(args.events);
const seats = Number(args.seats);
const requestCount = Number(args.requests);
const clients = Number(args.clients);
const topology = args.topology as 'split' | 'all-in-one';
if (topology !== 'split' && topology !== 'all-in-one') throw new Error('--topology is split or all-in-one');
// The supervisor always runs exactly one worker process, and starts it with everything else.
if (topology === 'all-in-one' && args.workers !== undefined && args.workers !== '1')
  throw new Error('--topology all-in-one runs one worker process: --workers does not apply');
if (topology === 'all-in-one' && args.backlog)
  throw new Error('--backlog starts the workers after the load: --topology split only');
if (topology === 'split' && args['api-processes'] !== undefined)
  throw new Error('--api-processes applies to --topology all-in-one');
const workerCount = topology === 'all-in-one' ? 1 : Number(args.workers ?? 2);
// As API_PROCESSES defaults (shared/config.ts): one per core.
const apiProcesses = topology === 'all-in-one' ? Number(args['api-processes'] ?? availableParallelism()) : 1;
if (!(Number.isInteger(apiProcesses) && apiProcesses >= 1)) throw new Error('--api-processes is a count');
const clusterMasters = args['redis-cluster'] === undefined ? null : Number(args['redis-cluster']);
// redis-cli --cluster create refuses fewer than three masters.
if (clusterMasters !== null && !(Number.isInteger(clusterMasters) && clusterMasters >= 3))
  throw new Error('--redis-cluster is a number of masters, at least 3');
// A backlog is submitted before any worker runs: a client waiting for its outcome would wait forever.
const mode: ClientMode = args.backlog ? 'submit' : (args.mode as ClientMode);
if (mode !== 'poll' && mode !== 'wait' && mode !== 'submit')
  throw new Error('--mode is poll, wait or submit');
// The name goes into DROP/CREATE DATABASE as is.
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(args.database!)) throw new Error('--database is a lower-case SQL name');
const targetRate = args.rate ? Number(args.rate) : null;
if (targetRate !== null && !(targetRate > 0)) throw new Error('--rate is a number of requests a second');

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const cluster = clusterMasters === null ? null : new OwnRedisCluster(clusterMasters);
  if (cluster) {
    const missing = OwnRedisCluster.missing();
    if (missing) throw new Error(`--redis-cluster: ${missing}`);
  }
  try {
    if (cluster) {
      log(`starting a Redis Cluster of ${clusterMasters} masters...`);
      await cluster.start();
    }
    await bench(cluster);
  } finally {
    // Also after a failure: the nodes and their directory are the run's own.
    await cluster?.stop();
  }
}

async function bench(cluster: OwnRedisCluster | null) {
  const jwtSecret = randomBytes(32).toString('hex');
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  log(
    topology === 'split'
      ? `preparing a fresh database, an API process and ${workerCount} worker process(es)...`
      : `preparing a fresh database and a supervisor with ${apiProcesses} API process(es) and a worker...`,
  );
  const db = await freshDatabase(args['database-url']!, args.database!);
  const port = await freePort();
  const webhooks = args['webhook-endpoint'] ? await new WebhookLag().start() : null;
  const sink = args.tracing ? await new OtlpSink().start() : null;
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    // On a cluster REDIS_URL is not read (shared/config.ts), so none is passed.
    ...(cluster ? { REDIS_CLUSTER_NODES: cluster.nodeList } : { REDIS_URL: args['redis-url']! }),
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
    ...(topology === 'all-in-one' ? { API_PROCESSES: String(apiProcesses) } : {}),
    ...(webhooks?.env() ?? {}),
    ...(sink?.env() ?? {}),
  };
  const redis = new RedisNodes(
    cluster ? cluster.ports.map((p) => new Redis(p, '127.0.0.1')) : [new Redis(args['redis-url']!)],
  );
  const healthUrl = `http://127.0.0.1:${port}/health/live`;
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
  let supervisor: Role | undefined;
  try {
    if (topology === 'split') {
      roles.push(await startRole('api', 'api', env, healthUrl));
      if (!args.backlog) await startWorkers();
    } else {
      // One LOG_LEVEL reaches every child, and at info each API process would log every request,
      // so the children are not watched for their ready lines: the health URL answers once one
      // API process listens, and the others and the worker are up once they have subscribed to
      // their channels (each does so before it tells the supervisor it is ready).
      supervisor = await startRole('supervisor', 'start', env, healthUrl);
      roles.push(supervisor);
      await redis.waitForSubscribers(`${prefix}:request-decided`, apiProcesses);
      await redis.waitForSubscribers(`${prefix}:event-activated`, 1);
      const children = supervisedChildren(supervisor.child.pid!);
      if (children.length !== apiProcesses + 1)
        throw new Error(`the supervisor runs ${children.length} children, not ${apiProcesses + 1}`);
    }
  } catch (err) {
    await Promise.all(roles.map(stopRole));
    await redis.quit();
    await db.pool.end();
    throw err;
  }
  // The processes whose CPU and memory are the service's. Under the supervisor, its children by
  // role from /proc, read afresh each time: a child that crashed is replaced by a new pid.
  const processes = (): ServiceProcess[] =>
    supervisor
      ? [{ pid: supervisor.child.pid!, role: 'supervisor' }, ...supervisedChildren(supervisor.child.pid!)]
      : roles.map((role) => ({ pid: role.child.pid!, role: role.name === 'api' ? 'api' : 'worker' }));
  const memory = sampleMemory(processes);
  let peakRedisClients = 0;
  const redisSampler = setInterval(async () => {
    try {
      peakRedisClients = Math.max(peakRedisClients, await redis.serviceClients());
    } catch (err) {
      log(`reading Redis's connected clients failed: ${err}`);
    }
  }, 250);

  let stopped = false;
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    const [admin] = await seedUsers(db, 1, jwtSecret, 'admin');
    await webhooks?.subscribe(db, admin!.id);
    const users = await seedUsers(db, Math.min(clients, 1000), jwtSecret);
    const events = await createEvents(baseUrl, admin!.token, eventCount, seats);
    const plan = planRequests(events, users, requestCount);

    log(
      `${scenario}: ${requestCount} requests from ${clients} clients over ${eventCount} event(s) of ${seats} seats`,
    );
    const cpuBefore = cpuByProcess(processes());
    const result = await runLoad(baseUrl, db, plan, events, args.backlog ? startWorkers : async () => {});
    const cpu = cpuDuringLoad(cpuBefore, processes());
    const perRequest = (ms: number | null) =>
      ms === null ? null : round(ms / Math.max(1, result.accepted.length), 2);
    // Where the event queues' keys are once every request is decided (BullMQ keeps a queue's
    // `meta` and `id` keys, and recent completed jobs, after its last job).
    let shards: number | null = null;
    if (cluster) {
      const keys = await redis.keysPerNode(`${prefix}:event-{*`);
      shards = keys.filter((n) => n > 0).length;
      const expected = await expectedShards(redis, prefix, events);
      log(
        `event queue keys per master: ${keys.join(', ')}; the slot map puts the events on ${expected} master(s)`,
      );
    }
    let cancellations = { requests: 0, accepted: 0 };
    if (scenario === 'mixed') cancellations = await cancelSome(baseUrl, db, users, result.accepted);

    const outcomes = await checkOutcomes(
      baseUrl,
      db,
      users,
      events.map((e) => e.id),
      result.accepted,
    );
    const webhookFigures = webhooks ? await webhooks.measure(db) : null;
    // Outcomes known to clients exist only when they poll; submit mode reports null for them.
    const learned = mode === 'submit' ? null : result.outcomeLatencies.length;
    const peakRss = (role: ServiceProcess['role']) => {
      const peaks = [...memory.peaks.byPid]
        .filter(([pid]) => cpu.roles.get(pid) === role)
        .map(([, mb]) => mb);
      return peaks.length === 0 ? null : round(Math.max(...peaks), 0);
    };
    const figures = {
      scenario,
      mode,
      topology,
      apiProcesses,
      workerProcesses: workerCount,
      redisClusterMasters: clusterMasters,
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
      apiCpuMsPerRequest: perRequest(cpu.apiMs),
      workerCpuMsPerRequest: perRequest(cpu.workerMs),
      serviceCpuMsPerRequest: perRequest(cpu.serviceMs),
      // Per process (the largest of a role), as the heap settings bound each process.
      apiRssMb: peakRss('api'),
      workerRssMb: peakRss('worker'),
      // Every process of the service at once (all-in-one: the supervisor and its children).
      serviceRssMb: round(memory.peaks.totalMb, 0),
      redisConnections: peakRedisClients,
      redisShardsUsed: shards,
      ...(webhookFigures ?? {}),
    };
    printTable(figures);
    clearInterval(redisSampler);
    memory.stop();
    stopped = true;
    // The supervisor exits 0 only if every child drained and exited 0 (bin/supervisor.ts).
    const exits = await Promise.all(roles.map(stopRole));
    const unclean = roles.flatMap((role, i) => (exits[i] === 0 ? [] : [`${role.name} exited ${exits[i]}`]));
    if (unclean.length > 0) log(`stopping the service: ${unclean.join(', ')}`);
    // Every role flushed its spans as it stopped: only now are they all in the sink.
    const tracing = sink ? sink.figures() : null;
    if (tracing) log(`tracing: ${JSON.stringify(tracing)}`);
    if (args.json)
      writeFileSync(
        args.json,
        `${JSON.stringify({ ...figures, tracing: sink !== null, ...tracing }, null, 2)}\n`,
      );
    const clean =
      figures.oversold === 0 &&
      figures.lost === 0 &&
      figures.errors === 0 &&
      figures.fifoViolations === 0 &&
      figures.counterDrift === 0 &&
      (webhookFigures?.webhookMissing ?? 0) === 0 &&
      (!supervisor || unclean.length === 0);
    process.exitCode = clean ? 0 : 1;
  } finally {
    clearInterval(redisSampler);
    memory.stop();
    if (!stopped) await Promise.all(roles.map(stopRole));
    await redis.quit();
    await db.pool.end();
    await webhooks?.stop();
    await sink?.stop();
    if (!cluster) await deleteKeys(args['redis-url']!, prefix);
  }
}

/** Each process's CPU seconds so far, and its role. */
function cpuByProcess(
  processes: ServiceProcess[],
): Map<number, { role: ServiceProcess['role']; seconds: number }> {
  return new Map(processes.map((p) => [p.pid, { role: p.role, seconds: cpuSeconds(p.pid) }]));
}

/**
 * CPU of the load alone (not start-up, not the read-back), ms, by role and in total; `--backlog`
 * workers start during the load, so theirs includes their start-up.
 *
 * Under the supervisor each child's CPU is read from its own /proc entry, found by its command
 * line (bin/start.ts <role>), so the role figures mean what they mean in a split run. The
 * supervisor's own CPU (handing each new connection to an API process, merging metrics) belongs
 * to no role: it is in `serviceMs` only. A child that exited during the load took its CPU with
 * it (the kernel adds it to the supervisor's children's time, not readable per role), so if the
 * children changed (a crash and a restart) the role figures are null and the total is what
 * /proc still shows.
 */
function cpuDuringLoad(
  before: ReturnType<typeof cpuByProcess>,
  after: ServiceProcess[],
): {
  apiMs: number | null;
  workerMs: number | null;
  serviceMs: number;
  roles: Map<number, ServiceProcess['role']>;
} {
  const now = cpuByProcess(after);
  const sameProcesses = before.size === now.size && [...before.keys()].every((pid) => now.has(pid));
  let apiMs = 0;
  let workerMs = 0;
  let serviceMs = 0;
  for (const [pid, { role, seconds }] of now) {
    // A process started during the load (a `--backlog` worker, a restarted child) counts from 0.
    const ms = (seconds - (before.get(pid)?.seconds ?? 0)) * 1000;
    serviceMs += ms;
    if (role === 'api') apiMs += ms;
    if (role === 'worker') workerMs += ms;
  }
  const roles = new Map([...before, ...now].map(([pid, { role }]) => [pid, role]));
  // `--backlog` adds worker processes on purpose; only under the supervisor is a new pid a restart.
  const restarted = after.some((p) => p.role === 'supervisor') && !sameProcesses;
  if (restarted) log('the supervisor restarted a child during the load: no CPU figures by role');
  return { apiMs: restarted ? null : apiMs, workerMs: restarted ? null : workerMs, serviceMs, roles };
}

/**
 * Plain connections to each Redis node the service uses (the one of --redis-url, or every master
 * of the run's cluster), one per node, for what the bench reads about Redis itself.
 */
class RedisNodes {
  constructor(private readonly nodes: Redis[]) {}

  /**
   * Clients connected to all nodes together, less the bench's own connections (one per node):
   * the service's. On the machine's Redis, anything else connected to it at the time counts too.
   */
  async serviceClients(): Promise<number> {
    const counts = await Promise.all(
      this.nodes.map(async (node) =>
        Number(/connected_clients:(\d+)/.exec(await node.info('clients'))?.[1] ?? 0),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0) - this.nodes.length;
  }

  /**
   * Waits until `count` connections subscribe to `channel`. A node counts only the subscribers
   * connected to it (cluster pub/sub is broadcast, subscriptions are per node), hence the sum.
   */
  async waitForSubscribers(channel: string, count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await Promise.all(
        this.nodes.map(async (node) =>
          Number(((await node.pubsub('NUMSUB', channel)) as [string, number])[1]),
        ),
      );
      const subscribed = counts.reduce((sum, n) => sum + n, 0);
      if (subscribed >= count) return;
      if (Date.now() > deadline)
        throw new Error(`${subscribed} of ${count} processes subscribed to ${channel}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** How many keys matching `pattern` each node holds (a SCAN of each node alone). */
  async keysPerNode(pattern: string): Promise<number[]> {
    return Promise.all(
      this.nodes.map(async (node) => {
        let keys = 0;
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          keys += found.length;
          cursor = next;
        } while (cursor !== '0');
        return keys;
      }),
    );
  }

  /** The port of the master serving each of `keys` (CLUSTER KEYSLOT, then the slot map). */
  async mastersOf(keys: string[]): Promise<number[]> {
    const node = this.nodes[0]!;
    const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    return Promise.all(
      keys.map(async (key) => {
        const slot = Number(await node.call('CLUSTER', 'KEYSLOT', key));
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!owner) throw new Error(`no master serves slot ${slot}`);
        return owner[2][1];
      }),
    );
  }

  async quit(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.quit()));
  }
}

/** How many masters the slot map assigns the events' queues to: what `redisShardsUsed` should say. */
async function expectedShards(redis: RedisNodes, prefix: string, events: BenchEvent[]): Promise<number> {
  // BullMQ's keys of a queue are `<prefix>:<queue name>:<suffix>`; the hash tag in the name decides.
  const masters = await redis.mastersOf(events.map((e) => `${prefix}:${eventQueueName(e.id)}:meta`));
  return new Set(masters).size;
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
      // 202: queued; 200: decided within the submission's own `Prefer: wait` (`--mode wait`).
      if (sent.status === 202 || sent.status === 200) accepted.push((sent.body as { id: string }).id);
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
      if (sent.status === 202 || sent.status === 200) ids.push((sent.body as { id: string }).id);
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
