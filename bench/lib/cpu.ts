// How busy the machine was with work that is not this benchmark's: total CPU time (/proc/stat)
// minus the CPU time of the benchmark's own processes (this process and its descendants, and the
// PostgreSQL cluster it started). Sampled once a second; reported per scenario as average cores.
// A machine shared with other work gives noisy numbers: this says how noisy.
import { readdirSync, readFileSync } from 'node:fs';

function totalBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/);
  const n = fields.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  // idle + iowait are not work.
  return total - (n[3] ?? 0) - (n[4] ?? 0);
}

interface ProcInfo {
  ppid: number;
  ticks: number;
}

function processes(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields start after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(entry), { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export class ForeignLoad {
  readonly #roots = new Set<number>([process.pid]);
  #timer: NodeJS.Timeout | undefined;
  #lastTotal = 0;
  #lastOurs = new Map<number, number>();
  #foreignTicks = 0;
  #elapsedMs = 0;
  #lastAt = 0;

  /** Counts `pid` and its descendants as the benchmark's own (e.g. the postmaster). */
  addRoot(pid: number): void {
    this.#roots.add(pid);
  }

  start(): void {
    this.#lastTotal = totalBusyTicks();
    this.#lastOurs = this.#ours();
    this.#lastAt = performance.now();
    this.#timer = setInterval(() => this.#sample(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #ours(): Map<number, number> {
    const all = processes();
    const children = new Map<number, number[]>();
    for (const [pid, p] of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const ours = new Map<number, number>();
    const stack = [...this.#roots];
    for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
      const info = all.get(pid);
      if (!info || ours.has(pid)) continue;
      ours.set(pid, info.ticks);
      stack.push(...(children.get(pid) ?? []));
    }
    return ours;
  }

  #sample(): void {
    const total = totalBusyTicks();
    const ours = this.#ours();
    let oursDelta = 0;
    // A process not seen before was born during this interval: all its time counts.
    for (const [pid, ticks] of ours) oursDelta += ticks - (this.#lastOurs.get(pid) ?? 0);
    const now = performance.now();
    this.#foreignTicks += Math.max(0, total - this.#lastTotal - oursDelta);
    this.#elapsedMs += now - this.#lastAt;
    this.#lastTotal = total;
    this.#lastOurs = ours;
    this.#lastAt = now;
  }

  /** Average cores used by other work since the previous mark(). */
  mark(): number {
    this.#sample();
    const ticksPerSecond = 100; // USER_HZ on Linux
    const cores = this.#elapsedMs > 0 ? this.#foreignTicks / ticksPerSecond / (this.#elapsedMs / 1000) : 0;
    this.#foreignTicks = 0;
    this.#elapsedMs = 0;
    return cores;
  }
}
