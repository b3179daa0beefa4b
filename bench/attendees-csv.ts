// `npm run bench:attendees -- --bookings 100000`: seeds one event with that many bookings (SQL,
// generate_series), starts a real API process (`bin/api.ts`), exports the event's attendee CSV
// over HTTP while polling GET /health/live and GET /events beside it, and reports rows/s, the
// API process's RSS before, at its peak and after, and the side requests' latencies. Also times
// a few list pages and searches (the JSON endpoint) on the same data.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Sequelize } from 'sequelize';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrate } from '../shared/db/migrator.js';
import { createLogger } from '../shared/logger.js';
import { seedAttendees } from '../test/support/attendees.js';
import { percentile, round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    bookings: { type: 'string', default: '100000' },
    port: { type: 'string', default: '3917' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/evently_bench_attendees' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const count = Number(args.bookings);
const port = Number(args.port);
const base = `http://127.0.0.1:${port}`;
const databaseUrl = args['database-url']!;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => process.stderr.write(`${line}\n`);
const ADMIN = {
  email: `bench-admin-${randomBytes(4).toString('hex')}@example.test`,
  password: 'bench-password-1234',
};

/** Resident set of a process, in MB, from /proc (Linux). */
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

function startApi(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bin/api.ts')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      DATABASE_URL: databaseUrl,
      REDIS_URL: args['redis-url'],
      REDIS_PREFIX: `bench-attendees-${process.pid}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMITS_ENABLED: 'false',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the API exited with ${code}`)));
    const poll = () =>
      fetch(`${base}/health/live`)
        .then((r) => (r.ok ? resolve(child) : setTimeout(poll, 200)))
        .catch(() => setTimeout(poll, 200));
    poll();
  });
}

/** GETs `path`, reading the body as it comes and counting its lines, without keeping it. */
function download(
  pathname: string,
  token: string,
): Promise<{ bytes: number; lines: number; status: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${pathname}`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let bytes = 0;
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (const byte of chunk) if (byte === 10) lines++;
        });
        res.on('end', () => resolve({ bytes, lines, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function timedGet(pathname: string, token?: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${base}${pathname}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${pathname}: ${res.status}`);
  return performance.now() - started;
}

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `n=${sorted.length} p50=${round(percentile(sorted, 50))} ms p99=${round(percentile(sorted, 99))} ms max=${round(sorted.at(-1) ?? 0)} ms`;
};

async function main(): Promise<void> {
  const logger = createLogger('warn', 'bench');
  await ensureDatabase(databaseUrl);
  const sequelize = new Sequelize(databaseUrl, { logging: false });
  await migrate(sequelize, logger);
  const tag = `bench${randomBytes(4).toString('hex')}`;
  let started = performance.now();
  const { eventId } = await seedAttendees(sequelize, { count, tag });
  await sequelize.query('ANALYZE bookings, booking_requests, users');
  log(`seeded ${count} bookings in ${round((performance.now() - started) / 1000, 1)} s (event ${eventId})`);
  await sequelize.close();

  const api = await startApi();
  try {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const { accessToken: token } = (await login.json()) as { accessToken: string };

    // The JSON list: first page, a deep page, searches.
    const pageTimes: Record<string, number[]> = {};
    for (const [label, query] of [
      ['first page', 'limit=100'],
      ['cancelled', 'limit=100&status=cancelled'],
      ['email, one match', `q=${tag}-4242@`],
      ['email prefix, ~1,100 matches', `q=${tag}-77`],
      ['email prefix, every attendee', `q=${tag}-`],
      ['reference', `q=${tag}-ref-300`],
    ] as const) {
      pageTimes[label] = [];
      for (let i = 0; i < 5; i++) {
        pageTimes[label]!.push(await timedGet(`/admin/events/${eventId}/bookings?${query}`, token));
      }
    }
    let cursor: string | null = null;
    let deep = 0;
    const deepTimes: number[] = [];
    do {
      const t0 = performance.now();
      const res = await fetch(
        `${base}/admin/events/${eventId}/bookings?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      const body = (await res.json()) as { data: unknown[]; next: string | null };
      deepTimes.push(performance.now() - t0);
      deep += body.data.length;
      cursor = body.next;
    } while (cursor);
    log(`JSON list, every page of 100 (${deep} rows): ${summary(deepTimes)}`);
    for (const [label, ms] of Object.entries(pageTimes)) log(`JSON list, ${label}: ${summary(ms)}`);

    // Warm the CSV path on a small filter, then measure the whole export.
    await download(`/admin/events/${eventId}/bookings.csv?q=${tag}-1@`, token);
    global.gc?.();
    const before = rssMb(api.pid!);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(api.pid!));
    }, 50);
    const side = { health: [] as number[], events: [] as number[] };
    let exporting = true;
    const poller = (async () => {
      while (exporting) {
        side.health.push(await timedGet('/health/live'));
        side.events.push(await timedGet('/events?limit=20'));
      }
    })();
    started = performance.now();
    const result = await download(`/admin/events/${eventId}/bookings.csv`, token);
    const seconds = (performance.now() - started) / 1000;
    exporting = false;
    await poller;
    clearInterval(sampler);
    const after = rssMb(api.pid!);
    const rows = result.lines - 1;
    if (result.status !== 200 || rows !== count)
      throw new Error(`exported ${rows} rows, status ${result.status}`);
    log(
      `CSV: ${rows} rows, ${round(result.bytes / 1024 / 1024, 1)} MB in ${round(seconds, 2)} s = ` +
        `${Math.round(rows / seconds)} rows/s`,
    );
    log(`API RSS: before ${round(before)} MB, peak ${round(peak)} MB, after ${round(after)} MB`);
    log(`during the export, GET /health/live: ${summary(side.health)}`);
    log(`during the export, GET /events: ${summary(side.events)}`);
  } finally {
    api.kill('SIGTERM');
  }
}

main().catch((err) => {
  log(String(err?.stack ?? err));
  process.exit(1);
});
