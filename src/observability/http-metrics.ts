// Request counts and durations by method, route pattern and status class (API.md §12). The route
// label comes from the route table, so its values are bounded by it: the pattern the request
// matched ("/v2/workspaces/:workspace/secrets/:secret"), or, when no route ran (refused earlier, a
// 405, a 404), the pattern its path fits, or "unmatched". No id, tenant or query string can reach a
// label. Recorded when the response finishes, by the request logger (one listener for both).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { match } from 'path-to-regexp';
import { Counter, Histogram, type Registry } from 'prom-client';
import { routeOf } from '../http/request-locals.js';

export const UNMATCHED_ROUTE = 'unmatched';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
// Seconds: from a cached read (~1 ms) to the request timeout.
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface HttpMetrics {
  record(
    req: IncomingMessage,
    res: ServerResponse & { locals?: Record<string, unknown> },
    seconds: number,
  ): void;
}

/** `patterns`: every path pattern the app serves (the route table's, and /metrics). */
export function createHttpMetrics(registry: Registry, patterns: readonly string[]): HttpMetrics {
  const labelNames = ['method', 'route', 'status_class'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status class',
    labelNames,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request to the end of its response, by method, route pattern and status class',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  // One pair of label-bound children per label combination, looked up by one string key: cheaper on
  // every request than prom-client's label hashing.
  const children = new Map<
    string,
    { count: ReturnType<typeof requests.labels>; duration: ReturnType<typeof durations.labels> }
  >();
  const patternOf = patternMatcher(patterns);
  return {
    record(req, res, seconds) {
      const method = req.method && METHODS.has(req.method) ? req.method : 'other';
      const route = routeOf(res) ?? patternOf(req.url ?? '');
      const statusClass = `${Math.floor(res.statusCode / 100)}xx`;
      const key = `${method} ${statusClass} ${route}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method, route, status_class: statusClass };
        child = { count: requests.labels(labels), duration: durations.labels(labels) };
        children.set(key, child);
      }
      child.count.inc();
      child.duration.observe(seconds);
    },
  };
}

// For requests no route handler saw: the first pattern the path fits (any method), else "unmatched".
function patternMatcher(patterns: readonly string[]): (url: string) => string {
  const matchers = [...new Set(patterns)].map((pattern) => ({
    pattern,
    fits: match(pattern, { decode: false }),
  }));
  return (url) => {
    const path = url.split('?')[0] ?? '';
    return matchers.find((m) => m.fits(path))?.pattern ?? UNMATCHED_ROUTE;
  };
}
