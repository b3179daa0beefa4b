import { startApi } from '../api/index.js';
import { answerMetricsRequests, underSupervisor } from '../shared/cluster-metrics.js';
import { startTracing } from '../shared/tracing/index.js';
import { startWorker } from '../worker/index.js';
import { prepare, runMigrations, SHUTDOWN_GRACE_MS } from './prepare.js';

export type Role = 'api' | 'worker' | 'migrate';

interface Stoppable {
  close(): Promise<void>;
}

/**
 * Starts the given roles in this process: checks that PostgreSQL and Redis answer (within
 * STARTUP_TIMEOUT_MS), runs migrations if asked, starts the roles, and stops them gracefully on
 * SIGTERM/SIGINT (the worker finishes the job in hand first).
 */
export async function run(roles: Role[]): Promise<void> {
  // The migrate step creates a missing database, so only it may start without one.
  const { config, logger } = await prepare(roles.join('+'), { migrating: roles.includes('migrate') });
  if (roles.includes('migrate')) await runMigrations(config, logger);
  const serving = roles.filter((role) => role !== 'migrate');
  if (serving.length === 0) return;
  // Before the roles, so their first spans are recorded; the default service name says which
  // role made a span (OTEL_SERVICE_NAME overrides it). The supervisor makes no spans of its own.
  const tracing = await startTracing(config.tracing, `evently-${serving.join('+')}`, logger);
  const running: Stoppable[] = [];
  if (roles.includes('worker')) running.push(await startWorker(config, logger));
  if (roles.includes('api')) running.push(await startApi(config, logger));
  if (underSupervisor()) {
    answerMetricsRequests();
    // The supervisor counts a child as up (and asks it for metrics) only from here on.
    process.send!({ evently: 'ready' });
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // API first (stop taking requests), then the worker (finish the job in hand).
    for (const role of running.reverse()) await role.close();
    // Last: the spans of the work the roles finished while stopping are exported too.
    await tracing
      .shutdown()
      .catch((err: unknown) => logger.warn({ err }, 'tracing did not shut down cleanly'));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

export function main(roles: Role[]): void {
  run(roles).catch((err) => {
    console.error('evently: start-up failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
