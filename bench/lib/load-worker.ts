// The load generator's own process: runs one autocannon measurement (a warm-up first, discarded)
// and reports the result to the benchmark over the IPC channel, then exits. Kept out of the
// benchmark's process so that the client, like a real one, has an event loop of its own: in-process,
// autocannon shared one with the benchmark's samplers and seeding pool and served the baseline at
// about half its speed, which made every ratio to it look better than it was.
//
// Protocol (child_process.fork): the parent sends one LoadOptions message; the worker answers
// `{ result: LoadResult }` or `{ error: string }`. It exits when the parent goes away (the IPC
// channel closes) and after a deadline of its own, so it never outlives a benchmark that died.
// Latencies come from autocannon's per-response events, kept exactly (autocannon's own histogram
// rounds to whole milliseconds), 2xx only.
import autocannon from 'autocannon';
import { type LoadOptions, type LoadResult, percentile } from './load.js';

/** Hard stop if the parent never sends options or a run hangs: well past any measurement. */
const STARTUP_DEADLINE_MS = 30_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

class Samples {
  #data = new Float64Array(1 << 16);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#n++] = v;
  }
  sorted(): Float64Array {
    return this.#data.slice(0, this.#n).sort();
  }
}

async function once(opts: LoadOptions, durationSeconds: number): Promise<LoadResult> {
  const samples = new Samples();
  const statusCodes: Record<string, number> = {};
  let settle: (err: Error | null, result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    settle = (err, result) => (err ? reject(err) : resolve(result));
  });
  const instance = autocannon(
    {
      url: opts.url,
      connections: opts.connections,
      duration: durationSeconds,
      method: opts.method ?? 'GET',
      headers: opts.headers ?? {},
      timeout: 30,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    },
    (err, result) => settle(err, result),
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
  });
  const result = await finished;
  const sorted = samples.sorted();
  const elapsed = result.duration; // seconds, as measured by autocannon
  return {
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: elapsed,
    rps: result['2xx'] / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    statusCodes,
  };
}

async function measure(opts: LoadOptions): Promise<LoadResult> {
  if (!LOOPBACK.has(new URL(opts.url).hostname)) throw new Error(`not a loopback URL: ${opts.url}`);
  if (opts.warmupSeconds && opts.warmupSeconds > 0) await once(opts, opts.warmupSeconds);
  return once(opts, opts.durationSeconds);
}

function reply(message: { result: LoadResult } | { error: string }): void {
  if (!process.send) return;
  process.send(message, () => process.exit(0));
}

if (!process.send) {
  process.stderr.write('load-worker: start me with child_process.fork (see bench/lib/load.ts)\n');
  process.exit(2);
}
let deadline = setTimeout(() => process.exit(3), STARTUP_DEADLINE_MS);
process.on('disconnect', () => process.exit(4));
process.once('message', (message: LoadOptions) => {
  clearTimeout(deadline);
  const seconds = (message.warmupSeconds ?? 0) + message.durationSeconds;
  deadline = setTimeout(() => process.exit(3), (seconds + 60) * 1000);
  measure(message).then(
    (result) => reply({ result }),
    (err: unknown) => reply({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
