import { type ChildProcess, spawn } from 'node:child_process';

/** A node process a test started, with everything it writes collected. */
export interface NodeRun {
  child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr), for assertions and failure messages. */
  output: () => string;
  /** Its JSON log lines so far. */
  lines: () => Record<string, unknown>[];
  /** Resolves to the exit code once it has exited. */
  exited: Promise<number | null>;
}

/** `node <args>` in `cwd` with `env` added, and no NODE_OPTIONS (jest's included). */
export function runNode(cwd: string, args: string[], env: Record<string, string>): NodeRun {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return {
    child,
    output: () => output,
    lines: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}
