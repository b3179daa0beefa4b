// The supervisor behind `npm start`: migrations once, then API_PROCESSES API processes and one
// worker process, restarted when they crash, stopped together on SIGTERM/SIGINT.
//
// node:cluster rather than child_process.fork: cluster lets every API process listen on the one
// PORT (the supervisor owns the socket and hands connections out round-robin), which fork alone
// cannot do without a proxy in front or SO_REUSEPORT (not in node 20's net API); it also gives
// each child an IPC channel, which carries readiness and metrics, and ends the children when
// the supervisor dies (a cluster child exits when its channel closes), so none is orphaned.
import cluster, { type Worker } from 'node:cluster';
import { serveMergedMetrics } from '../shared/cluster-metrics.js';
import type { Logger } from '../shared/logger.js';
import { prepare, runMigrations, SHUTDOWN_GRACE_MS } from './prepare.js';

export type ChildRole = 'api' | 'worker';

/** First restart delay after a crash; it doubles with each crash still in the window. */
const RESTART_DELAY_MS = 250;
/**
 * More crashes of one process slot than this within the window is a crash loop (a port in
 * use, a setting only the child checks, a bug at start-up or on every request): restarting
 * again would spin, so the supervisor stops everything and exits non-zero for whoever runs it
 * (systemd, a container's restart policy, a person) to see. Few, because a start-up failure
 * repeats itself, and each try costs a process start.
 */
const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;
/** Beyond the children's own grace period: they force their exit first, this is the backstop. */
const SUPERVISOR_GRACE_MS = SHUTDOWN_GRACE_MS + 5_000;

/** One place for a process: a role and the child currently filling it. */
interface Slot {
  role: ChildRole;
  child?: Worker;
  ready: boolean;
  /** When its children crashed, within the last CRASH_WINDOW_MS. */
  crashes: number[];
  restart?: NodeJS.Timeout;
}

/**
 * Runs as the cluster primary: `entry` is the script each child runs, with its role as the one
 * argument (bin/start.ts). Resolves once the children are forked; the process then lives until
 * the signal handlers or a crash loop end it.
 */
export async function supervise(entry: string): Promise<void> {
  // Migrations once, before any child exists: N processes racing to migrate would contend on
  // umzug's lock, and a failure here is one line instead of N crash loops.
  const { config, logger } = await prepare('supervisor', { migrating: true });
  await runMigrations(config, logger);

  const slots: Slot[] = [
    ...Array.from({ length: config.apiProcesses }, (): Slot => ({ role: 'api', ready: false, crashes: [] })),
    { role: 'worker', ready: false, crashes: [] },
  ];
  // Each API process accepts on the shared socket itself (SCHED_NONE). Node's default on Linux,
  // round-robin in the supervisor (SCHED_RR), spreads connections more evenly, but every new
  // connection then waits for the supervisor and an IPC hand-off: with clients that open
  // connections as they go (the benchmark's open loop at 400 requests/s) submit p99 was 1,015 ms
  // under round-robin and 373 ms without, outcome p99 3.4 s and 0.8 s, for the same throughput.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  serveMergedMetrics(() => slots.filter((slot) => slot.ready && slot.child).map((slot) => slot.child!));

  let stopping = false;
  let failed = false;

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    slot.ready = false;
    // Settings apply to the next fork only: each child is told its role by its argument.
    cluster.setupPrimary({ exec: entry, args: [slot.role] });
    // Outside production an unset JWT_SECRET is a random key per process: each child drawing
    // its own would refuse the tokens its siblings sign. Every child gets the supervisor's.
    const child = cluster.fork({ JWT_SECRET: config.jwtSecret });
    slot.child = child;
    const childPid = child.process.pid;
    logger.info({ childRole: slot.role, childPid }, 'started a child process');
    // A send to a child whose channel just closed is an 'error' event; unheard, it would end the
    // supervisor. The exit that follows is handled below.
    child.on('error', (err) =>
      logger.warn({ err, childRole: slot.role, childPid }, 'child process channel error'),
    );
    child.on('message', (message: unknown) => {
      if (
        typeof message === 'object' &&
        message !== null &&
        'evently' in message &&
        message.evently === 'ready'
      ) {
        slot.ready = true;
        logger.info({ childRole: slot.role, childPid }, 'child process ready');
      }
    });
    child.on('exit', (code, signal) => {
      const wasReady = slot.ready;
      slot.child = undefined;
      slot.ready = false;
      if (stopping) {
        // Ended by our SIGTERM before it had anything to drain: as clean as a drained exit.
        const clean = code === 0 || (!wasReady && signal === 'SIGTERM');
        if (!clean) failed = true;
        logger[clean ? 'info' : 'error'](
          { childRole: slot.role, childPid, code, signal },
          'child process stopped',
        );
        if (slots.every((s) => !s.child)) finish();
        return;
      }
      const now = Date.now();
      slot.crashes = [...slot.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
      if (slot.crashes.length > MAX_CRASHES) {
        logger.fatal(
          {
            childRole: slot.role,
            childPid,
            code,
            signal,
            crashes: slot.crashes.length,
            windowMs: CRASH_WINDOW_MS,
          },
          'child process is crash-looping; stopping everything',
        );
        failed = true;
        stop('crash loop');
        return;
      }
      const delayMs = RESTART_DELAY_MS * 2 ** (slot.crashes.length - 1);
      logger.error(
        { childRole: slot.role, childPid, code, signal, delayMs },
        'child process exited; restarting it',
      );
      slot.restart = setTimeout(() => fork(slot), delayMs);
    });
  };

  const finish = () => {
    logger.info({ failed }, 'supervisor stopped');
    process.exit(failed ? 1 : 0);
  };

  // SIGKILL, then exit 1 once each child's exit has been seen (the exit handler calls finish()),
  // so that none is still alive, or a zombie, when whoever started the supervisor sees it exit.
  const killAll = () => {
    failed = true;
    kill(slots, logger);
    if (slots.every((s) => !s.child)) finish();
  };

  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down: stopping every child process');
    for (const slot of slots) clearTimeout(slot.restart);
    const force = setTimeout(() => {
      logger.error({ timeoutMs: SUPERVISOR_GRACE_MS }, 'children did not stop in time; killing them');
      killAll();
    }, SUPERVISOR_GRACE_MS);
    force.unref();
    // Each child drains on its own (bin/lifecycle.ts): the API finishes in-flight requests, the
    // worker the jobs in hand. A signal, not cluster's disconnect(), which would close only servers.
    for (const slot of slots) slot.child?.process.kill('SIGTERM');
    if (slots.every((s) => !s.child)) finish();
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error({ signal }, 'second signal: killing every child process');
      killAll();
      return;
    }
    stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  logger.info({ apiProcesses: config.apiProcesses, workerProcesses: 1 }, 'supervisor starting its children');
  for (const slot of slots) fork(slot);
}

function kill(slots: Slot[], logger: Logger): void {
  for (const slot of slots) {
    if (!slot.child) continue;
    logger.error({ childRole: slot.role, childPid: slot.child.process.pid }, 'killing child process');
    slot.child.process.kill('SIGKILL');
  }
}
