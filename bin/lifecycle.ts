import { startApi } from '../api/index.js';
import { type Config, ConfigError, loadConfig } from '../shared/config.js';
import { checkServices, ServiceUnreachable } from '../shared/connectivity.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrate } from '../shared/db/migrator.js';
import { createSequelize } from '../shared/db/sequelize.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { startWorker } from '../worker/index.js';

export type Role = 'api' | 'worker' | 'migrate';

interface Stoppable {
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 30_000;

/** Expected start-up failures are one readable line on stderr and a non-zero exit, no stack. */
function fail(message: string, code: number): never {
  console.error(`evently: ${message}`);
  process.exit(code);
}

async function runMigrations(config: Config, logger: Logger): Promise<void> {
  if (await ensureDatabase(config.databaseUrl)) logger.info('created the database');
  const sequelize = createSequelize({ ...config, dbPoolMax: 2 });
  try {
    await migrate(sequelize, logger);
  } finally {
    await sequelize.close();
  }
}

/**
 * Starts the given roles in this process: checks that PostgreSQL and Redis answer (within
 * STARTUP_TIMEOUT_MS), runs migrations if asked, starts the roles, and stops them gracefully on
 * SIGTERM/SIGINT (the worker finishes the job in hand first).
 */
export async function run(roles: Role[]): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  const logger = createLogger(config.logLevel, roles.join('+'));
  try {
    // The migrate step creates a missing database, so only it may start without one.
    await checkServices(config, { allowMissingDatabase: roles.includes('migrate') });
  } catch (err) {
    if (err instanceof ServiceUnreachable) fail(err.message, 1);
    throw err;
  }

  if (roles.includes('migrate')) await runMigrations(config, logger);
  const running: Stoppable[] = [];
  if (roles.includes('worker')) running.push(await startWorker(config, logger));
  if (roles.includes('api')) running.push(await startApi(config, logger));
  if (running.length === 0) return;

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
