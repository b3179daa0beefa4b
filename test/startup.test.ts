import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { testEnv } from './support/config.js';
import { TEST_DATABASE_URL } from './support/database.js';
import { freePort } from './support/environment.js';
import { flushRedisPrefix, repoRoot, waitFor } from './support/harness.js';

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
    const guard = setTimeout(() => child.kill('SIGKILL'), 15000);
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
  ])('exits within 10 s with one line naming %s and its URL', async (service, env, shownUrl) => {
    const result = await start(env);
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(10000);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Cannot reach ${service} at ${shownUrl}`);
    expect(lines[0]).not.toContain('secret');
    expect(lines[0]).toMatch(/docker compose up -d|set (DATABASE|REDIS)_URL/);
  });

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

/** A service started by `npm start`'s entry on its own database and port, ready to serve. */
interface RunningService {
  base: string;
  /** Its JSON log lines so far. */
  lines: () => Record<string, unknown>[];
  /** SIGTERM; resolves to the exit code. */
  stop: () => Promise<number | null>;
}

async function startService(dbName: string, env: Record<string, string>): Promise<RunningService> {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${dbName}`;
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/start.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ...env, NODE_OPTIONS: '', DATABASE_URL: url.toString(), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const stop = async () => {
    child.kill('SIGTERM');
    return exited;
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (exitCode !== undefined) throw new Error(`the service exited with ${exitCode}:\n${output}`);
        return (
          (
            await request(base)
              .get('/health/ready')
              .catch(() => null)
          )?.status === 200
        );
      },
      30000,
      () => `the service to be ready; its output:\n${output}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const lines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { base, lines, stop };
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
  });
});

describe('npm start without admin settings (development)', () => {
  const dbName = `evently_start_${randomUUID().slice(0, 8)}`;
  // Development with nothing set: no JWT_SECRET either (the tests' key is refused there).
  const { JWT_SECRET: _, ...env } = testEnv({
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    WORKER_METRICS_PORT: '0',
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
  });
});
