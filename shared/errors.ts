/**
 * Typed domain errors. Code throws these; one API middleware maps them to HTTP.
 * `status` lives here so the mapping is one table, not scattered `ctx.status = ...`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'validation_failed', message, details);
  }
}

export class Unauthorized extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer' });
  }
}

/** Sign-in to an account an admin has disabled. */
export class AccountDisabled extends AppError {
  constructor() {
    super(403, 'account_disabled', 'This account has been disabled; contact an administrator');
  }
}

export class Forbidden extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super(403, 'forbidden', message);
  }
}

export class NotFound extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

export class Conflict extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(409, code, message, details);
  }
}

export class Unprocessable extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(422, code, message, details);
  }
}

export class ServiceUnavailable extends AppError {
  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(503, code, message, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export class RateLimited extends AppError {
  constructor(message: string, retryAfterSeconds: number, headers: Record<string, string> = {}) {
    super(
      429,
      'rate_limited',
      message,
      { retryAfterSeconds },
      { ...headers, 'Retry-After': String(retryAfterSeconds) },
    );
  }
}
