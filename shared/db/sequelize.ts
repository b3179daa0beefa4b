import { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import { initModels } from './models/index.js';

/** One Sequelize instance per process; models are bound to it on creation. */
export function createSequelize(config: Pick<Config, 'databaseUrl' | 'dbPoolMax'>): Sequelize {
  const sequelize = new Sequelize(config.databaseUrl, {
    dialect: 'postgres',
    logging: false,
    pool: { max: config.dbPoolMax, min: 0, idle: 10000, acquire: 10000 },
    dialectOptions: { application_name: 'evently' },
  });
  initModels(sequelize);
  return sequelize;
}
