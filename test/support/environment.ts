import type http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import type { ApiDeps } from '../../api/context.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import type { RunningWorker } from '../../worker/index.js';
import { testConfig, testEnv } from './config.js';
import {
  type StartedApi,
  startInProcessWorker,
  startTestApi,
  startWorkerProcess,
  stopTestApi,
  type WorkerProcess,
} from './harness.js';
import { takeOutboxTurn } from './outbox-turn.js';

export interface TestApiOptions {
  /**
   * Workers that live as long as the API: `n` real worker processes (each must exit 0 on SIGTERM
   * at the end, or the file fails), or one worker in this process. None by default: a file that
   * starts and stops its own worker (to test what happens without one) says so in its tests.
   */
  workers?: number | 'in-process';
  /**
   * Runs after the file's tests, while the API is still up (Jest runs `afterAll` hooks in the
   * order they were registered, so a file's own would come after the API has stopped).
   */
  beforeStop?: () => Promise<void>;
  /** The API's logger (not its workers'), for a file that reads what the API logs. */
  logger?: Logger;
}

/** One test file's service: its API (and workers), started before its tests and stopped after. */
export interface TestApi {
  /** The environment of the file's processes, with the file's own Redis prefix. */
  readonly env: Record<string, string>;
  readonly config: Config;
  /** The API in this process; the members below are its own, for short call sites. */
  readonly api: StartedApi;
  readonly baseUrl: string;
  readonly deps: ApiDeps;
  readonly server: http.Server;
  /** A supertest client of the API. */
  http(): ReturnType<typeof request>;
  /** The worker processes of `workers: n`. */
  readonly workers: readonly WorkerProcess[];
  /**
   * A crash and a fresh start: SIGKILLs worker process `index` (no clean-up) and starts another in
   * its place, which the end of the file stops and checks like the others.
   */
  crashWorker(index?: number): Promise<WorkerProcess>;
  /** The worker of `workers: 'in-process'`. */
  readonly worker: RunningWorker;
}

/**
 * The one test set-up: registers the `beforeAll` that starts the API (and workers) with
 * `testEnv(overrides)` and the `afterAll` that stops them and keeps every guarantee of the
 * harness: the file's own Redis prefix (flushed at the end), every answer checked against the
 * OpenAPI document (a break fails the file at close), worker processes stopped gracefully and
 * their exit codes checked. Call it in a `describe` (or at the top of a file); the handle is
 * usable from the tests and from `beforeAll` hooks registered after it. `overrides` may be a
 * function, read when the API starts: for settings known only once an earlier `beforeAll` ran
 * (a Redis Cluster's ports, `REDIS_CLUSTER_NODES`).
 */
export function useTestApi(
  overrides: Record<string, string> | (() => Record<string, string>) = {},
  options: TestApiOptions = {},
): TestApi {
  const settle = () => {
    const env = testEnv(typeof overrides === 'function' ? overrides() : overrides);
    return { env, config: testConfig(env) };
  };
  let settled = typeof overrides === 'function' ? undefined : settle();
  const setting = () => {
    if (!settled) throw new Error('the test API is not started: its settings are read when it starts');
    return settled;
  };
  let started: StartedApi | undefined;
  let processes: WorkerProcess[] = [];
  let inProcess: RunningWorker | undefined;
  let endTurn: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    settled ??= settle();
    const { env, config } = settled;
    // A file whose workers relay the outbox (WEBHOOKS_ENABLED=true) takes its turn with the other
    // such files (test/support/outbox-turn.ts) before they start, until they stopped.
    if (config.webhooks.enabled) endTurn = await takeOutboxTurn();
    started = await startTestApi(config, options.logger);
    if (options.workers === 'in-process') inProcess = await startInProcessWorker(config);
    else if (options.workers)
      processes = await Promise.all(Array.from({ length: options.workers }, () => startWorkerProcess(env)));
  });

  afterAll(async () => {
    try {
      if (started) await options.beforeStop?.();
    } finally {
      const codes = await Promise.all(processes.map((w) => w.stop()));
      try {
        await inProcess?.close();
      } finally {
        try {
          if (settled) await stopTestApi(started, settled.env);
        } finally {
          await endTurn?.();
        }
      }
      expect(codes).toEqual(processes.map(() => 0));
    }
  });

  const running = () => {
    if (!started) throw new Error('the test API is not started: use it in tests and beforeAll hooks');
    return started;
  };
  return {
    get env() {
      return setting().env;
    },
    get config() {
      return setting().config;
    },
    get api() {
      return running();
    },
    get baseUrl() {
      return running().baseUrl;
    },
    get deps() {
      return running().deps;
    },
    get server() {
      return running().server;
    },
    http: () => request(running().baseUrl),
    get workers() {
      return processes;
    },
    async crashWorker(index = 0) {
      const crashed = processes[index];
      if (!crashed) throw new Error(`no worker process ${index}`);
      await crashed.kill();
      const fresh = await startWorkerProcess(setting().env);
      processes[index] = fresh;
      return fresh;
    },
    get worker() {
      if (!inProcess) throw new Error("no in-process worker: pass { workers: 'in-process' }");
      return inProcess;
    },
  };
}

/** A loopback TCP port that was free a moment ago (for a process that must be told its port). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
