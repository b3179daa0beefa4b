import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Once per `npm test`. Jest loads globalSetup outside its module mapper, so the TypeScript
 * preparation runs through tsx, exactly as the service's own scripts do.
 */
export default function globalSetup() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'prepare-database.ts')], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}
