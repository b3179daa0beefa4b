// Run by globalSetup.js (through tsx): a fresh test database with every migration applied.
import { migrate } from '../../shared/db/migrator.js';
import { createSequelize } from '../../shared/db/sequelize.js';
import { recreateTestDatabase, TEST_DATABASE_URL } from './database.js';

await recreateTestDatabase();
const sequelize = createSequelize({ databaseUrl: TEST_DATABASE_URL, dbPoolMax: 2 });
try {
  await migrate(sequelize);
} finally {
  await sequelize.close();
}
