import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './cluster.js';
import { waitForPort } from './services.js';

const run = promisify(execFile);

/** Every node any cluster of this process started; killed when the process exits, even after a failure. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface Node {
  port: number;
  /** The cluster bus port, chosen explicitly: the default (port + 10000) may be taken or past 65535. */
  busPort: number;
  child: ChildProcess;
}

/**
 * A real Redis Cluster of its own: `masters` redis-servers in cluster mode on free loopback ports,
 * no replicas, no persistence, in a temp directory, so the machine's Redis is never touched.
 * Shared by the tests (test/redis-cluster.test.ts) and the benchmarks.
 */
export class OwnRedisCluster {
  private nodes: Node[] = [];
  readonly dir = mkdtempSync(path.join(tmpdir(), 'evently-redis-cluster-'));

  constructor(readonly masters = 3) {}

  /** Why a cluster cannot be started here (a missing binary), or null if it can. */
  static missing(): string | null {
    for (const binary of ['redis-server', 'redis-cli']) {
      try {
        execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
      } catch {
        return `${binary} is not installed (apt-get install redis-server)`;
      }
    }
    return null;
  }

  /** The seed nodes as REDIS_CLUSTER_NODES spells them. */
  get nodeList(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** Starts the nodes, joins them into one cluster (slots spread evenly) and waits until it serves. */
  async start(timeoutMs = 30000): Promise<void> {
    for (let i = 0; i < this.masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--dir',
          this.dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(this.dir, `nodes-${port}.conf`),
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: 'ignore' },
      );
      running.add(child);
      child.on('exit', () => running.delete(child));
      this.nodes.push({ port, busPort, child });
    }
    await Promise.all(this.nodes.map((n) => waitForPort(n.port, timeoutMs)));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await this.waitUntilServing(timeoutMs);
  }

  /** Every node says `cluster_state:ok` and knows every other (the gossip has converged). */
  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(this.nodes.map((n) => clusterInfo(n.port)));
      const ok = states.every(
        (info) =>
          info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${this.nodes.length}`),
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not converge:\n${states.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The hash slot of `key` (CLUSTER KEYSLOT), as the cluster computes it. */
  async slotOf(key: string): Promise<number> {
    return this.onNode(this.nodes[0]!.port, async (redis) =>
      Number(await redis.call('CLUSTER', 'KEYSLOT', key)),
    );
  }

  /** The keys matching `pattern` stored on the master at `port` (SCAN of that node alone). */
  async keysOn(port: number, pattern: string): Promise<string[]> {
    return this.onNode(port, async (redis) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
      return keys;
    });
  }

  /** The port of the master serving `key`'s slot. */
  async nodeOf(key: string): Promise<number> {
    const slot = await this.slotOf(key);
    return this.onNode(this.nodes[0]!.port, async (redis) => {
      const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no node serves slot ${slot}`);
      return owner[2][1];
    });
  }

  /** A plain connection to one node (no cluster redirects), for the duration of `use`. */
  private async onNode<T>(port: number, use: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(port, '127.0.0.1');
    try {
      return await use(redis);
    } finally {
      redis.disconnect();
    }
  }

  /** Stops every node (SIGKILL: nothing to keep) and removes the directory. */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    this.nodes = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function clusterInfo(port: number): Promise<string> {
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined); // a node still starting: the next poll asks again
  try {
    await redis.connect();
    return String(await redis.call('CLUSTER', 'INFO'));
  } catch {
    return '';
  } finally {
    redis.disconnect();
  }
}
