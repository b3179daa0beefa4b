import { Pool } from 'undici';

export interface Sent {
  status: number;
  latencyMs: number;
  body: unknown;
}

/**
 * A pooled HTTP load generator: `clients` concurrent connections, each sending its share of
 * `requests` back to back (a closed loop, so offered load adapts to the server, as real clients
 * waiting on answers do).
 */
export async function fire(
  baseUrl: string,
  clients: number,
  requests: readonly { path: string; headers: Record<string, string>; body: unknown }[],
  onDone: (sent: Sent, index: number) => void,
): Promise<void> {
  const pool = new Pool(baseUrl, { connections: clients, pipelining: 1, keepAliveTimeout: 30000 });
  let next = 0;
  const client = async () => {
    for (;;) {
      const index = next++;
      const request = requests[index];
      if (!request) return;
      const started = performance.now();
      try {
        const res = await pool.request({
          method: 'POST',
          path: request.path,
          headers: { 'content-type': 'application/json', ...request.headers },
          body: JSON.stringify(request.body),
        });
        const body = await res.body.json().catch(() => null);
        onDone({ status: res.statusCode, latencyMs: performance.now() - started, body }, index);
      } catch (err) {
        onDone({ status: 0, latencyMs: performance.now() - started, body: String(err) }, index);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  await pool.close();
}

/** GETs many paths with bounded concurrency; returns the parsed bodies in order. */
export async function getAll(
  baseUrl: string,
  concurrency: number,
  paths: readonly { path: string; headers: Record<string, string> }[],
): Promise<{ status: number; body: unknown }[]> {
  const pool = new Pool(baseUrl, { connections: concurrency });
  const results: { status: number; body: unknown }[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const item = paths[index];
      if (!item) return;
      const res = await pool.request({ method: 'GET', path: item.path, headers: item.headers });
      results[index] = { status: res.statusCode, body: await res.body.json().catch(() => null) };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return results;
}
