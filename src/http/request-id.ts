import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { setRequestId } from './request-locals.js';

// Echo a client's id only if it is short and printable, so it is safe in headers and logs.
const CLIENT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function assignRequestId(req: Request, res: Response, next: NextFunction): void {
  const sent = req.headers['x-request-id'];
  const id = typeof sent === 'string' && CLIENT_ID_RE.test(sent) ? sent : randomUUID();
  // When the request arrived (before any queueing in authentication): see src/refresh/refresh-router.ts.
  setRequestId(res, id, new Date());
  res.setHeader('X-Request-Id', id);
  next();
}
