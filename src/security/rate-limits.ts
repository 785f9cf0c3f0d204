// Rate limiting of the API (docs/API-DECISIONS.md "Limits, rate limiting and logging"):
//   - per client address, before anything else is done for the request;
//   - per API key, right after the key is authenticated (the key, not the presented key id, so a
//     stranger cannot use up someone else's budget by sending their key id with a wrong secret);
//   - failed authentications per client address: once over the limit, every request from that
//     address is refused until the window ends, whatever credentials it carries.
// Over a limit: 429 with Retry-After (whole seconds). /healthz and /readyz are never limited.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Authenticate, AuthenticationError } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config/config.js';
import { ApiError } from '../errors/api-error.js';
import { requestIdOf, routeOf, setPrincipal } from '../http/request-locals.js';
import { clientAddressKey } from './client-address.js';
import { createLimiter, type LimitDecision } from './rate-limiter.js';

export interface RateLimits {
  /** Middleware: the per-address limit and the failed-authentication block. */
  limitClients: RequestHandler;
  /** Wraps the authenticator: counts each authenticated request against its API key. */
  limitPerKey(authenticate: Authenticate): Authenticate;
  /** Error middleware (after the routes): logs failed authentications and counts them per address. */
  recordAuthFailures: ErrorRequestHandler;
}

export interface RateLimitDependencies {
  config: Pick<
    Config,
    'rateLimitPerKeyPerMinute' | 'rateLimitPerIpPerMinute' | 'authFailureLimitPerIpPerMinute'
  >;
  /** Shared by every process when set; absent: limits are per process. */
  redis: Redis | undefined;
  logger: Logger;
}

const UNLIMITED_PATHS = new Set(['/healthz', '/readyz']);

/** A 429; carries the principal when the key is known, so the request log line names the actor. */
export class RateLimitError extends ApiError {
  constructor(
    code: string,
    detail: string,
    decision: LimitDecision,
    readonly principal?: Principal,
  ) {
    super(
      { status: 429, code, title: 'Too many requests', detail },
      { 'Retry-After': String(decision.retryAfterSeconds) },
    );
    this.name = 'RateLimitError';
  }
}

export function createRateLimits({ config, redis, logger }: RateLimitDependencies): RateLimits {
  const onStoreError = storeErrorWarning(logger);
  const limiter = (name: string, pointsPerWindow: number) =>
    createLimiter({ name, pointsPerWindow, redis, onStoreError });
  const perAddress = limiter('ip', config.rateLimitPerIpPerMinute);
  const perKey = limiter('key', config.rateLimitPerKeyPerMinute);
  const failures = limiter('auth-failure', config.authFailureLimitPerIpPerMinute);
  const allowed = async () => ({ allowed: true, retryAfterSeconds: 0 });

  const limitClients: RequestHandler = (req, _res, next) => {
    if (UNLIMITED_PATHS.has(req.path.toLowerCase().replace(/\/+$/, ''))) return next();
    const address = clientAddressKey(req.ip);
    // Both counters in parallel: one store round trip of latency.
    Promise.all([failures?.check(address) ?? allowed(), perAddress?.consume(address) ?? allowed()])
      .then(([blocked, limited]) => {
        if (!blocked.allowed) {
          return next(
            new RateLimitError(
              'too_many_authentication_failures',
              `Too many failed authentication attempts from this client address; retry after ${blocked.retryAfterSeconds} s.`,
              blocked,
            ),
          );
        }
        if (!limited.allowed) {
          return next(
            new RateLimitError(
              'rate_limited',
              `Too many requests from this client address; retry after ${limited.retryAfterSeconds} s.`,
              limited,
            ),
          );
        }
        next();
      })
      .catch(next);
  };

  const limitPerKey = (authenticate: Authenticate): Authenticate => {
    if (!perKey) return authenticate;
    return async (header, now) => {
      const principal = await authenticate(header, now);
      const decision = await perKey.consume(principal.apiKeyId);
      if (!decision.allowed) {
        throw new RateLimitError(
          'rate_limited',
          `Too many requests with this API key; retry after ${decision.retryAfterSeconds} s.`,
          decision,
          principal,
        );
      }
      return principal;
    };
  };

  const recordAuthFailures: ErrorRequestHandler = (err, req, res, next) => {
    if (err instanceof RateLimitError && err.principal) setPrincipal(res, err.principal);
    if (!(err instanceof AuthenticationError)) return next(err);
    // Never the presented credentials, nor anything that depends on whether the email exists.
    logger.warn(
      {
        event: 'authentication_failed',
        reason: err.reason,
        client_ip: req.ip,
        request_id: requestIdOf(res),
        method: req.method,
        route: routeOf(res),
      },
      'authentication failed',
    );
    if (!failures || !err.isAttempt) return next(err);
    // Counted before the 401 is sent, so the next attempt already sees it.
    failures.consume(clientAddressKey(req.ip)).then(
      () => next(err),
      () => next(err),
    );
  };

  return { limitClients, limitPerKey, recordAuthFailures };
}

// While the store is down every request would warn: one line a minute, with how many were skipped.
function storeErrorWarning(logger: Logger, intervalMs = 60_000) {
  let lastAt = 0;
  let suppressed = 0;
  return (limiter: string, err: unknown) => {
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      suppressed += 1;
      return;
    }
    logger.warn(
      { limiter, err: { message: err instanceof Error ? err.message : String(err) }, suppressed },
      'rate limit store unavailable: request allowed without limiting (fail open)',
    );
    lastAt = now;
    suppressed = 0;
  };
}
