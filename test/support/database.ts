import pg from 'pg';

/** Tests use their own database (never the one `npm start` uses); override with TEST_DATABASE_URL. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/evently_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Creates the test database if it is missing. It is not dropped between runs: every test owns
 * its data, and two test runs (or a run and a benchmark) may share it at once.
 */
export async function ensureTestDatabase(): Promise<void> {
  const url = new URL(TEST_DATABASE_URL);
  const name = url.pathname.slice(1);
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsafe test database name: ${name}`);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await admin.query(`CREATE DATABASE ${name}`).catch((err) => {
        if (err.code !== '42P04') throw err; // created by a concurrent run in between: fine
      });
    }
  } finally {
    await admin.end();
  }
}
