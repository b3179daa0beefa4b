import Joi from 'joi';
import { type FindOptions, type Model, type ModelStatic, Op, type WhereOptions } from 'sequelize';
import { ValidationFailed } from '../shared/errors.js';
import { isoDateString, uuid } from './schemas.js';

/** Lists take `limit` (1..100) and an opaque `cursor`, and answer `{ data, next }`. */
export const pageQuery = {
  limit: Joi.number().integer().min(1).max(100).default(20).description('Page size'),
  cursor: Joi.string()
    .max(500)
    .description('The `next` of the previous page; a cursor not made by this API is a 400'),
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

type Keyed = Model & { id: string };

export interface KeysetPage<M> {
  data: M[];
  next: string | null;
}

/**
 * One page of `model` in (`key`, id) order, after the cursor if one is given: keyset
 * pagination, so a page costs the same however deep it is and rows inserted meanwhile are
 * neither skipped nor repeated. `key` is a timestamp attribute (millisecond precision, like
 * the cursor).
 */
export async function keysetPage<M extends Keyed>(
  model: ModelStatic<M>,
  options: {
    key: string;
    direction: 'ASC' | 'DESC';
    where: WhereOptions[];
    limit: number;
    cursor?: string;
    include?: FindOptions['include'];
  },
): Promise<KeysetPage<M>> {
  const { key, direction, limit } = options;
  const where = [...options.where];
  if (options.cursor) {
    const c = decodeCursor(options.cursor, { [key]: isoDateString, id: uuid });
    const beyond = direction === 'ASC' ? Op.gt : Op.lt;
    const at = new Date(c[key]!);
    where.push({ [Op.or]: [{ [key]: { [beyond]: at } }, { [key]: at, id: { [beyond]: c.id } }] });
  }
  const rows = await model.findAll({
    where: { [Op.and]: where },
    order: [
      [key, direction],
      ['id', direction],
    ],
    limit: limit + 1,
    include: options.include,
  });
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  const next =
    rows.length > limit && last
      ? encodeCursor({ [key]: (last.get(key) as Date).toISOString(), id: last.id })
      : null;
  return { data, next };
}
