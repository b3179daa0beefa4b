import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createApp } from '../../api/app.js';
import type { ApiDeps } from '../../api/context.js';
import { createApiDeps } from '../../api/index.js';
import type { Config } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { type RunningWorker, startWorker } from '../../worker/index.js';
import { TEST_REDIS_URL } from './database.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface StartedApi {
  server: http.Server;
  baseUrl: string;
  deps: ApiDeps;
  close(): Promise<void>;
}

/** The real API on an ephemeral loopback port, in this process. */
export async function startTestApi(config: Config): Promise<StartedApi> {
  const logger = createLogger(config.logLevel, 'api');
  const deps = await createApiDeps(config, logger);
  const server = http.createServer(createApp(deps).callback());
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
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in 20 s:\n${output}`)), 20000);
    const onData = () => {
      if (output.includes('"worker started"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before starting:\n${output}`));
    });
  });
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

/** Polls `check` until it returns a truthy value (never a fixed sleep), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
