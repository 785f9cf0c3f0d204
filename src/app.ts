// Builds the Express application from its dependencies. Never listens: src/server.ts does,
// and tests hand the app to supertest.
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { DatabaseFailureLog } from './db/database-failures.js';
import { createErrorHandler, notFoundRoute } from './http/error-handler.js';
import { JSONAPI_MEDIA_TYPE, negotiateMediaType } from './http/jsonapi/media-type.js';
import { series } from './http/middleware-series.js';
import { methodNotAllowed, mountRoutes, type RouteDependencies } from './http/mount-routes.js';
import { requestDeadline } from './http/request-deadline.js';
import { assignRequestId } from './http/request-id.js';
import { checkRequestTarget } from './http/request-target.js';
import type { AnyRoute } from './http/route-table.js';
import { securityHeaders } from './http/security-headers.js';
import type { HttpMetrics } from './observability/http-metrics.js';
import { createRequestLogger } from './observability/logger.js';
import { METRICS_PATH } from './observability/metrics-handler.js';
import type { RateLimits } from './security/rate-limits.js';
import { limitJsonDepth, limitQuery } from './security/request-limits.js';

export interface AppDependencies extends RouteDependencies {
  logger: Logger;
  routes: AnyRoute[];
  bodyLimitBytes: number;
  /** GET /metrics (Prometheus text, not JSON:API): mounted ahead of content negotiation. */
  metricsHandler?: RequestHandler;
  /** Request counts and durations by route (src/observability/http-metrics.ts). */
  httpMetrics?: HttpMetrics;
  /** Per-address, per-key and failed-authentication limits (src/security/rate-limits.ts). */
  rateLimits?: RateLimits;
  /** Express 'trust proxy' (TRUST_PROXY): which proxies may name the client address. */
  trustProxy?: number | string[] | undefined;
  /** REQUEST_TIMEOUT_MS: a request still running then is answered 504 request_timeout. */
  requestTimeoutMs?: number;
  /** Logs database failures at a bounded rate (src/db/database-failures.ts). */
  databaseFailures?: DatabaseFailureLog;
}

export function buildApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Flat keys ("page[size]") validated against each route's list; see src/http/jsonapi/query.ts.
  app.set('query parser', 'simple');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  const wrongMethod = methodNotAllowed(deps.routes);
  const parseJson = express.json({
    type: [JSONAPI_MEDIA_TYPE, 'application/json'],
    limit: deps.bodyLimitBytes,
    strict: true,
  });
  app.use(
    series(
      assignRequestId,
      createRequestLogger(deps.logger, deps.httpMetrics),
      ...(deps.requestTimeoutMs ? [requestDeadline(deps.requestTimeoutMs)] : []),
      securityHeaders,
      ...(deps.rateLimits ? [deps.rateLimits.limitClients] : []),
      checkRequestTarget,
    ),
  );
  if (deps.metricsHandler) app.get(METRICS_PATH, deps.metricsHandler);
  app.use(
    series(
      negotiateMediaType,
      limitQuery,
      // Skips requests without a body itself (type-is hasBody).
      parseJson,
      limitJsonDepth,
      // OPTIONS before the router: Express would answer it on its own otherwise. Every other
      // method only after it, so requests that match a route do not pay for matching every pattern.
      (req, res, next) => (req.method === 'OPTIONS' ? wrongMethod(req, res, next) : next()),
    ),
  );
  app.use(mountRoutes(deps.routes, deps));
  app.use(wrongMethod);
  if (deps.rateLimits) app.use(deps.rateLimits.recordAuthFailures);
  app.use(notFoundRoute);
  app.use(createErrorHandler(deps.logger, deps.databaseFailures));
  return app;
}
