// In-process de-duplication: while a call for a key is running, later callers for the same key
// get the same promise instead of starting their own. The entry is removed when the call settles,
// so a caller arriving afterwards starts a fresh one.
export class SingleFlight<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): { promise: Promise<V>; joined: boolean } {
    const existing = this.#inFlight.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = Promise.resolve()
      .then(work)
      .finally(() => {
        if (this.#inFlight.get(key) === promise) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, promise);
    return { promise, joined: false };
  }

  get size(): number {
    return this.#inFlight.size;
  }

  /** Settles when every call running now has settled (used on shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()]);
  }
}
