// The /metrics endpoint: whatever the Registry it is given holds (today the refresher's metrics),
// in Prometheus text format. Lives beside the logger because it serves operators, not API clients.
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

/** GET /metrics: Prometheus text format, not a JSON:API document. */
export function metricsHandler(registry: Registry): RequestHandler {
  return (_req, res, next) => {
    registry.metrics().then((text) => {
      res.status(200).setHeader('Content-Type', registry.contentType);
      res.end(text);
    }, next);
  };
}
