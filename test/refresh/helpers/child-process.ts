// Runs src/server.ts or src/worker.ts as a real child process for the multi-process tests, with an
// explicit environment (nothing of the parent's DATABASE_URL/REDIS_URL leaks in), collects its
// output, and stops it: SIGTERM, or SIGKILL when asked (and as a fallback).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS'];

export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) base[name] = process.env[name];
  return { ...base, LOG_LEVEL: 'info', ...env };
}

export class ServiceProcess {
  readonly output: string[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>) {
    this.#child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => this.output.push(chunk.toString('utf8'));
    this.#child.stdout?.on('data', collect);
    this.#child.stderr?.on('data', collect);
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
  }

  static server(env: Record<string, string>): ServiceProcess {
    return new ServiceProcess(['--import', 'tsx', 'src/server.ts'], env);
  }

  static worker(env: Record<string, string>): ServiceProcess {
    return new ServiceProcess(['--import', 'tsx', 'src/worker.ts'], env);
  }

  get text(): string {
    return this.output.join('');
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Waits until the output matches `pattern`; fails with the output when the process exits or time runs out. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = this.text.match(pattern);
      if (m) return m;
      if (!this.running)
        throw new Error(`process exited before printing ${pattern}:\n${this.text.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${pattern}:\n${this.text.slice(-3000)}`);
  }

  /** The port of a server process (from its "listening on" log line). */
  async port(timeoutMs = 40_000): Promise<number> {
    const m = await this.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs);
    return Number(m[1]);
  }

  exitCode(): Promise<number | null> {
    return this.#exited;
  }

  /** SIGTERM (graceful) or SIGKILL; SIGKILL anyway if it has not exited after `graceMs`. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.#exited;
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
