// A throwaway PostgreSQL cluster of the fault tests' own (never the shared test database): they
// stop, restart and freeze it. Runs the Debian binaries directly (as the `postgres` user when we
// are root: PostgreSQL refuses to run as root), on a free port of 127.0.0.1 with its socket in its
// own directory. Every cluster started here is stopped and removed by destroy(), by
// destroyAllPostgresServers() (after hooks), and, should the test process die first, by an exit hook.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** The newest /usr/lib/postgresql/<version>/bin with pg_ctl, or undefined (the suite then skips). */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b));
  const newest = versions.at(-1);
  return newest ? path.join(base, newest, 'bin') : undefined;
}

export const POSTGRES_MISSING =
  'PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql): the database fault tests need a cluster they can stop and freeze';

function pgUid(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const out = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

// PostgreSQL tools as the postgres user when root.
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const live = new Set<PostgresServer>();

export class PostgresServer {
  private frozenPids: number[] = [];
  private running = false;

  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Connection URL for `database` (as the superuser `postgres`, trust authentication). */
  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** initdb + start on a free port. Retries with another port if the one found free was taken. */
  static async start(): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (!bin) throw new Error(POSTGRES_MISSING);
    // Under /tmp: every parent must be traversable by the postgres user.
    const dir = mkdtempSync('/tmp/fault-pg-');
    await chmod(dir, 0o755);
    const ids = pgUid();
    if (ids) await chown(dir, ids.uid, ids.gid);
    const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
    try {
      const [cmd, args] = asPostgres(path.join(bin, 'initdb'), [
        '-D',
        path.join(dir, 'data'),
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--no-sync',
      ]);
      await run(cmd, args, { timeout: 60_000 });
    } catch (err) {
      cleanupDir();
      throw err;
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const server = new PostgresServer(bin, dir, await freePort());
      live.add(server);
      try {
        await server.restart();
        return server;
      } catch (err) {
        lastError = err;
        live.delete(server);
      }
    }
    cleanupDir();
    throw lastError;
  }

  private pgCtl(args: string[]) {
    const [cmd, full] = asPostgres(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, ...args]);
    return run(cmd, full, { timeout: 60_000 });
  }

  /** Starts (again) on the same port with the same options. */
  async restart(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
    await this.pgCtl(['-l', path.join(this.dir, 'server.log'), '-w', '-t', '30', '-o', options, 'start']);
    this.running = true;
  }

  /** Running and answering again, whatever a failed test left it in (after hooks). */
  async ensureRunning(): Promise<void> {
    this.thaw();
    if (!this.running) await this.restart();
  }

  /** Stops at once, as a crash would (`-m immediate`): connections are cut without goodbye. */
  async stop(): Promise<void> {
    this.thaw();
    await this.pgCtl(['-m', 'immediate', '-w', '-t', '30', 'stop']);
    this.running = false;
  }

  private pids(): number[] {
    const pidFile = path.join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return [];
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!postmaster) return [];
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    return [postmaster, ...children];
  }

  /** SIGSTOP to the postmaster and its children: connections stay open, nothing answers. */
  freeze(): void {
    const pids = this.pids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    this.frozenPids = pids;
  }

  thaw(): void {
    for (const pid of this.frozenPids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    this.frozenPids = [];
  }

  /** Thaws, stops and removes the cluster. Safe to call twice. */
  async destroy(): Promise<void> {
    if (!live.has(this)) return;
    live.delete(this);
    this.thaw();
    if (this.running) await this.pgCtl(['-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined);
    this.running = false;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last resort for the exit hook. */
  destroySync(): void {
    live.delete(this);
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    const [cmd, args] = asPostgres(path.join(this.bin, 'pg_ctl'), [
      '-D',
      this.dataDir,
      '-m',
      'immediate',
      '-w',
      'stop',
    ]);
    spawnSync(cmd, args, { timeout: 30_000 });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function destroyAllPostgresServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.destroy()));
}

// A test process that ends without its after hooks (an uncaught error, mocha bailing out) must not
// leave a cluster (and a frozen one at that) behind.
process.once('exit', () => {
  for (const server of [...live]) server.destroySync();
});
