import type Joi from 'joi';
import convert from 'joi-to-json';
import type * as oas from 'openapi3-ts/oas31';

// A CommonJS module whose function is its export; its typings declare it as a named one.
const parse = convert as unknown as typeof import('joi-to-json').parse;

/**
 * The request schemas of the document, generated from the Joi schemas the routes validate with
 * (one contract, one source). joi-to-json does the bulk; this adapter mends what it gets wrong,
 * so the result is plain OpenAPI 3.1 JSON Schema that test/openapi.test.ts checks against Joi:
 *
 * - several `.pattern()`s on one string: the converter keeps the last; all of them are kept here
 *   (`pattern` plus `allOf`), and the regex flags it leaves in (`"^\\P{Cc}*$/u"`) are taken off.
 *   JSON Schema patterns are Unicode-aware, so `u` is implied; any other flag is refused.
 * - `.when('<sibling>', …)` on a field: the converter applies the branch unconditionally (a
 *   `waitlist` that may only ever be `false`); here it becomes `if`/`then`/`else` on the object.
 * - `.xor()`: `oneOf` of `required`, not the converter's `if`/`then: false`/`else`.
 * - an object's `.min()`/`.max()` (number of keys): `minProperties`/`maxProperties`.
 * - limits given as `Joi.ref()` (`minQuantity` ≤ `quantity`): JSON Schema cannot compare two
 *   fields, so the limit is dropped; say it in the field's `.description()`.
 * - an object's `.pattern(keySchema, valueSchema)` (a map such as `metadata`): the converter
 *   refuses every key (`additionalProperties: false`); here it is `propertyNames` and
 *   `additionalProperties` from the two schemas.
 */

type Description = Record<string, unknown> & {
  type?: string;
  keys?: Record<string, Description>;
  rules?: { name: string; args?: { regex?: string; limit?: unknown } }[];
  metas?: Record<string, unknown>[];
  whens?: { ref?: { path: string[] }; is?: Description; then?: Description; otherwise?: Description }[];
  patterns?: { schema?: Description; regex?: string; rule?: Description }[];
  flags?: { presence?: string; only?: boolean };
  allow?: unknown[];
};

const PATTERNS = 'x-evently-patterns';
const CONDITIONS = 'x-evently-conditions';
const MIN_KEYS = 'x-evently-min-keys';
const MAX_KEYS = 'x-evently-max-keys';
const MAP = 'x-evently-map';

/** A field's sibling-dependent rule, as JSON Schema (`if`/`then`/`else`) on the object that holds both. */
type Condition = oas.SchemaObject & {
  if: oas.SchemaObject;
  then?: oas.SchemaObject;
  else?: oas.SchemaObject;
};

function branch(key: string, rule: Description | undefined): oas.SchemaObject | undefined {
  if (!rule) return undefined;
  if (rule.flags?.presence === 'forbidden') return { not: { required: [key] } };
  if (rule.flags?.presence === 'required' && rule.type === 'any') return { required: [key] };
  if (rule.flags?.only && rule.allow?.length) {
    const values = rule.allow;
    return { properties: { [key]: values.length === 1 ? { const: values[0] } : { enum: values } } };
  }
  throw new Error(`from-joi: unsupported .when() branch on ${key}: ${JSON.stringify(rule)}`);
}

/** Rewrites what the converter would get wrong into metas this module turns into JSON Schema. */
function prepare(node: Description): Description {
  const out: Description = { ...node };
  const metas = [...(node.metas ?? [])];
  if (node.rules?.some((r) => r.name === 'pattern')) {
    metas.push({ [PATTERNS]: node.rules.filter((r) => r.name === 'pattern').map((r) => r.args?.regex) });
    out.rules = node.rules.filter((r) => r.name !== 'pattern');
  }
  if (node.type === 'object') {
    // The converter leaves an object's `.min()`/`.max()` (how many keys) out.
    for (const rule of node.rules ?? []) {
      const limit = rule.args?.limit;
      if (rule.name === 'min') metas.push({ [MIN_KEYS]: limit });
      if (rule.name === 'max') metas.push({ [MAX_KEYS]: limit });
    }
    if (node.patterns) {
      const [map, ...more] = node.patterns;
      if (!map?.schema || !map.rule || more.length > 0 || node.keys) {
        throw new Error(`from-joi: unsupported object .pattern(): ${JSON.stringify(node.patterns)}`);
      }
      metas.push({
        [MAP]: { propertyNames: convertNode(map.schema), additionalProperties: convertNode(map.rule) },
      });
      const { patterns: _, ...rest } = out;
      Object.assign(out, { ...rest, patterns: [] });
    }
  }
  if (node.keys) {
    const conditions: Condition[] = [];
    out.keys = {};
    for (const [key, child] of Object.entries(node.keys)) {
      const whens = child.whens ?? [];
      for (const when of whens.filter((w) => w.ref)) {
        const is = when.is;
        if (when.ref!.path.length !== 1 || is?.type !== 'any' || is.flags?.presence !== 'required') {
          throw new Error(`from-joi: unsupported .when() on ${key}: ${JSON.stringify(when)}`);
        }
        const then = branch(key, when.then);
        const otherwise = branch(key, when.otherwise);
        conditions.push({
          if: { required: when.ref!.path },
          ...(then ? { then } : {}),
          ...(otherwise ? { else: otherwise } : {}),
        });
      }
      const rest = whens.filter((w) => !w.ref);
      out.keys[key] = prepare({ ...child, whens: rest.length ? rest : undefined });
    }
    if (conditions.length) metas.push({ [CONDITIONS]: conditions });
  }
  for (const field of ['items', 'matches'] as const) {
    const list = node[field];
    if (Array.isArray(list)) {
      out[field] = list.map((item: Description & { schema?: Description }) =>
        item.schema ? { ...item, schema: prepare(item.schema) } : prepare(item),
      );
    }
  }
  if (metas.length) out.metas = metas;
  return out;
}

function pattern(regex: string): string {
  const match = /^\/(.*)\/([a-z]*)$/s.exec(regex);
  if (!match) throw new Error(`from-joi: not a regex: ${regex}`);
  const [, source, flags] = match;
  if (flags && flags !== 'u') throw new Error(`from-joi: regex flags /${flags} have no JSON Schema form`);
  return source!;
}

const isRef = (value: unknown) =>
  typeof value === 'object' && value !== null && 'ref' in value && !Array.isArray(value);

/** Keywords whose value is data, not a schema. */
const VALUES = new Set(['examples', 'default', 'const', 'enum']);

/** Turns this module's metas into JSON Schema and drops what JSON Schema cannot say. */
function finish(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(finish);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (isRef(value)) continue; // a limit given by Joi.ref()
    if (key === MIN_KEYS) out.minProperties = value;
    if (key === MAX_KEYS) out.maxProperties = value;
    if (key === PATTERNS || key === CONDITIONS || key === MIN_KEYS || key === MAX_KEYS || key === MAP)
      continue;
    out[key] = VALUES.has(key) ? value : finish(value);
  }

  const extra: oas.SchemaObject[] = [];
  const patterns = (schema as Record<string, string[] | undefined>)[PATTERNS];
  if (patterns) {
    const [first, ...others] = patterns.map(pattern);
    out.pattern = first;
    extra.push(...others.map((p) => ({ pattern: p })));
  }
  const conditions = (schema as Record<string, Condition[] | undefined>)[CONDITIONS];
  if (conditions) extra.push(...conditions);
  if (extra.length) out.allOf = [...((out.allOf as oas.SchemaObject[]) ?? []), ...extra];
  const map = (schema as Record<string, oas.SchemaObject | undefined>)[MAP];
  if (map) {
    // A map has no named properties: the converter's empty list and refusal give way to its two schemas.
    const { properties: _, ...rest } = out;
    return { ...rest, ...map };
  }
  return out;
}

/** The OpenAPI 3.1 schema of a Joi schema, as its route validates bodies (strict, no unknown keys). */
export function fromJoi(schema: Joi.Schema): oas.SchemaObject {
  return convertNode(schema.describe() as Description);
}

function convertNode(description: Description): oas.SchemaObject {
  const prepared = prepare(description);
  const converted = parse(
    { describe: () => prepared } as unknown as Joi.Schema,
    'open-api-3.1',
    {},
    {
      logicalOpParser: {
        xor: (target: Record<string, unknown>, dependency: { peers: string[] }) => {
          target.oneOf = dependency.peers.map((peer) => ({ required: [peer] }));
        },
      },
    },
  );
  return finish(converted) as oas.SchemaObject;
}

/**
 * The query parameters of a route, from the Joi object it validates `ctx.query` with: one
 * parameter per key, its description taken from the key's Joi `.description()`.
 */
export function queryParameters(schema: Joi.ObjectSchema): oas.ParameterObject[] {
  const { properties = {}, required = [] } = fromJoi(schema);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...shape } = property as oas.SchemaObject;
    return {
      name,
      in: 'query',
      ...(required.includes(name) ? { required: true } : {}),
      ...(description ? { description } : {}),
      schema: shape,
    };
  });
}
