import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Logger } from '../logger.js';

const here = fileURLToPath(import.meta.url);
const migrationsDir = path.resolve(path.dirname(here), '../../migrations');
/**
 * The migrations are in the language this module runs in: `.ts` from the sources (tsx in
 * development and tests), `.js` from the compiled output (`npm run build`, the image).
 */
const extension = path.extname(here);

export interface MigrationContext {
  sequelize: Sequelize;
}

/** Forward-only migrations: each file in `migrations/` exports `up({ context })`. */
export function createMigrator(sequelize: Sequelize, logger?: Logger) {
  return new Umzug<MigrationContext>({
    migrations: {
      glob: [`*${extension}`, { cwd: migrationsDir, ignore: ['*.d.ts'] }],
      resolve: ({ name, path: file, context }) => ({
        // A migration is known by its source file's name (`0001-create-users.ts`), as
        // schema_migrations has recorded it from the start: compiled, the same migration must
        // keep that name, or every database would run it again.
        name: `${path.basename(name, extension)}.ts`,
        up: async () => {
          const migration = await import(file!);
          return migration.up({ context });
        },
      }),
    },
    context: { sequelize },
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: logger
      ? {
          info: (m) => logger.info(m),
          warn: (m) => logger.warn(m),
          error: (m) => logger.error(m),
          debug: (m) => logger.debug(m),
        }
      : undefined,
  });
}

/**
 * Runs pending migrations under an advisory lock, so several processes starting together
 * (api + worker containers) do not race on the same migration.
 */
export async function migrate(sequelize: Sequelize, logger?: Logger): Promise<void> {
  const lockKey = 727274; // arbitrary, fixed: "the migration lock"
  await sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(:lockKey)', {
      replacements: { lockKey },
      transaction,
    });
    // Umzug uses its own connections; the lock held by this transaction serializes migrators.
    await createMigrator(sequelize, logger).up();
  });
}
