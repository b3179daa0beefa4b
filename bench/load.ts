import { type Dispatcher, Pool } from 'undici';

/**
 * The bench's HTTP load generator. A client submits a booking request and, in `poll` mode, then
 * does what the README tells clients to: `GET` the request's `Location` with `Prefer: wait=10`
 * until it is decided; in `wait` mode it sends `Prefer: wait=10` with the submission itself (the
 * README's one-round-trip form). `submit` mode stops at the `202`.
 * `fire()` is a closed loop of `clients` clients; `fireAtRate()` an open loop at a fixed rate.
 */

/**
 * How a client learns its outcome: `poll` submits, then long-polls the `202`'s `Location`;
 * `wait` sends `Prefer: wait` with the submission itself (a `200` carries the outcome) and
 * long-polls only if it still gets a `202`; `submit` stops at the submission.
 */
export type ClientMode = 'poll' | 'wait' | 'submit';

/** The long-poll each client asks for, seconds (the README's example). */
const POLL_WAIT_SECONDS = 10;

export interface Planned {
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A submission's answer; `latencyMs` runs from the request's start (open loop: its intended start). */
export interface Sent {
  status: number;
  latencyMs: number;
  body: unknown;
}

/** A booking request's outcome as its client learned it, or the failure that kept it from learning. */
export interface Learned {
  /** The request's `status` once decided; null when a poll failed (then `error` says how). */
  status: string | null;
  error?: string;
  /** From the request's start (open loop: its intended start) to the client knowing the outcome. */
  latencyMs: number;
  polls: number;
}

export interface Callbacks {
  onSubmitted(sent: Sent, index: number): void;
  /** Poll mode only: once per accepted request. */
  onLearned?(learned: Learned, index: number): void;
}

/**
 * A closed loop: `clients` clients, each sending its share of `requests` one after another (and,
 * in poll mode, learning each outcome before its next), so offered load adapts to the server, as
 * real clients waiting on answers do. One connection per client: a client has one request in
 * flight at a time.
 */
export async function fire(
  baseUrl: string,
  clients: number,
  requests: readonly Planned[],
  mode: ClientMode,
  callbacks: Callbacks,
): Promise<void> {
  const pool = new Pool(baseUrl, { connections: clients, pipelining: 1, keepAliveTimeout: 30000 });
  let next = 0;
  const client = async () => {
    for (;;) {
      const index = next++;
      const request = requests[index];
      if (!request) return;
      await buyer(pool, request, performance.now(), mode, index, callbacks);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  await pool.close();
}

/**
 * An open loop: request i starts at `i / rate` seconds whatever the answers, as buyers arrive at
 * an on-sale. Latencies run from each request's intended start, so a generator or server that
 * falls behind shows as latency instead of as fewer requests (no coordinated omission). Returns
 * when the last was sent and every buyer is done, with the rate actually sent (requests a second).
 */
export async function fireAtRate(
  baseUrl: string,
  rate: number,
  requests: readonly Planned[],
  mode: ClientMode,
  callbacks: Callbacks,
): Promise<{ achievedRate: number }> {
  // Unbounded connections: a capped pool would queue arrivals inside the generator behind
  // long-polls that hold their socket for up to POLL_WAIT_SECONDS, turning the open loop back
  // into a closed one. Each buyer gets a socket as real buyers' browsers do.
  const pool = new Pool(baseUrl, { connections: null, pipelining: 1, keepAliveTimeout: 30000 });
  const intervalMs = 1000 / rate;
  const started = performance.now();
  const buyers: Promise<void>[] = [];
  let lastSentAt = started;
  for (let index = 0; index < requests.length; ) {
    const now = performance.now();
    // Everything due by now goes at once: after a stall the backlog is sent, late, not skipped.
    for (; index < requests.length && started + index * intervalMs <= now; index++) {
      buyers.push(buyer(pool, requests[index]!, started + index * intervalMs, mode, index, callbacks));
      lastSentAt = now;
    }
    const wait = started + index * intervalMs - performance.now();
    if (index < requests.length) await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  await Promise.all(buyers);
  await pool.close();
  return { achievedRate: requests.length / Math.max(0.001, (lastSentAt - started + intervalMs) / 1000) };
}

/** One buyer: submit, then (poll mode) long-poll its Location until the outcome is known. */
async function buyer(
  dispatcher: Dispatcher,
  request: Planned,
  startedAt: number,
  mode: ClientMode,
  index: number,
  callbacks: Callbacks,
): Promise<void> {
  let location: string | undefined;
  try {
    const prefer: Record<string, string> = mode === 'wait' ? { prefer: `wait=${POLL_WAIT_SECONDS}` } : {};
    const res = await dispatcher.request({
      method: 'POST',
      path: request.path,
      headers: { 'content-type': 'application/json', ...request.headers, ...prefer },
      body: JSON.stringify(request.body),
    });
    const body = (await res.body.json().catch(() => null)) as { status?: string } | null;
    const latencyMs = performance.now() - startedAt;
    callbacks.onSubmitted({ status: res.statusCode, latencyMs, body }, index);
    if (res.statusCode === 202) location = String(res.headers.location);
    // Decided within the submission's own wait: the outcome is known without a poll.
    if (mode === 'wait' && res.statusCode === 200 && body?.status && body.status !== 'queued') {
      callbacks.onLearned?.({ status: body.status, latencyMs, polls: 0 }, index);
      return;
    }
  } catch (err) {
    callbacks.onSubmitted({ status: 0, latencyMs: performance.now() - startedAt, body: String(err) }, index);
  }
  if (mode === 'submit' || !location) return;
  const authorization = request.headers.authorization ?? '';
  let polls = 0;
  try {
    for (;;) {
      polls += 1;
      const res = await dispatcher.request({
        method: 'GET',
        path: location,
        headers: { authorization, prefer: `wait=${POLL_WAIT_SECONDS}` },
      });
      const body = (await res.body.json().catch(() => null)) as { status?: string } | null;
      if (res.statusCode !== 200 || !body?.status) throw new Error(`GET ${location}: ${res.statusCode}`);
      if (body.status !== 'queued') {
        callbacks.onLearned?.(
          { status: body.status, latencyMs: performance.now() - startedAt, polls },
          index,
        );
        return;
      }
    }
  } catch (err) {
    // The caller counts it as an error; the read-back after the run still checks the request.
    const latencyMs = performance.now() - startedAt;
    callbacks.onLearned?.({ status: null, error: String(err), latencyMs, polls }, index);
  }
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
