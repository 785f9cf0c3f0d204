// A repeated failure (the database down, a missing encryption key) is met by every request: one log
// line each would bury everything else and cost CPU when the service can least afford it. A
// throttle lets the first occurrence of a key through at once, then at most one per interval, and
// counts the ones it held back so the next line can say how many there were.

export interface Admitted {
  /** Absent for the first line of a key; else what happened since its previous line. */
  repeat?: { heldBack: number; total: number };
}

export class LogThrottle<K> {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #seen = new Map<K, { lastLoggedAt: number; heldBack: number; total: number }>();

  constructor(intervalMs: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Counts one occurrence of `key`; returns what to log now, or undefined to stay quiet. */
  admit(key: K): Admitted | undefined {
    const now = this.#now();
    const seen = this.#seen.get(key);
    if (seen && now - seen.lastLoggedAt < this.#intervalMs) {
      seen.heldBack += 1;
      seen.total += 1;
      return undefined;
    }
    this.#seen.set(key, { lastLoggedAt: now, heldBack: 0, total: (seen?.total ?? 0) + 1 });
    return seen ? { repeat: { heldBack: seen.heldBack, total: seen.total + 1 } } : {};
  }

  /** Occurrences per key since the last reset. */
  totals(): Record<string, number> {
    return Object.fromEntries([...this.#seen].map(([k, s]) => [String(k), s.total]));
  }

  reset(): void {
    this.#seen.clear();
  }
}
