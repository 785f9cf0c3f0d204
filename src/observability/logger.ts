// Structured JSON logs (pino). One line per request: request id (req.id), method, path, route
// pattern, actor, status (res.statusCode) and latency (responseTime, ms). Request log lines are
// built from an explicit allow-list of fields, so headers (Authorization), query strings and bodies
// (credentials, client secrets) never reach a log line; `redact` is a second line of defence for
// anything logged by hand.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, pino } from 'pino';
import { principalOf, requestIdOf, routeOf } from '../http/request-locals.js';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'credentials',
  '*.credentials',
  'client_secret',
  '*.client_secret',
  '*.*.client_secret',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'api_key',
  '*.api_key',
  'key',
  '*.key',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'auth-secrets' } },
    destination as never,
  );
}

/**
 * One line per request, written when the response finishes (or the connection closes first).
 * Hand-written rather than pino-http: pino-http builds two or three child loggers per request
 * (each re-serializing its bindings), which cost more CPU than the rest of a /healthz request.
 * The line is built here from an allow-list: nothing else of the request can reach it.
 */
export function createRequestLogger(logger: Logger) {
  // The request line is built from an allow-list, so it skips `redact` (which walked all of its
  // wildcard paths on every line and cost more than the rest of the logging); hand-written log
  // lines keep it. Same destination, level and base fields as `logger`.
  const requestLog = pino(
    { level: logger.level, base: logger.bindings() },
    (logger as unknown as Record<symbol, NodeJS.WritableStream>)[pino.symbols.streamSym] as never,
  );
  return (
    req: IncomingMessage,
    res: ServerResponse & { locals?: Record<string, unknown> },
    next: () => void,
  ) => {
    const started = performance.now();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const principal = principalOf(res);
      const statusCode = res.statusCode;
      const line = {
        req: { id: requestIdOf(res) ?? '', method: req.method, url: (req.url ?? '').split('?')[0] },
        // The route pattern ("/v2/workspaces/:workspace/secrets/:secret"): groups requests by endpoint.
        route: routeOf(res),
        actor: principal ? { user_id: principal.userId, api_key_id: principal.apiKeyId } : undefined,
        res: { statusCode },
        responseTime: Math.round(performance.now() - started),
        // The connection closed before the response was completely sent.
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      const message = `${req.method} ${statusCode}`;
      // Info for every status, as before (pino-http); an unhandled error has its own error line.
      requestLog.info(line, message);
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
