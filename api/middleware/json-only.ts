import type { Middleware } from 'koa';
import { AppError } from '../../shared/errors.js';

/** Bodies are JSON; anything else is refused up front rather than silently read as `{}`. */
export function jsonOnly(): Middleware {
  return async (ctx, next) => {
    const hasBody = Number(ctx.get('Content-Length') || 0) > 0 || ctx.get('Transfer-Encoding') !== '';
    if (hasBody && !ctx.is('application/json')) {
      throw new AppError(415, 'unsupported_media_type', 'Request bodies must be application/json');
    }
    await next();
  };
}
