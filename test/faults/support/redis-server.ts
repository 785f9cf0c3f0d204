// A redis-server of a test's own, for fault injection: started on a free port of 127.0.0.1 in a
// directory of its own, killed (SIGKILL, as a crash would) and started again on the same port, and
// always stopped and removed by stop(). Nothing is persisted (--save '' --appendonly no).
//
// Pitfalls handled (see scripts/test-services.sh start_redis): a port found free can be taken
// before redis-server binds it, and then another Redis may answer on it. The server is run in the
// foreground (not --daemonize, which exits 0 even when the port is taken), and it is accepted only
// when `CONFIG GET dir` answers with our own directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Undefined when redis-server is installed; otherwise why a test needing it must skip. */
export function redisServerMissing(): string | undefined {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return undefined;
  } catch {
    return 'redis-server is not installed (apt-get install -y --no-install-recommends redis-server)';
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** One RESP command over a fresh socket; resolves with the raw reply, or undefined on any failure. */
function rawCommand(port: number, args: string[], timeoutMs = 500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (value: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('error', () => done(undefined));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      // CONFIG GET dir answers a two-element array: complete once both bulk strings arrived.
      if ((reply.match(/\r\n/g) ?? []).length >= 5) done(reply);
    });
    socket.connect(port, '127.0.0.1', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
  });
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #log = '';

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts a fresh server on a free port (a few attempts: the port may be taken meanwhile). */
  static async start(): Promise<RedisServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fault-redis-'));
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(await freePort(), dir);
      try {
        await server.restart();
        return server;
      } catch (err) {
        lastError = err;
        await server.kill();
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `redis-server did not start: ${lastError instanceof Error ? lastError.message : lastError}`,
    );
  }

  /** Starts the server (again) on the same port; resolves once it is ours and answering. */
  async restart(timeoutMs = 5000): Promise<void> {
    if (this.running) throw new Error('redis-server is already running');
    this.#log = '';
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    const collect = (c: Buffer) => {
      this.#log = (this.#log + c.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`redis-server exited on port ${this.port}: ${this.#log}`);
      const reply = await rawCommand(this.port, ['CONFIG', 'GET', 'dir']);
      if (reply?.includes(`\r\n${this.dir}\r\n`)) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not answer on port ${this.port} within ${timeoutMs} ms: ${this.#log}`);
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the server keeps its connections and port but answers nothing (a hung Redis). */
  freeze(): void {
    if (this.running) this.#child?.kill('SIGSTOP');
  }

  /** SIGCONT after freeze(). */
  thaw(): void {
    if (this.running) this.#child?.kill('SIGCONT');
  }

  /** Kills the server and removes its directory; safe to call more than once. */
  async stop(): Promise<void> {
    await this.kill();
    this.#child = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }
}
