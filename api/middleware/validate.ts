import type Joi from 'joi';
import { ValidationFailed } from '../../shared/errors.js';

type Where = 'body' | 'query' | 'params' | 'headers';

/**
 * Validates one part of a request. Bodies are strict (no type coercion: `"5"` is not a number,
 * unknown fields are refused); query strings and path params arrive as text, so they convert.
 */
export function validate<T>(schema: Joi.Schema<T>, value: unknown, where: Where): T {
  const { value: result, error } = schema.validate(value, {
    abortEarly: false,
    convert: where !== 'body',
    allowUnknown: where === 'headers',
    errors: { wrap: { label: false } },
  });
  if (error) {
    throw new ValidationFailed(
      `Invalid ${where}: ${error.details.map((d) => d.message).join('; ')}`,
      error.details.map((d) => ({ in: where, path: d.path.join('.'), message: d.message })),
    );
  }
  return result;
}
