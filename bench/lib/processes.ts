// Spawns the service (and the baseline server) as real child processes on loopback. Unlike
// test/support/processes.ts, output goes straight to a log file (the way a deployment logs), so
// the benchmark process neither pays for reading it nor keeps it in memory.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd } from '../../test/support/processes.js';
import { onCleanup } from './cleanup.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Child {
  name: string;
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Only the variables a child needs: nothing of this shell's service configuration leaks in. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k]) base[k] = process.env[k];
  return { ...base, ...env };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What `npm start` does first: builds dist/ when it does not match src/ (scripts/build.mjs). */
export function ensureBuild(): void {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: repoRoot,
    stdio: ['ignore', 2, 2],
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error('the build failed (scripts/build.mjs --if-stale)');
}

/**
 * The node flags `npm start` gives the service (package.json "start", e.g. its heap limit), so
 * that the benchmark measures the service as it is started for real. Refuses a start script of
 * another shape rather than silently measuring something else.
 */
export function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const start = pkg.scripts.start ?? '';
  const m = /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/server\.js$/.exec(start);
  if (!m) throw new Error(`package.json "start" is not "node [flags] dist/server.js": ${start}`);
  return (m[1] ?? '').split(/\s+/).filter((flag) => flag !== '');
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface StartOptions {
  name: string;
  entry: string;
  env: Record<string, string>;
  logFile: string;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Path answered with 2xx once the process is ready. */
  readyPath?: string;
  readyTimeoutMs?: number;
}

/**
 * Starts `entry` with PORT set to a free port, and waits until `readyPath` answers: compiled
 * JavaScript (`dist/server.js`, as `npm start` runs it) with plain node, TypeScript under tsx.
 */
export async function startChild(opts: StartOptions): Promise<Child> {
  const port = await freePort();
  const fd = openSync(opts.logFile, 'a');
  const loader = opts.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...loader, opts.entry], {
    cwd: repoRoot,
    env: childEnv({ ...opts.env, PORT: String(port) }),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const stop = async (graceMs = 15_000) => {
    if (gone || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(`stop ${opts.name}`, () => stop(5_000));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${opts.name} exited during start-up:\n${tail(opts.logFile)}`);
    try {
      const res = await fetch(`${url}${opts.readyPath ?? '/healthz'}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  if (Date.now() >= deadline) {
    await stop(2_000);
    throw new Error(`${opts.name} did not become ready:\n${tail(opts.logFile)}`);
  }
  return { name: opts.name, child, pid: child.pid as number, port, url, logFile: opts.logFile, stop };
}

/** Runs a tsx entry to completion (bounded), returning its stdout; throws on a non-zero exit. */
export async function runTsx(
  entry: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<string> {
  const { code, stdout, stderr } = await runToEnd(entry, args, env, timeoutMs);
  if (code !== 0) throw new Error(`${entry} ${args.join(' ')} exited with ${code}:\n${stderr}`);
  return stdout;
}
