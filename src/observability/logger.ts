// Structured JSON logs (pino). One line per request: request id (req.id), method, path, route
// pattern, actor, status (res.statusCode) and latency (responseTime, ms). Request log lines are
// built from an explicit allow-list of fields, so headers (Authorization), query strings and bodies
// (credentials, client secrets) never reach a log line; `redact` is a second line of defence for
// anything logged by hand.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, pino } from 'pino';
import { pinoHttp } from 'pino-http';

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

export function createRequestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (_req, res) =>
      String((res as ServerResponse & { locals?: { requestId?: string } }).locals?.requestId ?? ''),
    // Called again when the response finishes, when the principal and the matched route are known.
    customProps: (req, res) => {
      const locals = (res as ServerResponse & { locals?: Record<string, unknown> }).locals ?? {};
      const principal = locals.principal as { userId?: string; apiKeyId?: string } | undefined;
      return {
        actor: principal ? { user_id: principal.userId, api_key_id: principal.apiKeyId } : undefined,
        // The route pattern ("/v2/workspaces/:workspace/secrets/:secret"): groups requests by endpoint.
        route: (req as IncomingMessage & { route?: { path?: unknown } }).route?.path,
      };
    },
    serializers: {
      req: (req: IncomingMessage & { id?: unknown; route?: { path?: string } }) => ({
        id: req.id,
        method: req.method,
        // Path only: the query string is client input and is not needed to trace a request.
        url: (req.url ?? '').split('?')[0],
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    customSuccessMessage: (req, res) => `${req.method} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${res.statusCode}`,
  });
}
