import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { repoRoot } from './harness.js';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it when it can. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

/** `test` where Chromium is installed; elsewhere `test.skip`, saying why on stdout. */
export function browserTest(): jest.It {
  if (hasChromium) return test;
  process.stdout.write(`browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium)\n`);
  return test.skip;
}

/** Headless Chromium that reaches nothing but this machine (no updates, sync or QUIC probes). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where a test saves what a person would look at (gitignored). */
export function artifactPath(name: string): string {
  const dir = path.join(repoRoot, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
