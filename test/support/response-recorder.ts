// Records every response an app built by createTestApp sends, so that the contract test
// (test/openapi/response-contract.test.ts, after every other file) can check each one against the
// OpenAPI description. The recorder wraps the app's request handler, outside every middleware, so
// it sees exactly the bytes a client gets, whatever layer answered (a route, content negotiation,
// the rate limiter, the error handler).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { routeOf } from '../../src/http/request-locals.js';
import type { AnyRoute } from '../../src/http/route-table.js';

export interface RecordedResponse {
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  /** The route pattern that handled the request (`/v2/workspaces/:workspace`); none when no route matched. */
  route: string | undefined;
  status: number;
  contentType: string | undefined;
  /** Names of the response headers sent, lower case. */
  headerNames: string[];
  body: Buffer;
  /** The route table of the app that answered: its OpenAPI description is the one to check against. */
  routes: readonly AnyRoute[];
}

export const recordedResponses: RecordedResponse[] = [];

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: (err?: unknown) => void) => void;

/** Installs the recorder on `app` (Express calls `app.handle` for every request, supertest's and a server's). */
export function recordResponses(app: Express, routes: readonly AnyRoute[]): void {
  const target = app as unknown as { handle: Handle };
  const handle = target.handle.bind(app);
  target.handle = (req, res, callback) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(
        Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(
              chunk as string,
              typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
            ),
      );
    };
    const write = res.write;
    const end = res.end;
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      keep(chunk, rest[0]);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      keep(chunk, rest[0]);
      return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as ServerResponse['end'];
    res.on('finish', () => {
      const contentType = res.getHeader('content-type');
      recordedResponses.push({
        method: req.method ?? '',
        url: req.url ?? '',
        route: routeOf(res as { locals?: Record<string, unknown> }),
        status: res.statusCode,
        contentType: contentType === undefined ? undefined : String(contentType),
        headerNames: res.getHeaderNames(),
        body: Buffer.concat(chunks),
        routes,
      });
    });
    handle(req, res, callback);
  };
}
