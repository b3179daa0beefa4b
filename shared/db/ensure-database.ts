import pg from 'pg';

/**
 * Creates the database named in `url` if it does not exist, so `npm start` works on a fresh
 * PostgreSQL. Connects to the server's `postgres` maintenance database to do it.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount !== 0) return false;
    const quoted = `"${name.replace(/"/g, '""')}"`;
    await client.query(`CREATE DATABASE ${quoted}`).catch((err) => {
      if (err.code !== '42P04') throw err; // another process created it in between
    });
    return true;
  } finally {
    await client.end();
  }
}
