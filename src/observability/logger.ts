// Structured logs (pino): JSON lines, or readable coloured lines for a person at a terminal. One line per request: request id (req.id), method, path, route
// pattern, actor, status (res.statusCode) and latency (responseTime, ms). Request log lines are
// built from an explicit allow-list of fields, so headers (Authorization), query strings and bodies
// (credentials, client secrets) never reach a log line; `redact` is a second line of defence for
// anything logged by hand.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import { principalOf, requestIdOf, routeOf } from '../http/request-locals.js';
import type { HttpMetrics } from './http-metrics.js';

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

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when set; otherwise coloured lines for a person at a terminal, JSON lines for anything else. */
export function logFormatFor(configured: LogFormat | undefined, stream: NodeJS.WritableStream): LogFormat {
  return configured ?? ((stream as { isTTY?: boolean }).isTTY ? 'pretty' : 'json');
}

/**
 * The service's logger, writing to `destination` (stdout by default). In both formats the line is
 * built and redacted the same way: `pretty` only re-renders each finished JSON line (pino-pretty, in
 * this thread, loaded only when used), so nothing reaches a terminal that a JSON line would not hold.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, format?: LogFormat): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'auth-secrets' },
  };
  // Without a destination pino writes to fd 1 itself (sonic-boom), cheaper than process.stdout.
  const stream = destination ?? process.stdout;
  if (logFormatFor(format, stream) === 'json') return pino(options, destination as never);
  return pino(options, prettyStream(destination, stream));
}

type PrettyFactory = (options: PrettyOptions) => NodeJS.WritableStream;

function prettyStream(
  destination: NodeJS.WritableStream | undefined,
  stream: NodeJS.WritableStream,
): NodeJS.WritableStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
  return pretty({
    ...(destination ? { destination } : {}),
    sync: true,
    // Colours only for a terminal: LOG_FORMAT=pretty into a file or a pipe stays free of escapes.
    colorize: Boolean((stream as { isTTY?: boolean }).isTTY),
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
  });
}

/**
 * One line per request, written when the response finishes (or the connection closes first); the
 * request metrics (http-metrics.ts) are recorded at the same moment, from the same listeners.
 * Hand-written rather than pino-http: pino-http builds two or three child loggers per request
 * (each re-serializing its bindings), which cost more CPU than the rest of a /healthz request.
 * The line is built here from an allow-list: nothing else of the request can reach it.
 */
export function createRequestLogger(logger: Logger, metrics?: HttpMetrics) {
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
      const elapsedMs = performance.now() - started;
      metrics?.record(req, res, elapsedMs / 1000);
      const principal = principalOf(res);
      const statusCode = res.statusCode;
      const line = {
        req: { id: requestIdOf(res) ?? '', method: req.method, url: (req.url ?? '').split('?')[0] },
        // The route pattern ("/v2/workspaces/:workspace/secrets/:secret"): groups requests by endpoint.
        route: routeOf(res),
        actor: principal ? { user_id: principal.userId, api_key_id: principal.apiKeyId } : undefined,
        res: { statusCode },
        responseTime: Math.round(elapsedMs),
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
