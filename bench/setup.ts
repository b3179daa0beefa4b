import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import type { Pool as UndiciPool } from 'undici';
import { migrate } from '../shared/db/migrator.js';
import { createSequelize } from '../shared/db/sequelize.js';

export interface BenchDatabase {
  url: string;
  pool: pg.Pool;
}

/** A fresh database for one benchmark run, migrated like production. */
export async function freshDatabase(baseUrl: string, name: string): Promise<BenchDatabase> {
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const sequelize = createSequelize({ databaseUrl: url.toString(), dbPoolMax: 2 });
  await migrate(sequelize);
  await sequelize.close();
  return { url: url.toString(), pool: new pg.Pool({ connectionString: url.toString(), max: 4 }) };
}

/**
 * Benchmark users are inserted directly and given tokens signed with the run's secret: the
 * benchmark measures booking, not password hashing (scrypt costs ~60 ms of CPU per login).
 */
export async function seedUsers(
  db: BenchDatabase,
  count: number,
  jwtSecret: string,
  role: 'user' | 'partner' | 'admin' = 'user',
): Promise<{ id: string; token: string }[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await db.pool.query(
    `INSERT INTO users (id, email, password_hash, name, role)
     SELECT id, 'bench-' || id || '@example.test', 'scrypt$unusable', 'bench', $2 FROM unnest($1::uuid[]) AS id`,
    [ids, role],
  );
  return ids.map((id) => ({
    id,
    token: jwt.sign({ role, typ: 'access' }, jwtSecret, {
      algorithm: 'HS256',
      subject: id,
      jwtid: randomUUID(),
      expiresIn: 3600,
    }),
  }));
}

/** A run's keys (its REDIS_PREFIX), so runs leave nothing behind in a shared Redis. */
export async function deleteKeys(url: string, keyPrefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

/** An API answer as the harness reads it: the status, and the JSON body (null when none). */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

/** JSON calls to the API over `http` with a bearer token (and an Idempotency-Key when given). */
export function apiCaller(http: UndiciPool) {
  return async (
    method: string,
    route: string,
    token: string,
    body?: unknown,
    key?: string,
  ): Promise<ApiAnswer> => {
    const res = await http.request({
      method: method as 'POST',
      path: route,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.statusCode,
      body: (await res.body.json().catch(() => null)) as Record<string, unknown> | null,
    };
  };
}
