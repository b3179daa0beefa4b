import type { Middleware } from 'koa';
import { ConnectionError, ForeignKeyConstraintError, BaseError as SequelizeError } from 'sequelize';
import { AppError } from '../../shared/errors.js';
import type { AppState } from '../context.js';

interface HttpishError extends Error {
  status?: number;
  expose?: boolean;
  type?: string;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  501: 'not_implemented',
};

/**
 * The one place errors become HTTP: `{"error": {"code", "message", "details"}}` with the right
 * status. Clients never see a stack trace or SQL; unexpected errors are logged with the request
 * id, which the client gets back to quote.
 */
export function errorHandler(): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      // The router answers unknown paths and methods with an empty body; give them the error shape.
      if (ctx.body === undefined && ctx.status === 404) {
        throw new AppError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
      }
      if (ctx.body === undefined && (ctx.status === 405 || ctx.status === 501)) {
        throw new AppError(
          ctx.status,
          CODE_BY_STATUS[ctx.status]!,
          `${ctx.method} is not allowed on ${ctx.path}`,
          {
            allow: ctx.response.get('Allow'),
          },
        );
      }
    } catch (caught) {
      const err = caught as HttpishError;
      let status = 500;
      let code = 'internal_error';
      let message = 'Something went wrong on our side; quote the request id when reporting it.';
      let details: unknown;

      if (err instanceof AppError) {
        ({ status, code, message, details } = err);
        for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
      } else if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        status = err.status;
        const unparsable = err instanceof SyntaxError || err.type === 'entity.parse.failed';
        code = unparsable ? 'invalid_json' : (CODE_BY_STATUS[status] ?? 'bad_request');
        message = unparsable
          ? 'The request body is not valid JSON'
          : err.expose
            ? err.message
            : 'Bad request';
      } else if (err instanceof ForeignKeyConstraintError && PERSON_KEY.test(String(err.index))) {
        // The caller's account was deleted while its token still lives: that caller's problem
        // alone, never a 500.
        status = 401;
        code = 'unauthorized';
        message = 'Account no longer exists';
        ctx.set('WWW-Authenticate', 'Bearer');
      } else if (err instanceof ConnectionError || isRedisUnavailable(err)) {
        status = 503;
        code = 'service_unavailable';
        message = 'A backing service is unavailable; retry shortly.';
        ctx.set('Retry-After', '5');
      }

      if (status >= 500) {
        ctx.state.logger?.error({ err }, 'request failed');
      } else if (!(err instanceof AppError)) {
        ctx.state.logger?.debug({ err: err.message }, 'request rejected');
      }
      ctx.status = status;
      ctx.body = { error: { code, message, details: details ?? null } };
    }
  };
}

/** Foreign keys that point at the person behind a request (`users.id`). */
const PERSON_KEY = /_(principal|owner|user)_id_fkey$/;

function isRedisUnavailable(err: Error): boolean {
  if (err instanceof SequelizeError) return false;
  return /Connection is closed|ECONNREFUSED|Stream isn't writeable|MaxRetriesPerRequest/i.test(
    err.message ?? '',
  );
}
