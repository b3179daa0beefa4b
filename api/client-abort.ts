import type { Context } from 'koa';

/** What Node raises when the other end of a connection closed it: on a stream, on a socket. */
const CONNECTION_CLOSED = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE']);

/**
 * Whether an error only says the client closed its connection before its answer was complete:
 * a download given up, a browser leaving a page while its assets stream. Both must hold: the
 * error is one a closed connection raises, and this request's connection is in fact gone with its
 * answer unfinished; so a reset of another connection (a backing service's) is still an error.
 */
export function isClientAbort(err: Error & { code?: unknown }, ctx: Context): boolean {
  if (typeof err.code !== 'string' || !CONNECTION_CLOSED.has(err.code)) return false;
  const { req, res } = ctx;
  return !res.writableFinished && (req.socket.destroyed || res.destroyed);
}
