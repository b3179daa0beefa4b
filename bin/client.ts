// `npm run client`: regenerates the typed client's types (client/schema.d.ts) from the OpenAPI
// document; no database or Redis needed.
import { writeFileSync } from 'node:fs';
import { generateClientSchema, SCHEMA_FILE } from '../client/generate.js';

writeFileSync(SCHEMA_FILE, await generateClientSchema());
