import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createApp } from '../../api/app.js';
import type { ApiDeps } from '../../api/context.js';
import { createApiDeps } from '../../api/index.js';
import type { Config } from '../../shared/config.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { type RunningWorker, startWorker } from '../../worker/index.js';
import type { Actor } from './actors.js';
import { TEST_REDIS_URL } from './database.js';
import { type ContractViolation, contractRecorder } from './openapi-contract.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Deadline of `waitFor` when a caller gives none: generous, for a loaded 2-core CI machine. */
export const DEFAULT_WAIT_MS = 30000;
const POLL_INTERVAL_MS = 50;

export interface StartedApi {
  server: http.Server;
  baseUrl: string;
  deps: ApiDeps;
  close(): Promise<void>;
}

/**
 * The real API on an ephemeral loopback port, in this process. Every answer of a documented
 * route is checked against the OpenAPI document; `close()` fails the test file if one broke it.
 * `logger`: for a test that reads what the API logs.
 */
export async function startTestApi(
  config: Config,
  logger: Logger = createLogger(config.logLevel, 'api'),
): Promise<StartedApi> {
  const deps = await createApiDeps(config, logger);
  const app = createApp(deps);
  const violations: ContractViolation[] = [];
  app.middleware.unshift(contractRecorder(violations));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    deps,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.close();
      if (violations.length > 0) {
        const shown = violations.slice(0, 20).map((v) => `${v.method} ${v.path} ${v.status}: ${v.problem}`);
        throw new Error(`answers that break the OpenAPI document:\n${shown.join('\n')}`);
      }
    },
  };
}

/** Stops a test's API and deletes its Redis keys (its own prefix only); for `afterAll`. */
export async function stopTestApi(api: StartedApi | undefined, env: Record<string, string>): Promise<void> {
  await api?.close();
  await flushRedisPrefix(env.REDIS_PREFIX!);
}

/** A worker in this process (fast to start; for tests that need no process isolation). */
export async function startInProcessWorker(config: Config): Promise<RunningWorker> {
  return startWorker(config, createLogger(config.logLevel, 'worker'));
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no clean-up. */
  kill(): Promise<void>;
}

/** Every process a test spawned; killed when the test process exits, even after a failed test. */
const spawned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of spawned) child.kill('SIGKILL');
});

/** A real `npm run worker` process (`bin/worker.ts`), started with `env`; resolves once it is up. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/worker.ts')], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  child.on('exit', () => spawned.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  await waitFor(
    async () => {
      if (exitCode !== undefined)
        throw new Error(`worker exited with ${exitCode} before starting:\n${output}`);
      return output.includes('"worker started"');
    },
    DEFAULT_WAIT_MS,
    () => `the worker to start; its output:\n${output}`,
  );
  return {
    child,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * The one way tests wait for asynchronous work: polls `check` until it returns a truthy value
 * (which it resolves to), and fails after `timeoutMs` with what it was waiting for and what the
 * last check returned (`what` may be a function, to describe the state at the deadline). A
 * condition, never a fixed sleep, decides when a test goes on; the deadline only bounds how long
 * a broken service can hold the test. A check that throws fails the wait at once (an `expect`
 * inside a check is an assertion, not a condition).
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = DEFAULT_WAIT_MS,
  what: string | (() => string) = 'a condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    const left = deadline - Date.now();
    if (left <= 0) {
      const waitedFor = typeof what === 'function' ? what() : what;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${waitedFor} (last check: ${shown(value)})`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_INTERVAL_MS, left)));
  }
}

function shown(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Long-polls a booking request until it is decided (any status but `queued`) and returns its
 * representation. One long poll may end before the decision (LONG_POLL_MAX_SECONDS, or a slow
 * worker under load): it asks again until `timeoutMs` has passed.
 */
export async function outcomeOf(
  baseUrl: string,
  actor: Pick<Actor, 'auth'>,
  requestId: string,
  timeoutMs = DEFAULT_WAIT_MS,
) {
  return waitFor(
    async () => {
      const res = await request(baseUrl)
        .get(`/booking-requests/${requestId}`)
        .set(actor.auth)
        .set('Prefer', 'wait=5');
      if (res.status !== 200) throw new Error(`poll failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.status !== 'queued' && res.body;
    },
    timeoutMs,
    `booking request ${requestId} to be decided`,
  );
}

/** Deletes a test's Redis keys (its own prefix only). */
export async function flushRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
