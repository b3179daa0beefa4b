import Joi from 'joi';
import { ValidationFailed } from '../shared/errors.js';

/** Lists take `limit` (1..100) and an opaque `cursor`, and answer `{ data, next }`. */
export const pageQuery = {
  limit: Joi.number().integer().min(1).max(100).default(20),
  cursor: Joi.string().max(500),
};

export function encodeCursor(values: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`, checking it carries exactly the expected fields. */
export function decodeCursor<K extends string>(cursor: string, keys: readonly K[]): Record<K, string> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && keys.every((k) => typeof parsed[k] === 'string')) {
      return parsed as Record<K, string>;
    }
  } catch {
    // fall through to the one error below: a cursor is either ours and intact, or invalid
  }
  throw new ValidationFailed('Invalid cursor', [
    { in: 'query', path: 'cursor', message: 'not a cursor from this API' },
  ]);
}
