import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Role {
  name: string;
  child: ChildProcess;
  /** Peak resident memory seen so far, MB (sampled from /proc). */
  peakRssMb: number;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** As the Dockerfile and docker-compose.yml run the roles. */
const PRODUCTION_NODE_ARGS = ['--max-old-space-size=192', '--max-semi-space-size=16'];

/**
 * Starts `bin/<entry>.ts` as its own process; resolves when its log says `ready`, or, when
 * `ready` is a URL, when that URL answers 200.
 */
export async function startRole(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: string,
): Promise<Role> {
  // The production heap settings (Dockerfile, docker-compose.yml), then BENCH_API_NODE_ARGS /
  // BENCH_WORKER0_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=prof", for profiling.
  const extra = [
    ...PRODUCTION_NODE_ARGS,
    ...(process.env[`BENCH_${name.toUpperCase()}_NODE_ARGS`] ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(
    process.execPath,
    [...extra, '--import', 'tsx', path.join(repoRoot, 'bin', `${entry}.ts`)],
    {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  // BENCH_LOG_DIR=dir keeps every role's full log in dir/<name>.log, for looking into a run.
  const logDir = process.env.BENCH_LOG_DIR;
  const file = logDir ? createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' }) : null;
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20000);
    file?.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${log}`)), 30000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    if (ready.startsWith('http')) {
      const poll = () =>
        fetch(ready)
          .then((res) => (res.ok ? done() : setTimeout(poll, 100)))
          .catch(() => setTimeout(poll, 100));
      poll();
    } else {
      child.stdout!.on('data', () => {
        if (log.includes(ready)) done();
      });
    }
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${log}`));
    });
  });
  return { name, child, peakRssMb: 0 };
}

export async function stopRole(role: Role): Promise<void> {
  if (role.child.exitCode !== null) return;
  const exited = new Promise((resolve) => role.child.on('exit', resolve));
  role.child.kill('SIGTERM');
  await exited;
}

/** Reads the process's resident set size from /proc (Linux), MB. */
function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0; // the process has exited: nothing to sample
  }
}

/**
 * User + system CPU time the role's process has used so far, seconds (Linux /proc; 0 once it has
 * exited). Other work shares this machine's cores, so CPU time per request compares runs better
 * than throughput alone.
 */
export function cpuSeconds(role: Role): number {
  try {
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${role.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0; // the process has exited: nothing to read
  }
}

/** USER_HZ: 100 on the Linux kernels the bench runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Samples every role's RSS every 200 ms, keeping the peak; returns a stop function. */
export function sampleMemory(roles: Role[]): () => void {
  const timer = setInterval(() => {
    for (const role of roles) role.peakRssMb = Math.max(role.peakRssMb, rssMb(role.child.pid));
  }, 200);
  return () => clearInterval(timer);
}
