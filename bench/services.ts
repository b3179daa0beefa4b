import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Resolves when something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A redis-server of the harness's own, on a spare port with its own directory and the
 * production durability settings (AOF, fsync every second), so the machine's Redis is never
 * touched and a kill loses at most the last second, as it would in production.
 */
export class OwnRedis {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'evently-chaos-redis-'));

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port);
  }

  /** SIGKILL, then start again on the same AOF: a crash and a restart. */
  async crashAndRestart(downMs = 1000): Promise<void> {
    await this.kill();
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A PostgreSQL cluster of the harness's own (initdb in a temp dir, a spare port, run as the
 * `postgres` OS user), so it can be crashed (`pg_ctl restart -m immediate`) without touching the
 * machine's cluster. Needs the server binaries; `available()` says whether they are there.
 */
export class OwnPostgres {
  readonly dir = path.join(mkdtempSync(path.join(tmpdir(), 'evently-chaos-pg-')), 'data');
  private readonly bin: string;

  constructor(readonly port: number) {
    const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
    this.bin = versions.length ? `/usr/lib/postgresql/${versions.at(-1)}/bin` : '';
  }

  static available(): boolean {
    return existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').length > 0;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private asPostgres(command: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    execFileSync(file, argv, { stdio: 'ignore' });
  }

  async start(): Promise<void> {
    if (!existsSync(path.join(this.dir, 'PG_VERSION'))) {
      if (process.getuid?.() === 0) {
        const { uid, gid } = postgresUser();
        chownSync(path.dirname(this.dir), uid, gid);
      }
      this.asPostgres(`${this.bin}/initdb`, ['-D', this.dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    }
    this.asPostgres(`${this.bin}/pg_ctl`, [
      '-D',
      this.dir,
      '-l',
      path.join(path.dirname(this.dir), 'log'),
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${path.dirname(this.dir)} -c max_connections=200`,
      '-w',
      'start',
    ]);
    await waitForPort(this.port);
  }

  /** An immediate (crash-like) restart: in-flight transactions are lost, committed ones are not. */
  async crashAndRestart(): Promise<void> {
    this.asPostgres(`${this.bin}/pg_ctl`, ['-D', this.dir, '-m', 'immediate', '-w', 'stop']);
    await new Promise((r) => setTimeout(r, 1000));
    await this.start();
  }

  async destroy(): Promise<void> {
    try {
      this.asPostgres(`${this.bin}/pg_ctl`, ['-D', this.dir, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(path.dirname(this.dir), { recursive: true, force: true });
    }
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
