// A burst of N requests sent at the same instant over N connections opened (and warmed) beforehand,
// so the burst measures the service, not N TCP handshakes racing the listen backlog. autocannon
// cannot do this: it sends each connection's first request the moment that connection is up.
import http from 'node:http';
import { percentile } from './load.js';

export interface BurstResult {
  count: number;
  statusCodes: Record<string, number>;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  /** From the first request written to the last response read. */
  wallMs: number;
  bodies: string[];
}

interface Target {
  url: string;
  path: string;
  method: string;
  headers: Record<string, string>;
}

function send(agent: http.Agent, t: Target, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${t.url}${t.path}`,
      { method: t.method, agent, headers: t.headers, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Opens `count` keep-alive connections (each answers one GET /healthz), then fires `count` requests at once. */
export async function burst(url: string, target: Omit<Target, 'url'>, count: number): Promise<BurstResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: count, maxFreeSockets: count });
  try {
    await Promise.all(
      Array.from({ length: count }, () =>
        send(agent, { url, path: '/healthz', method: 'GET', headers: {} }, 30_000),
      ),
    );
    const latencies: number[] = [];
    const statusCodes: Record<string, number> = {};
    const bodies: string[] = [];
    let errors = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: count }, async () => {
        const started = performance.now();
        try {
          const { status, body } = await send(agent, { url, ...target }, 60_000);
          latencies.push(performance.now() - started);
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          bodies.push(body);
        } catch {
          errors += 1;
        }
      }),
    );
    const wallMs = performance.now() - t0;
    latencies.sort((a, b) => a - b);
    return {
      count,
      statusCodes,
      errors,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? Number.NaN,
      wallMs,
      bodies,
    };
  } finally {
    agent.destroy();
  }
}
