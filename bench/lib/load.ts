// Load generation with autocannon (in this process). Latencies come from autocannon's per-response
// events, kept exactly (autocannon's own histogram rounds to whole milliseconds), 2xx only.
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A new body per request (e.g. unique names); called by autocannon for every request. */
  body?: () => string;
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
  const body = opts.body;
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
      ...(body
        ? {
            requests: [
              {
                setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }),
              },
            ],
          }
        : {}),
    } as autocannon.Options,
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

/** A warm-up run (discarded), then the measured run. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (opts.warmupSeconds && opts.warmupSeconds > 0) await once(opts, opts.warmupSeconds);
  return once(opts, opts.durationSeconds);
}
