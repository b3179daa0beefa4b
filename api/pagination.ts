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

/**
 * Decodes a cursor made by `encodeCursor`, checking each field against its schema: a cursor
 * is opaque to clients, but a tampered one must be a 400, never a query the database refuses.
 */
export function decodeCursor<K extends string>(
  cursor: string,
  fields: Record<K, Joi.Schema>,
): Record<K, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined; // not JSON: answered by the one error below
  }
  const { value, error } = Joi.object(fields).required().validate(parsed, { presence: 'required' });
  if (error) {
    throw new ValidationFailed('Invalid cursor', [
      { in: 'query', path: 'cursor', message: 'not a cursor from this API' },
    ]);
  }
  return value as Record<K, string>;
}
