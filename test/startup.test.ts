import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import request from 'supertest';
import { requestDecidedChannel } from '../shared/queues.js';
import { type Actor, createEvent, registerUser } from './support/actors.js';
import { testEnv } from './support/config.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './support/database.js';
import { freePort } from './support/environment.js';
import { DEFAULT_WAIT_MS, flushRedisPrefix, repoRoot, waitFor } from './support/harness.js';
import { runNode } from './support/node-process.js';

/** Runs `npm start`'s entry with `env` and collects how it ends. */
function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> {
  const began = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/start.ts')], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // Only against a hang: an exit by itself has a code, the guard's SIGKILL none.
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr, ms: Date.now() - began });
    });
  });
}

describe('start-up refused: a backing service down, an invalid or a published setting', () => {
  test.each([
    [
      'PostgreSQL',
      { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/evently' },
      'postgres://postgres:***@127.0.0.1:1/evently',
    ],
    ['Redis', { REDIS_URL: 'redis://127.0.0.1:1' }, 'redis://127.0.0.1:1'],
  ])(
    'gives up after STARTUP_TIMEOUT_MS with one line naming %s and its URL',
    async (service, env, shownUrl) => {
      // The wait is bounded by the setting, not by how fast this machine starts a process.
      const result = await start({ ...env, STARTUP_TIMEOUT_MS: '2000' });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`Cannot reach ${service} at ${shownUrl}`);
      expect(lines[0]).not.toContain('secret');
      expect(lines[0]).toMatch(/docker compose up -d|set (DATABASE|REDIS)_URL/);
    },
  );

  const strong = 'Vq3xT9pLm2Rk7Zs4Wc8Yn1Hb6Jd5Fg0a';
  test.each([
    ['a missing JWT_SECRET', {}, 'JWT_SECRET is required in production'],
    ['a short JWT_SECRET', { JWT_SECRET: 'too-short' }, 'JWT_SECRET must be at least 32 characters'],
    [
      'the development JWT_SECRET',
      { JWT_SECRET: 'evently-development-secret-do-not-use-in-production' },
      'JWT_SECRET is or contains a published default',
    ],
    [
      'the JWT_SECRET compose used to default to',
      { JWT_SECRET: 'evently-compose-development-secret-change-me-0123456789' },
      'JWT_SECRET is or contains a published default',
    ],
    [
      "the .env.example's JWT_SECRET",
      { JWT_SECRET: 'replace-with-the-output-of-openssl-rand-base64-48' },
      'JWT_SECRET is or contains a published default',
    ],
    [
      'the old default admin password',
      { JWT_SECRET: strong, ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'change-me-please' },
      'ADMIN_PASSWORD is or contains a published default',
    ],
    [
      "the .env.example's admin password",
      {
        JWT_SECRET: strong,
        ADMIN_EMAIL: 'admin@example.com',
        ADMIN_PASSWORD: 'replace-with-a-long-random-password',
      },
      'ADMIN_PASSWORD is or contains a published default',
    ],
    [
      'a JWT_SECRET of few distinct characters',
      { JWT_SECRET: 'ab'.repeat(20) },
      'JWT_SECRET is too easy to guess',
    ],
    [
      'a short admin password',
      { JWT_SECRET: strong, ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'password1' },
      'ADMIN_PASSWORD must be at least 12 characters in production',
    ],
  ])('production refuses %s with one line naming it, exit code 2', async (_, env, message) => {
    const result = await start({ NODE_ENV: 'production', JWT_SECRET: '', ...env });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
  });

  test('an invalid setting is refused with one line and exit code 2', async () => {
    const result = await start({ PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('"PORT" must be a number');
  });
});

async function dropDatabase(name: string): Promise<void> {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}

/** `npm start`'s entry (the supervisor) started on its own database and port, not yet ready. */
interface LaunchedService {
  base: string;
  /** The supervisor's process id. */
  pid: number;
  /** Its JSON log lines so far: the supervisor's and, through its stdout, its children's. */
  lines: () => Record<string, unknown>[];
  /** Everything it wrote so far, for failure messages. */
  output: () => string;
  /** Resolves to the exit code once the supervisor has exited. */
  exited: Promise<number | null>;
  /** SIGTERM; resolves to the exit code. */
  stop: () => Promise<number | null>;
}

/** A service that answered `/health/ready`. */
type RunningService = LaunchedService;

function launchService(dbName: string, env: Record<string, string>, port: number): LaunchedService {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${dbName}`;
  const run = runNode(repoRoot, ['--import', 'tsx', path.join(repoRoot, 'bin/start.ts')], {
    ...env,
    DATABASE_URL: url.toString(),
    PORT: String(port),
  });
  return {
    base: `http://127.0.0.1:${port}`,
    pid: run.child.pid!,
    output: run.output,
    lines: run.lines,
    exited: run.exited,
    stop: async () => {
      run.child.kill('SIGTERM');
      return run.exited;
    },
  };
}

async function startService(dbName: string, env: Record<string, string>): Promise<RunningService> {
  const service = launchService(dbName, env, await freePort());
  let exitCode: number | null | undefined;
  void service.exited.then((code) => {
    exitCode = code;
  });
  try {
    await waitFor(
      async () => {
        if (exitCode !== undefined)
          throw new Error(`the service exited with ${exitCode}:\n${service.output()}`);
        return (
          (
            await request(service.base)
              .get('/health/ready')
              .catch(() => null)
          )?.status === 200
        );
      },
      // Migrating a new database and starting three processes: minutes on a busy machine.
      150_000,
      () => `the service to be ready; its output:\n${service.output()}`,
    );
  } catch (err) {
    await service.stop();
    throw err;
  }
  return service;
}

describe('npm start on a fresh PostgreSQL (the README set-up)', () => {
  const dbName = `evently_start_${randomUUID().slice(0, 8)}`;
  const env = testEnv();

  afterAll(async () => {
    await dropDatabase(dbName);
    await flushRedisPrefix(env.REDIS_PREFIX!);
  });

  test('creates the database, migrates, creates the first admin, serves, and stops cleanly on SIGTERM', async () => {
    const service = await startService(dbName, {
      ...env,
      ADMIN_EMAIL: 'first-admin@example.test',
      ADMIN_PASSWORD: 'first-admin-password',
    });
    try {
      const login = await request(service.base)
        .post('/auth/login')
        .send({ email: 'first-admin@example.test', password: 'first-admin-password' });
      expect(login.status).toBe(200);
      const me = await request(service.base)
        .get('/auth/me')
        .set('Authorization', `Bearer ${login.body.accessToken}`);
      expect(me.body).toMatchObject({ email: 'first-admin@example.test', role: 'admin' });
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 300_000);
});

describe('npm start without admin settings (development)', () => {
  const dbName = `evently_start_${randomUUID().slice(0, 8)}`;
  // Development with nothing set: no JWT_SECRET either (the tests' key is refused there). Two
  // API processes whatever the machine, so a token one signs must be accepted by the other.
  const { JWT_SECRET: _, ...env } = testEnv({
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    WORKER_METRICS_PORT: '0',
    API_PROCESSES: '2',
  });

  afterAll(async () => {
    await dropDatabase(dbName);
    await flushRedisPrefix(env.REDIS_PREFIX!);
  });

  test('the first start creates an admin with a generated password and prints it once', async () => {
    const told = (service: RunningService) =>
      service.lines().filter((l) => String(l.msg).includes('generated password'));
    const first = await startService(dbName, env);
    let credentials: { email: string; password: string };
    try {
      expect(told(first)).toHaveLength(1);
      credentials = { email: String(told(first)[0]!.email), password: String(told(first)[0]!.password) };
      expect(credentials.email).toBe('admin@example.com');
      expect(credentials.password.length).toBeGreaterThanOrEqual(20);
      const login = await request(first.base).post('/auth/login').send(credentials);
      expect(login.status).toBe(200);
      const me = await request(first.base)
        .get('/auth/me')
        .set('Authorization', `Bearer ${login.body.accessToken}`);
      expect(me.body.role).toBe('admin');
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await startService(dbName, env);
    try {
      expect(told(second)).toEqual([]);
      expect((await request(second.base).post('/auth/login').send(credentials)).status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 300_000);
});

/** The supervisor's children as its log tells them: every one it started, and those now serving. */
function childrenOf(service: LaunchedService) {
  const supervisorSays = (msg: string) =>
    service
      .lines()
      .filter((l) => l.role === 'supervisor' && l.msg === msg)
      .map((l) => ({ role: String(l.childRole), pid: Number(l.childPid) }));
  const gone = new Set(supervisorSays('child process exited; restarting it').map((c) => c.pid));
  return {
    started: supervisorSays('started a child process'),
    ready: supervisorSays('child process ready').filter((c) => !gone.has(c.pid)),
  };
}

/** Whether a process with this id exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start uses the machine: API_PROCESSES API processes and one worker under one supervisor', () => {
  const dbName = `evently_start_${randomUUID().slice(0, 8)}`;
  const admin = { email: 'cluster-admin@example.test', password: 'cluster-admin-password' };
  const env = testEnv({
    API_PROCESSES: '2',
    LOG_LEVEL: 'info',
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });

  afterAll(async () => {
    await dropDatabase(dbName);
    await flushRedisPrefix(env.REDIS_PREFIX!);
  });

  test('forks two API processes on one port and a worker, books across them, merges /metrics, and stops them all on SIGTERM', async () => {
    const service = await startService(dbName, env);
    let children: { role: string; pid: number }[] = [];
    try {
      children = await waitFor(
        async () => childrenOf(service).ready.length === 3 && childrenOf(service).ready,
        60000,
        () => `three children to be ready; output:\n${service.output()}`,
      );
      const apiPids = children.filter((c) => c.role === 'api').map((c) => c.pid);
      expect(apiPids).toHaveLength(2);
      expect(children.filter((c) => c.role === 'worker')).toHaveLength(1);
      expect(new Set([service.pid, ...children.map((c) => c.pid)]).size).toBe(4);
      expect(children.every((c) => alive(c.pid))).toBe(true);
      // One log stream: the children's lines come out of the supervisor's stdout, each saying
      // which role and process wrote it.
      const lines = service.lines();
      expect(lines.every((l) => ['supervisor', 'api', 'worker'].includes(String(l.role)))).toBe(true);
      expect(lines.every((l) => typeof l.pid === 'number')).toBe(true);
      expect(new Set(lines.filter((l) => l.msg === 'api listening').map((l) => l.pid))).toEqual(
        new Set(apiPids),
      );
      // Migrations ran once, in the supervisor, before any child existed.
      const migrated = lines.filter((l) => l.event === 'migrated');
      expect(migrated.length).toBeGreaterThan(0);
      expect(migrated.every((l) => l.pid === service.pid)).toBe(true);

      // Every API process hears the worker's decisions, so a long-poll wakes wherever it landed.
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const [, subscribers] = (await redis.pubsub('NUMSUB', requestDecidedChannel(env.REDIS_PREFIX!))) as [
          string,
          number,
        ];
        expect(subscribers).toBe(2);
      } finally {
        await redis.quit();
      }

      // A booking end to end, until one was submitted to one API process and its long-poll
      // answered by the other (connections are handed out round-robin, so it comes at once).
      const login = await request(service.base).post('/auth/login').send(admin);
      expect(login.status).toBe(200);
      const adminActor: Actor = {
        id: login.body.user?.id ?? '',
        email: admin.email,
        token: login.body.accessToken,
        refreshToken: login.body.refreshToken,
        auth: { Authorization: `Bearer ${login.body.accessToken}` },
      };
      const event = await createEvent(service.base, adminActor);
      const user = await registerUser(service.base);
      const servedBy = (requestId: string) =>
        waitFor(
          async () => service.lines().find((l) => l.requestId === requestId && l.msg === 'request')?.pid,
          DEFAULT_WAIT_MS,
          `the log line of ${requestId}`,
        );
      let crossed = false;
      for (let attempt = 0; attempt < 6 && !crossed; attempt++) {
        const submitId = `submit-${randomUUID()}`;
        const submitted = await request(service.base)
          .post(`/events/${event.id}/bookings`)
          .set(user.auth)
          .set('X-Request-Id', submitId)
          .send({ quantity: 1 });
        expect(submitted.status).toBe(202);
        const pollId = `poll-${randomUUID()}`;
        const decided = await waitFor(
          async () => {
            const res = await request(service.base)
              .get(`/booking-requests/${submitted.body.id}`)
              .set(user.auth)
              .set('X-Request-Id', pollId)
              .set('Prefer', 'wait=20');
            return res.body.status !== 'queued' && res;
          },
          DEFAULT_WAIT_MS,
          'the booking request to be decided',
        );
        expect(decided.body.status).toBe('confirmed');
        crossed = (await servedBy(submitId)) !== (await servedBy(pollId));
      }
      expect(crossed).toBe(true);

      // /metrics answers for every process, whichever one a scrape reaches: the requests
      // counted here went to both API processes, and the decisions are the worker's.
      const probes = 6;
      for (let i = 0; i < probes; i++)
        expect((await request(service.base).get('/health/live')).status).toBe(200);
      const metrics = await request(service.base).get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain(
        `evently_http_request_duration_seconds_count{method="GET",route="/health/live",status_code="200"} ${probes}`,
      );
      expect(metrics.text).toMatch(/evently_bookings_decided_total\{outcome="confirmed"\} [1-9]/);
      // The gauges read from PostgreSQL and Redis at scrape time: read once, by the process that
      // answered, never summed over the two API processes.
      for (const gauge of ['evently_backlog_items', 'evently_queue_waiting_jobs', 'evently_active_events'])
        expect(metrics.text.match(new RegExp(`^# TYPE ${gauge} gauge$`, 'gm'))).toHaveLength(1);
      expect(metrics.text).toMatch(/^evently_backlog_items\{backlog="outbox"\} \d+$/m);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    // Graceful: every child drained and exited 0 before the supervisor did, and none is left.
    const stopped = service
      .lines()
      .filter((l) => l.role === 'supervisor' && l.msg === 'child process stopped');
    expect(stopped.map((l) => Number(l.childPid)).sort()).toEqual(children.map((c) => c.pid).sort());
    expect(stopped.every((l) => l.code === 0)).toBe(true);
    expect(childrenOf(service).started.filter((c) => alive(c.pid))).toEqual([]);
  }, 300_000);
});

describe('npm start restarts a crashed child, and gives up on a crash loop', () => {
  const dbName = `evently_start_${randomUUID().slice(0, 8)}`;
  const env = testEnv({ API_PROCESSES: '1', LOG_LEVEL: 'info' });

  afterAll(async () => {
    await dropDatabase(dbName);
    await flushRedisPrefix(env.REDIS_PREFIX!);
  });

  test('a killed API or worker process is replaced and the service keeps serving', async () => {
    const service = await startService(dbName, env);
    try {
      const first = await waitFor(
        async () => childrenOf(service).ready.length === 2 && childrenOf(service).ready,
        60000,
        () => `both children to be ready; output:\n${service.output()}`,
      );
      for (const role of ['api', 'worker']) {
        const victim = first.find((c) => c.role === role)!;
        process.kill(victim.pid, 'SIGKILL');
        const replacement = await waitFor(
          async () => childrenOf(service).ready.find((c) => c.role === role && c.pid !== victim.pid),
          60000,
          () => `a new ${role} process; output:\n${service.output()}`,
        );
        expect(alive(replacement.pid)).toBe(true);
        const exited = service
          .lines()
          .find((l) => l.msg === 'child process exited; restarting it' && l.childPid === victim.pid);
        expect(exited).toMatchObject({ role: 'supervisor', childRole: role, signal: 'SIGKILL', level: 50 });
        expect(Number(exited!.delayMs)).toBeGreaterThan(0);
      }
      expect((await request(service.base).get('/health/ready')).status).toBe(200);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    expect(childrenOf(service).started.filter((c) => alive(c.pid))).toEqual([]);
  }, 300_000);

  test('a second signal during the graceful stop kills every child at once and exits 1', async () => {
    const service = await startService(dbName, env);
    await waitFor(
      async () => childrenOf(service).ready.length === 2,
      60000,
      () => `both children to be ready; output:\n${service.output()}`,
    );
    // Two different signals: two of the same sent together may be delivered as one.
    process.kill(service.pid, 'SIGTERM');
    process.kill(service.pid, 'SIGINT');
    expect(await service.exited).toBe(1);
    // Pending signals are delivered lowest number first, so either may be the second.
    expect(service.lines().find((l) => l.msg === 'second signal: killing every child process')).toMatchObject(
      {
        role: 'supervisor',
        level: 50,
      },
    );
    expect(childrenOf(service).started.filter((c) => alive(c.pid))).toEqual([]);
  }, 300_000);

  test('an API that cannot listen (port taken) is restarted a few times, then the supervisor exits 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const service = launchService(dbName, env, port);
      expect(await service.exited).toBe(1);
      const lines = service.lines();
      expect(
        lines.filter((l) => l.msg === 'child process exited; restarting it' && l.childRole === 'api'),
      ).toHaveLength(3);
      expect(
        lines.find((l) => l.msg === 'child process is crash-looping; stopping everything'),
      ).toMatchObject({
        role: 'supervisor',
        childRole: 'api',
        level: 60,
      });
      expect(service.output()).toContain('EADDRINUSE');
      // The healthy worker was stopped with the rest, not left behind.
      expect(childrenOf(service).started.filter((c) => alive(c.pid))).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 300_000);
});
