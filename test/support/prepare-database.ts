// Run by globalSetup.js (through tsx): the test database, created if missing, with every migration applied.
import { migrate } from '../../shared/db/migrator.js';
import { createSequelize } from '../../shared/db/sequelize.js';
import { ensureTestDatabase, TEST_DATABASE_URL } from './database.js';

await ensureTestDatabase();
const sequelize = createSequelize({ databaseUrl: TEST_DATABASE_URL, dbPoolMax: 2 });
try {
  await migrate(sequelize);
} finally {
  await sequelize.close();
}
