// Load generation with autocannon, in a process of its own (bench/lib/load-worker.ts): the
// benchmark, the load generator and the server under test are three processes, as they would be
// for a real client. Each measurement gets a fresh worker, bounded in time and stopped by the
// benchmark's cleanup on failure and Ctrl-C too.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** The body of every request. */
  body?: string;
  /** A run of this many seconds first, not measured, to warm up JIT, pools and caches. */
  warmupSeconds?: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  rps: number;
  p50: number;
  p99: number;
  statusCodes: Record<string, number>;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

const workerEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-worker.ts');
/** Beyond warm-up + measurement: the worker's start-up (tsx) and autocannon's last responses. */
const SLACK_MS = 60_000;
const STDERR_KEPT = 4_000;
const running = new Set<ChildProcess>();
let cleanupRegistered = false;

function stopWorkers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** A warm-up run (discarded), then the measured run, both in a load-generator process of their own. */
export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (!cleanupRegistered) {
    onCleanup('stop load generators', stopWorkers);
    cleanupRegistered = true;
  }
  const child = fork(workerEntry, [], {
    execArgv: ['--import', 'tsx'],
    // Nothing of the benchmark's environment but what node needs: the options travel over IPC.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
  });
  const limitMs = ((opts.warmupSeconds ?? 0) + opts.durationSeconds) * 1000 + SLACK_MS;
  return new Promise<LoadResult>((resolve, reject) => {
    let answer: { result: LoadResult } | { error: string } | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator did not finish within ${limitMs / 1000} s:\n${stderr}`));
    }, limitMs);
    child.once('message', (message: { result: LoadResult } | { error: string }) => {
      answer = message;
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      child.kill('SIGKILL');
      reject(err);
    });
    // 'close', not 'exit': by then the IPC channel has delivered everything the worker sent.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (answer && 'result' in answer) resolve(answer.result);
      else if (answer) reject(new Error(`load generator failed: ${answer.error}`));
      else reject(new Error(`load generator exited (${signal ?? code}) without a result:\n${stderr}`));
    });
    child.send(opts);
  });
}
