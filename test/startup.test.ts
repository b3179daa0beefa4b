import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './support/harness.js';

/** Runs `npm start`'s entry with `env` and collects how it ends. */
function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> {
  const began = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/start.ts')], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr, ms: Date.now() - began });
    });
  });
}

describe('start-up with a backing service down', () => {
  test.each([
    [
      'PostgreSQL',
      { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/evently' },
      'postgres://postgres:***@127.0.0.1:1/evently',
    ],
    ['Redis', { REDIS_URL: 'redis://127.0.0.1:1' }, 'redis://127.0.0.1:1'],
  ])('exits within 10 s with one line naming %s and its URL', async (service, env, shownUrl) => {
    const result = await start(env);
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(10000);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Cannot reach ${service} at ${shownUrl}`);
    expect(lines[0]).not.toContain('secret');
    expect(lines[0]).toMatch(/docker compose up -d|set (DATABASE|REDIS)_URL/);
  });

  test('an invalid setting is refused with one line and exit code 2', async () => {
    const result = await start({ PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('"PORT" must be a number');
  });
});
