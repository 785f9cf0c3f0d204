// API.md §7: no request outlives REQUEST_TIMEOUT_MS. The database bounds (src/config/config.ts)
// end most slow requests first, with a 503; this is the backstop for whatever else keeps a handler
// running (several slow statements in a row, a slow dependency): at the deadline the client gets
// 504 request_timeout. node's server.requestTimeout only bounds receiving the request, not the
// handler. The handler is not stopped (JavaScript cannot cancel it); whatever it sends later is
// dropped: mountRoutes and the error handler skip responses already sent.
import type { NextFunction, Request, Response } from 'express';
import { requestTimeout } from '../errors/api-error.js';
import { renderErrors } from './error-handler.js';

export function requestDeadline(timeoutMs: number) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      // The connection stays usable only if the request body was read; otherwise close it after.
      res.setHeader('Connection', 'close');
      renderErrors(res, requestTimeout(timeoutMs));
    }, timeoutMs);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
