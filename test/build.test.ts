// The image's way of running the service, outside Docker: `npm run build` (the Dockerfile's build
// stage) into a folder laid out like the runtime stage's /app (package.json, the production
// dependencies, dist/), then plain `node` on the compiled entries, with no tsx anywhere.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { openApiDocument } from '../api/openapi/document.js';
import { testEnv } from './support/config.js';
import { TEST_DATABASE_URL } from './support/database.js';
import { freePort } from './support/environment.js';
import { flushRedisPrefix, outcomeOf, repoRoot, waitFor } from './support/harness.js';
import { runNode } from './support/node-process.js';

/** tsc over the whole service, then node's start-up, on a machine shared with other test files. */
const BUILD_TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 90_000;

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
}

/**
 * The packages that `npm ci --omit=dev --omit=optional` (the runtime stage) puts at the top of
 * node_modules, read from the lock file. Linked one by one from the project's node_modules, they
 * are all that the compiled code can import: a runtime import of a devDependency fails here as it
 * would in the image. (A package's own dependencies resolve from its real path, as npm laid them.)
 */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  return Object.entries(lock.packages)
    .filter(([key]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key))
    .filter(([, entry]) => !entry.dev && !entry.optional && !entry.devOptional)
    .map(([key]) => key.slice('node_modules/'.length));
}

function databaseUrl(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A process's command line, from /proc (Linux, as CI and the image are). */
function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('the compiled service (npm run build, as the image runs it)', () => {
  const dbName = `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_build`;
  let app: string;
  const prefixes: string[] = [];
  const env = (overrides: Record<string, string>) => {
    const values = testEnv({ LOG_LEVEL: 'info', ...overrides });
    prefixes.push(values.REDIS_PREFIX!);
    return values;
  };

  beforeAll(async () => {
    await dropDatabase(dbName);
    app = mkdtempSync(path.join(os.tmpdir(), 'evently-build-'));
    copyFileSync(path.join(repoRoot, 'package.json'), path.join(app, 'package.json'));
    for (const name of productionPackages()) {
      const link = path.join(app, 'node_modules', name);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(path.join(repoRoot, 'node_modules', name), link, 'dir');
    }
    // The Dockerfile's command, into this folder's dist/.
    const npm = spawn('npm', ['run', 'build', '--', path.join(app, 'dist')], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk) => {
      output += chunk;
    });
    npm.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const code = await new Promise((resolve) => npm.on('exit', resolve));
    if (code !== 0) throw new Error(`npm run build exited with ${code}:\n${output}`);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (app) rmSync(app, { recursive: true, force: true });
    await dropDatabase(dbName);
    for (const prefix of prefixes) await flushRedisPrefix(prefix);
  });

  test('tsx is not among the production packages', () => {
    expect(productionPackages()).not.toContain('tsx');
    expect(productionPackages()).toContain('koa');
  });

  test('the output holds the compiled entries and migrations, and no TypeScript', () => {
    const files = readdirSync(path.join(app, 'dist'), { recursive: true, encoding: 'utf8' });
    for (const entry of ['start', 'api', 'worker', 'migrate'])
      expect(files).toContain(path.join('bin', `${entry}.js`));
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
    const sources = readdirSync(path.join(repoRoot, 'migrations')).filter((f) => f.endsWith('.ts'));
    const compiled = readdirSync(path.join(app, 'dist/migrations')).filter((f) => f.endsWith('.js'));
    expect(compiled).toEqual(sources.map((file) => file.replace(/\.ts$/, '.js')));
  });

  test(
    'compiled migrations create a database under the names the sources record, and find nothing to do on one the sources migrated',
    async () => {
      const fresh = runNode(app, ['dist/bin/migrate.js'], env({ DATABASE_URL: databaseUrl(dbName) }));
      expect(await fresh.exited).toBe(0);
      const client = new pg.Client({ connectionString: databaseUrl(dbName) });
      await client.connect();
      const { rows } = await client
        .query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')
        .finally(() => client.end());
      const sources = readdirSync(path.join(repoRoot, 'migrations'))
        .filter((f) => f.endsWith('.ts'))
        .sort();
      expect(rows.map((row) => row.name)).toEqual(sources);

      // The test database was migrated from the sources (tsx) by the global set-up.
      const again = runNode(app, ['dist/bin/migrate.js'], env({}));
      expect(await again.exited).toBe(0);
      expect(again.lines().filter((line) => line.event === 'migrating')).toEqual([]);
    },
    START_TIMEOUT_MS,
  );

  test(
    'the supervisor forks plain-node API and worker processes that serve the API and decide a booking, and stops on SIGTERM',
    async () => {
      const port = await freePort();
      const adminPassword = `admin-${randomUUID()}`;
      const service = runNode(
        app,
        ['dist/bin/start.js'],
        env({
          DATABASE_URL: databaseUrl(dbName),
          PORT: String(port),
          API_PROCESSES: '1',
          WORKER_METRICS_PORT: '0',
          ADMIN_EMAIL: 'admin@example.com',
          ADMIN_PASSWORD: adminPassword,
        }),
      );
      const base = `http://127.0.0.1:${port}`;
      let exitCode: number | null | undefined;
      void service.exited.then((code) => {
        exitCode = code;
      });
      try {
        await waitFor(
          async () => {
            if (exitCode !== undefined) throw new Error(`exited with ${exitCode}:\n${service.output()}`);
            const ready = service.lines().filter((line) => line.msg === 'child process ready');
            return ready.length === 2;
          },
          START_TIMEOUT_MS,
          () => `both children to be ready; output:\n${service.output()}`,
        );

        // No loader in any process: each runs node on the compiled entry.
        const children = service
          .lines()
          .filter((line) => line.msg === 'started a child process')
          .map((line) => line.childPid as number);
        for (const pid of [service.child.pid!, ...children]) {
          const argv = commandLine(pid);
          expect(argv.join(' ')).not.toMatch(/tsx/);
          expect(path.resolve(app, argv[1]!)).toBe(path.join(app, 'dist/bin/start.js'));
        }

        expect((await request(base).get('/health/ready')).body).toEqual({
          status: 'ok',
          checks: { postgres: 'ok', redis: 'ok' },
        });
        expect((await request(base).get('/openapi.json')).body).toEqual(
          JSON.parse(JSON.stringify(openApiDocument)),
        );
        // Files read at run time: Swagger UI's from its package, the admin login page.
        const docs = await request(base).get('/docs');
        expect(docs.status).toBe(200);
        const bundle = await request(base).get('/docs/swagger-ui-bundle.js');
        expect(bundle.status).toBe(200);
        expect(bundle.text.length).toBeGreaterThan(100_000);
        expect((await request(base).get('/admin/login').set('Accept', 'text/html')).status).toBe(200);

        const admin = await request(base)
          .post('/auth/login')
          .send({ email: 'admin@example.com', password: adminPassword });
        expect(admin.status).toBe(200);
        const event = await request(base)
          .post('/events')
          .set('Authorization', `Bearer ${admin.body.accessToken}`)
          .send({ name: 'Build check', venue: 'Hall', startsAt: '2030-05-01T19:00:00Z', capacity: 10 });
        expect(event.status).toBe(201);
        const user = await request(base)
          .post('/auth/register')
          .send({ email: `build-${randomUUID()}@example.test`, password: 'correct-horse', name: 'Ada' });
        expect(user.status).toBe(201);
        const auth = { Authorization: `Bearer ${user.body.accessToken}` };
        const submitted = await request(base)
          .post(`/events/${event.body.id}/bookings`)
          .set(auth)
          .send({ quantity: 2 });
        expect(submitted.status).toBe(202);
        const outcome = await outcomeOf(base, { auth }, submitted.body.id);
        expect(outcome).toMatchObject({ status: 'confirmed', booking: { quantity: 2 } });
      } finally {
        if (exitCode === undefined) service.child.kill('SIGTERM');
      }
      expect(await service.exited).toBe(0);
      expect(service.lines().find((line) => line.msg === 'supervisor stopped')).toMatchObject({
        failed: false,
      });
    },
    START_TIMEOUT_MS * 2,
  );
});
