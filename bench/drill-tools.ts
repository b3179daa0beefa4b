import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A database of `baseUrl`'s server, by name. */
export function databaseUrl(baseUrl: string, name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs SQL on the server's `postgres` database (CREATE/DROP DATABASE cannot run inside the one dropped). */
async function onServer(baseUrl: string, sql: string): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl(baseUrl, 'postgres') });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  await onServer(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * pg_dump refuses a server newer than itself, and pg_restore of a newer dump fails late: say so
 * before the sale starts, not after it.
 */
export async function assertClientMatchesServer(baseUrl: string): Promise<string> {
  const [row] = await onServer(baseUrl, 'SHOW server_version_num');
  const serverMajor = Math.floor(Number(row!.server_version_num) / 10000);
  const { stdout } = await run('pg_dump', ['--version']);
  const clientMajor = Number(/(\d+)(?:\.\d+)?/.exec(stdout)?.[1]);
  if (clientMajor < serverMajor) {
    throw new Error(
      `pg_dump ${clientMajor} cannot back up PostgreSQL ${serverMajor}: install client ${serverMajor}`,
    );
  }
  return stdout.trim();
}

/**
 * `pg_dump -Fc`: one consistent snapshot (a repeatable-read transaction taken when it starts),
 * whatever commits while it runs; it takes only ACCESS SHARE locks, so intake and allocation go
 * on. Resolves with the seconds it took and the file's size.
 */
export async function backup(url: string, file: string): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  await run('pg_dump', ['--format=custom', '--no-owner', '--file', file, '--dbname', url]);
  return { seconds: (performance.now() - started) / 1000, bytes: statSync(file).size };
}

/**
 * Into a new, empty database: `createdb` then `pg_restore` (schema, data, then indexes and
 * constraints, two jobs in parallel), stopping at the first error. Resolves with the seconds taken.
 */
export async function restore(baseUrl: string, name: string, file: string): Promise<number> {
  const started = performance.now();
  await dropDatabase(baseUrl, name);
  await onServer(baseUrl, `CREATE DATABASE ${name}`);
  await run('pg_restore', [
    '--no-owner',
    '--exit-on-error',
    '--jobs=2',
    '--dbname',
    databaseUrl(baseUrl, name),
    file,
  ]);
  return (performance.now() - started) / 1000;
}
