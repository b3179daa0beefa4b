import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Role {
  name: string;
  child: ChildProcess;
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
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a role that missed its start must not outlive the harness
      reject(new Error(`${name} did not start:\n${log}`));
      // A guard against a role that hangs, not a measure: generous, so a loaded machine (a CI run
      // with other suites' processes) starts its roles in time.
    }, 90_000);
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
  return { name, child };
}

/** Sends SIGTERM and waits for the exit: the exit code, or the signal's name if one ended it. */
export async function stopRole(role: Role): Promise<number | string> {
  const { child } = role;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode!;
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  child.kill('SIGTERM');
  return exited;
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

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null; // the process has exited
  }
}

/**
 * User + system CPU time the process has used so far, seconds (Linux /proc; 0 once it has
 * exited). Other work shares this machine's cores, so CPU time per request compares runs better
 * than throughput alone.
 */
export function cpuSeconds(pid: number | undefined): number {
  const fields = pid ? statFields(pid) : null;
  if (!fields) return 0;
  // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on the Linux kernels the bench runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** A process of the service under test and what it does there. */
export interface ServiceProcess {
  pid: number;
  role: 'api' | 'worker' | 'supervisor';
}

/**
 * The supervisor's children (`npm start`, bin/supervisor.ts) and their roles. node:cluster forks
 * `node <execArgv> bin/start.ts <role>`, so a child's role is the last argument of its command
 * line. Found by scanning /proc for processes whose parent is the supervisor: this kernel has no
 * /proc/<pid>/task/<tid>/children. A child that is being forked, or whose command line names no
 * role, is left out.
 */
export function supervisedChildren(supervisorPid: number): ServiceProcess[] {
  const children: ServiceProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    // ppid is the 4th field of the line, the 2nd after the name.
    if (Number(statFields(pid)?.[1]) !== supervisorPid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // it exited meanwhile
    }
    const role = argv.at(-1);
    if (role === 'api' || role === 'worker') children.push({ pid, role });
  }
  return children;
}

export interface MemoryPeaks {
  /** Peak RSS of each process seen, MB. */
  byPid: Map<number, number>;
  /** Peak of the sum over every process at one sample, MB: what the whole service held at once. */
  totalMb: number;
}

/** Samples the RSS of `processes()` every 200 ms, keeping the peaks; returns them and a stop function. */
export function sampleMemory(processes: () => ServiceProcess[]): { peaks: MemoryPeaks; stop: () => void } {
  const peaks: MemoryPeaks = { byPid: new Map(), totalMb: 0 };
  const timer = setInterval(() => {
    let total = 0;
    for (const { pid } of processes()) {
      const mb = rssMb(pid);
      total += mb;
      peaks.byPid.set(pid, Math.max(peaks.byPid.get(pid) ?? 0, mb));
    }
    peaks.totalMb = Math.max(peaks.totalMb, total);
  }, 200);
  return { peaks, stop: () => clearInterval(timer) };
}
