// Where the machine's CPU went during each scenario: per named group of processes (the service,
// the baseline, PostgreSQL, the load generator: the benchmark's process with its autocannon workers
// and in-process OAuth2 server; each with its descendants) and "other":
// total CPU time (/proc/stat) minus the groups' time, i.e. work that is not this benchmark's. A
// machine shared with other work gives noisy numbers: "other" says how noisy. Sampled once a second.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

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

export class CpuAccounting {
  readonly #roots = new Map<string, number>([['load generator', process.pid]]);
  #timer: NodeJS.Timeout | undefined;
  #lastTotal = 0;
  #last = new Map<number, number>();
  #ticks = new Map<string, number>();
  #otherTicks = 0;
  #elapsedMs = 0;
  #lastAt = 0;

  /** Counts `pid` and its descendants as group `name` (a later, more specific root wins). */
  addRoot(name: string, pid: number): void {
    this.#roots.set(name, pid);
  }

  start(): void {
    this.#lastTotal = totalBusyTicks();
    this.#last = new Map([...this.#groups().values()].flatMap((m) => [...m]));
    this.#lastAt = performance.now();
    this.#timer = setInterval(() => this.#sample(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #groups(): Map<string, Map<number, number>> {
    const all = processes();
    const children = new Map<number, number[]>();
    for (const [pid, p] of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const rootPids = new Set(this.#roots.values());
    const groups = new Map<string, Map<number, number>>();
    for (const [name, root] of this.#roots) {
      const members = new Map<number, number>();
      const stack = [root];
      for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
        const info = all.get(pid);
        if (!info || members.has(pid)) continue;
        members.set(pid, info.ticks);
        // Another group's root below this one belongs to that group.
        for (const c of children.get(pid) ?? []) if (!rootPids.has(c)) stack.push(c);
      }
      groups.set(name, members);
    }
    return groups;
  }

  #sample(): void {
    const total = totalBusyTicks();
    const groups = this.#groups();
    const now = new Map<number, number>();
    let ours = 0;
    for (const [name, members] of groups) {
      let delta = 0;
      // A process not seen before was born during this interval: all its time counts.
      for (const [pid, ticks] of members) {
        delta += ticks - (this.#last.get(pid) ?? 0);
        now.set(pid, ticks);
      }
      this.#ticks.set(name, (this.#ticks.get(name) ?? 0) + delta);
      ours += delta;
    }
    const at = performance.now();
    this.#otherTicks += Math.max(0, total - this.#lastTotal - ours);
    this.#elapsedMs += at - this.#lastAt;
    this.#lastTotal = total;
    this.#last = now;
    this.#lastAt = at;
  }

  /** Average cores used per group, and by other work ("other"), since the previous mark(). */
  mark(): Record<string, number> {
    this.#sample();
    const seconds = this.#elapsedMs / 1000;
    const cores = (ticks: number) => (seconds > 0 ? ticks / TICKS_PER_SECOND / seconds : 0);
    const result: Record<string, number> = {};
    for (const name of this.#roots.keys()) result[name] = cores(this.#ticks.get(name) ?? 0);
    result.other = cores(this.#otherTicks);
    this.#ticks.clear();
    this.#otherTicks = 0;
    this.#elapsedMs = 0;
    return result;
  }
}
