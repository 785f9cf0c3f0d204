// The /metrics endpoint: whatever the Registry it is given holds, in Prometheus text format. Lives
// beside the logger because it serves operators, not API clients. With METRICS_TOKEN set, a scrape
// must send `Authorization: Bearer <token>`; the comparison takes the same time wherever the
// tokens differ (both sides are hashed to equal lengths first).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { ApiError } from '../errors/api-error.js';
import { setRoute } from '../http/request-locals.js';

export const METRICS_PATH = '/metrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

const metricsUnauthorized = () =>
  new ApiError(
    {
      status: 401,
      code: 'unauthorized',
      title: 'Unauthorized',
      detail: 'GET /metrics requires Authorization: Bearer METRICS_TOKEN.',
    },
    { 'WWW-Authenticate': 'Bearer realm="metrics"' },
  );

/** GET /metrics: Prometheus text format, not a JSON:API document (its 401 is one, as every error). */
export function metricsHandler(registry: Registry, token?: string): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    setRoute(res, METRICS_PATH);
    if (expected) {
      const presented = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        next(metricsUnauthorized());
        return;
      }
    }
    registry.metrics().then((text) => {
      res.status(200).setHeader('Content-Type', registry.contentType);
      res.end(text);
    }, next);
  };
}
