import { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import { initModels } from './models/index.js';

type DbConfig = Pick<Config, 'databaseUrl' | 'dbPoolMax'>;

/** A standalone Sequelize instance (migrations, scripts); models are bound to it. */
export function createSequelize(config: DbConfig): Sequelize {
  const sequelize = new Sequelize(config.databaseUrl, {
    dialect: 'postgres',
    logging: false,
    pool: { max: config.dbPoolMax, min: 0, idle: 10000, acquire: 10000 },
    dialectOptions: { application_name: 'evently' },
  });
  initModels(sequelize);
  return sequelize;
}

export interface DatabaseHandle {
  sequelize: Sequelize;
  release(): Promise<void>;
}

const shared = new Map<string, { sequelize: Sequelize; refs: number }>();

/**
 * Sequelize models are bound to one instance per process, so the API and the worker in one
 * process (`npm start`, tests) must share it: each role acquires it and releases it when it
 * stops, and the last release closes the pool.
 */
export function acquireSequelize(config: DbConfig): DatabaseHandle {
  let entry = shared.get(config.databaseUrl);
  if (!entry) {
    entry = { sequelize: createSequelize(config), refs: 0 };
    shared.set(config.databaseUrl, entry);
  }
  entry.refs += 1;
  const held = entry;
  let released = false;
  return {
    sequelize: held.sequelize,
    async release() {
      if (released) return;
      released = true;
      held.refs -= 1;
      if (held.refs === 0) {
        shared.delete(config.databaseUrl);
        await held.sequelize.close();
      }
    },
  };
}
