/**
 * Is a failed allocation step's error a passing one, which says nothing about the requests it
 * was deciding? Those are retried as they always were and never count towards setting a request
 * aside (worker/allocation/poison-requests.ts). The rule, by PostgreSQL's SQLSTATE
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html) and by how the connection failed:
 *
 * - passing: class 08 (connection exception), 40 (transaction rollback: serialization failure,
 *   deadlock), 53 (insufficient resources), 57 (operator intervention: admin shutdown, crash
 *   shutdown, cannot connect now, query cancelled or timed out), 58 (system error), 55P03 (lock
 *   not available); and a connection that failed without a SQLSTATE: Sequelize's connection and
 *   pool errors, socket errors (ECONNRESET, EPIPE...), node-postgres's "Connection terminated";
 * - anything else counts against the request being decided: data errors (22), integrity
 *   violations (23), an exception a trigger or function raised (P0), and every error thrown by
 *   the step's own code (the pure ledger, a payload it cannot read).
 *
 * Erring towards "passing" only delays a poison request's setting aside until the job's retries
 * and the reconciler give up on it; erring the other way could reject a sound request, so every
 * connection-level failure is passing.
 */
const PASSING_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const PASSING_SQLSTATES = new Set(['55P03']);
const PASSING_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const PASSING_SEQUELIZE_ERRORS =
  /^Sequelize(Connection\w*|HostNotFound|HostNotReachable|AccessDenied|InvalidConnection|ConnectionAcquireTimeout|Timeout)Error$/;
const PASSING_MESSAGES = /Connection terminated|not queryable|connection (is )?closed|Connection lost/i;

export function isPassingFailure(err: unknown): boolean {
  for (const e of causes(err)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && /^[0-9A-Z]{5}$/.test(code)) {
      if (PASSING_SQLSTATES.has(code) || PASSING_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
      // A SQLSTATE is the server's verdict on the statement; the chain below adds nothing.
      return false;
    }
    if (code && PASSING_SOCKET_CODES.has(code)) return true;
    if (typeof e.name === 'string' && PASSING_SEQUELIZE_ERRORS.test(e.name)) return true;
    if (typeof e.message === 'string' && PASSING_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** The error and what it wraps (Sequelize's `parent` / `original`, `cause`), outermost first. */
function causes(err: unknown): { code?: unknown; name?: unknown; message?: unknown }[] {
  const chain: { code?: unknown; name?: unknown; message?: unknown }[] = [];
  let next: unknown = err;
  while (next && typeof next === 'object' && chain.length < 5 && !chain.includes(next)) {
    const e = next as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      parent?: unknown;
      original?: unknown;
      cause?: unknown;
    };
    chain.push(e);
    next = e.parent ?? e.original ?? e.cause;
  }
  return chain;
}

/** What a log line or the request's row says of a failure: its message, never its stack. */
export function failureMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
