import type { OpenAPI3 } from 'openapi-typescript';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { openApiDocument } from '../api/openapi/document.js';

/** Where `npm run client` writes the types; test/typed-client.test.ts checks it is current. */
export const SCHEMA_FILE = 'client/schema.d.ts';

/**
 * The client's types, generated from the OpenAPI document the API serves (its one source), by
 * openapi-typescript: `paths` for openapi-fetch, `components` and `webhooks` (the payloads).
 */
export async function generateClientSchema(): Promise<string> {
  const ast = await openapiTS(structuredClone(openApiDocument) as unknown as OpenAPI3, {
    silent: true,
    // A default is what the server assumes when a request leaves the field out: optional to send.
    defaultNonNullable: false,
  });
  return `${COMMENT_HEADER.replace('.\n */', ' (`npm run client`).\n */')}${astToString(ast)}`;
}
