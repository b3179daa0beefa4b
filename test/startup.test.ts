import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { testEnv } from './support/config.js';
import { TEST_DATABASE_URL } from './support/database.js';
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

describe('start-up with a backing service down', () => {
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

  test('an invalid setting is refused with one line and exit code 2', async () => {
    const result = await start({ PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('"PORT" must be a number');
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function dropDatabase(name: string): Promise<void> {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}

describe('npm start on a fresh PostgreSQL (the README set-up)', () => {
  const dbName = `evently_start_${randomUUID().slice(0, 8)}`;
  const env = testEnv();

  afterAll(async () => {
    await dropDatabase(dbName);
    await flushRedisPrefix(env.REDIS_PREFIX!);
  });

  test('creates the database, migrates, creates the first admin, serves, and stops cleanly on SIGTERM', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${dbName}`;
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/start.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...env,
        NODE_OPTIONS: '',
        DATABASE_URL: url.toString(),
        PORT: String(port),
        ADMIN_EMAIL: 'first-admin@example.test',
        ADMIN_PASSWORD: 'first-admin-password',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        async () =>
          (
            await request(base)
              .get('/health/ready')
              .catch(() => null)
          )?.status === 200,
        30000,
        'the service to be ready',
      );
      const login = await request(base)
        .post('/auth/login')
        .send({ email: 'first-admin@example.test', password: 'first-admin-password' });
      expect(login.status).toBe(200);
      const me = await request(base).get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`);
      expect(me.body).toMatchObject({ email: 'first-admin@example.test', role: 'admin' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
