// What every entry does before it starts a role: configuration, connectivity, migrations. Kept
// apart from bin/lifecycle.ts so the supervisor (bin/supervisor.ts) does not load the API and
// the worker it never runs itself.
import { type Config, ConfigError, loadConfig } from '../shared/config.js';
import { checkServices, ServiceUnreachable } from '../shared/connectivity.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrate } from '../shared/db/migrator.js';
import { createSequelize } from '../shared/db/sequelize.js';
import { createLogger, type Logger } from '../shared/logger.js';

/** How long a process drains on SIGTERM before it exits regardless. */
export const SHUTDOWN_GRACE_MS = 30_000;

/** Expected start-up failures are one readable line on stderr and a non-zero exit, no stack. */
function fail(message: string, code: number): never {
  console.error(`evently: ${message}`);
  process.exit(code);
}

/**
 * The configuration, validated, a logger for `role`, and PostgreSQL and Redis answering (within
 * STARTUP_TIMEOUT_MS); otherwise the process ends with one line: exit code 2 for an invalid
 * setting, 1 for a service it cannot reach.
 */
export async function prepare(
  role: string,
  { migrating }: { migrating: boolean },
): Promise<{ config: Config; logger: Logger }> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  const logger = createLogger(config.logLevel, role);
  try {
    await checkServices(config, { allowMissingDatabase: migrating });
  } catch (err) {
    if (err instanceof ServiceUnreachable) fail(err.message, 1);
    throw err;
  }
  return { config, logger };
}

export async function runMigrations(config: Config, logger: Logger): Promise<void> {
  if (await ensureDatabase(config.databaseUrl)) logger.info('created the database');
  const sequelize = createSequelize({ ...config, dbPoolMax: 2 });
  try {
    await migrate(sequelize, logger);
  } finally {
    await sequelize.close();
  }
}
