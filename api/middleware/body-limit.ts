import type { Middleware } from 'koa';
import { AppError } from '../../shared/errors.js';

/**
 * A declared body over the limit is refused before anything reads it, whatever the method: the
 * JSON parser enforces the limit on what it parses, but it leaves GET and DELETE bodies unread,
 * and a megabyte nobody asked for should not be accepted there either.
 */
export function bodyLimit(limitKb: number): Middleware {
  const maxBytes = limitKb * 1024;
  return async (ctx, next) => {
    if (Number(ctx.get('Content-Length') || 0) > maxBytes) {
      throw new AppError(413, 'payload_too_large', `Request bodies are limited to ${limitKb} kB`);
    }
    await next();
  };
}
