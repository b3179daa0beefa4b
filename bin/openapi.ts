// `npm run openapi [-- FILE]`: the OpenAPI document the API serves at /openapi.json, written to
// FILE (or stdout), for linters and client generators; no database or Redis needed.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocument } from '../api/openapi/document.js';

const text = `${JSON.stringify(openApiDocument, null, 2)}\n`;
const file = process.argv[2];
if (file) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
} else process.stdout.write(text);
