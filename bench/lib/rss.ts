// Samples the resident memory (VmRSS in /proc/PID/status) of the benchmarked processes every
// `intervalMs`, and keeps the highest value seen per process since the last mark().
import { readFileSync } from 'node:fs';

export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class RssSampler {
  readonly #pids = new Map<string, number>();
  readonly #max = new Map<string, number>();
  readonly #overall = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 200) {}

  watch(name: string, pid: number): void {
    this.#pids.set(name, pid);
  }

  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  sample(): void {
    for (const [name, pid] of this.#pids) {
      const rss = rssBytes(pid);
      if (rss === undefined) continue;
      this.#max.set(name, Math.max(this.#max.get(name) ?? 0, rss));
      this.#overall.set(name, Math.max(this.#overall.get(name) ?? 0, rss));
    }
  }

  /** The highest RSS per process since the previous mark(), then starts a new interval. */
  mark(): Record<string, number> {
    this.sample();
    const result = Object.fromEntries(this.#max);
    this.#max.clear();
    return result;
  }

  /** Highest RSS per process over the whole run. */
  overall(): Record<string, number> {
    return Object.fromEntries(this.#overall);
  }
}
