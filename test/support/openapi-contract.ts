import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Context, Middleware } from 'koa';
import type * as oas from 'openapi3-ts/oas31';
import { openApiDocument } from '../../api/openapi/document.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type Method = (typeof HTTP_METHODS)[number];

/** `:id` -> `{id}`, no trailing slash: a router path in OpenAPI spelling. */
export const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');

/** What one answer broke: undocumented status, or a body that is not what the document says. */
export interface ContractViolation {
  method: string;
  path: string;
  status: number;
  problem: string;
}

/**
 * The OpenAPI document as a contract every answer is checked against: its schemas as one JSON
 * Schema 2020-12 resource (so each is checked against the meta-schema, and `$ref`s resolve),
 * compiled once per response. A documented status with a JSON schema must have a body that
 * matches it; a documented status without content must have no JSON body.
 */
export function openApiContract() {
  const toAjv = (schema: unknown) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"evently#/$defs/'));
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'evently', $defs: toAjv(openApiDocument.components?.schemas) });
  const compiled = new Map<string, ValidateFunction>();

  return {
    /**
     * Null if the answer keeps the contract; what it broke otherwise. `body` is the parsed JSON
     * body, or undefined when the answer is not JSON. Undocumented paths pass.
     */
    check(method: string, path: string, status: number, body: unknown): ContractViolation | null {
      const operation = openApiDocument.paths?.[path]?.[method.toLowerCase() as Method];
      if (!operation) return null;
      const violation = (problem: string) => ({ method, path, status, problem });
      const documented = operation.responses?.[String(status)];
      if (!documented) return violation('status not documented');
      const media = Object.keys(documented.content ?? {});
      const schema = documented.content?.['application/json']?.schema;
      if (body === undefined) {
        // Not JSON: fine where the document allows another media type (a page) or no body.
        return media.length === 0 || media.some((m) => m !== 'application/json')
          ? null
          : violation('no JSON body where the document gives one');
      }
      if (!schema) return violation('a JSON body where the document gives none');
      const key = `${method} ${path} ${status}`;
      let check = compiled.get(key);
      if (!check) {
        check = ajv.compile(toAjv(schema));
        compiled.set(key, check);
      }
      return check(body) ? null : violation(ajv.errorsText(check.errors, { separator: '; ' }));
    },

    /**
     * Null if a webhook payload (`{type, timestamp, data}`) matches the schema the document's
     * `webhooks` section gives its `type`; what is wrong otherwise (an undocumented type too).
     */
    checkWebhook(payload: { type?: unknown }): string | null {
      const type = String(payload.type);
      const operation = openApiDocument.webhooks?.[type]?.post as oas.OperationObject | undefined;
      const schema = (operation?.requestBody as oas.RequestBodyObject | undefined)?.content?.[
        'application/json'
      ]?.schema;
      if (!schema) return `type ${type} is not in the document's webhooks`;
      const key = `webhook ${type}`;
      let check = compiled.get(key);
      if (!check) {
        check = ajv.compile(toAjv(schema));
        compiled.set(key, check);
      }
      return check(payload) ? null : `${type}: ${ajv.errorsText(check.errors, { separator: '; ' })}`;
    },
  };
}

/**
 * A Koa middleware for test servers: checks every answer of a documented route against the
 * document after the app has produced it (outermost, so it sees what the client gets), and
 * records what it broke. So every test of the suite is also a contract test of what it calls.
 */
export function contractRecorder(violations: ContractViolation[]): Middleware {
  const contract = openApiContract();
  return async (ctx: Context, next) => {
    await next();
    const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute;
    if (typeof route !== 'string' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return;
    const json = ctx.response.is('json');
    // What goes on the wire: toJSON() applied, dates as strings.
    const body = json && ctx.body !== undefined ? JSON.parse(JSON.stringify(ctx.body)) : ctx.body;
    const violation = contract.check(ctx.method, toOpenApiPath(route), ctx.status, json ? body : undefined);
    if (violation) violations.push(violation);
  };
}
