// The one place errors become responses. ApiErrors are rendered with ts-japi's ErrorSerializer;
// body-parser failures are mapped to 400/413; the database failing to serve (unreachable, timed
// out) is 503 database_unavailable, logged at a bounded rate; anything else is a bug: logged,
// answered with a bare 500.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import japi from 'ts-japi';
import { classifyDatabaseError, type DatabaseFailureLog } from '../db/database-failures.js';
import { ApiError, type ApiErrorItem, databaseUnavailable } from '../errors/api-error.js';
import { sendDocument } from './jsonapi/send.js';
import { isNulCharacterError, nulCharacterError } from './nul-characters.js';
import { requestIdOf, routeOf } from './request-locals.js';

const errorSerializer = new japi.ErrorSerializer<ApiErrorItem & { statusText: string }>({
  version: '1.1',
  attributes: {
    status: 'statusText',
    code: 'code',
    title: 'title',
    detail: 'detail',
    // ts-japi maps each source member from a flat field of the error object.
    source: { pointer: 'sourcePointer', parameter: 'sourceParameter', header: 'sourceHeader' },
  } as never,
});

export function renderErrors(res: Response, error: ApiError): void {
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  // The JSON:API schema wants distinct error objects; the same problem found twice (`include=,`)
  // is reported once.
  const items = [...new Map(error.items.map((i) => [JSON.stringify(i), i])).values()];
  const document = errorSerializer.serialize(
    items.map((i) => ({
      ...i,
      statusText: String(i.status),
      sourcePointer: i.source?.pointer,
      sourceParameter: i.source?.parameter,
      sourceHeader: i.source?.header,
    })),
  ) as { errors: { source?: Record<string, string> }[] };
  // ts-japi drops falsy members, but "" is a real JSON Pointer: the whole document.
  items.forEach((item, n) => {
    const rendered = document.errors[n];
    if (item.source?.pointer === '' && rendered) rendered.source = { ...rendered.source, pointer: '' };
  });
  sendDocument(res, error.status, document);
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function fromBodyParser(err: BodyParserError): ApiError | undefined {
  if (err.type === 'entity.too.large') {
    return new ApiError({
      status: 413,
      code: 'payload_too_large',
      title: 'Payload too large',
      detail: `The request body exceeds the limit of ${err.limit} bytes.`,
    });
  }
  if (err.type === 'entity.parse.failed') {
    return new ApiError({
      status: 400,
      code: 'invalid_json',
      title: 'Malformed JSON',
      detail: 'The request body is not valid JSON.',
      source: { pointer: '' },
    });
  }
  if (err.status === 415) {
    // e.g. a charset other than UTF-8: JSON request bodies must be UTF-8.
    return new ApiError({
      status: 415,
      code: 'unsupported_media_type',
      title: 'Unsupported media type',
      detail: 'Request bodies must be JSON encoded as UTF-8.',
    });
  }
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return new ApiError({
      status: err.status,
      code: 'bad_request',
      title: 'Bad request',
      detail: 'The request could not be read.',
    });
  }
  return undefined;
}

export function createErrorHandler(logger: Logger, databaseFailures?: DatabaseFailureLog) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const databaseFailure = err instanceof ApiError ? undefined : classifyDatabaseError(err);
    if (databaseFailure) databaseFailures?.record(databaseFailure, err);
    const known =
      err instanceof ApiError
        ? err
        : databaseFailure
          ? databaseUnavailable(databaseFailure)
          : fromBodyParser((err ?? {}) as BodyParserError);
    if (res.headersSent) {
      // Already answered (the request deadline's 504): the late outcome has nowhere to go. A
      // response cut off half-way is ended, so the client does not wait for the rest.
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (known) return renderErrors(res, known);
    if (isNulCharacterError(err)) return renderErrors(res, nulCharacterError(req.body));
    // Log the error itself only: it may not hold request data, and the request log line carries the rest.
    logger.error({ err, requestId: requestIdOf(res), route: routeOf(res) }, 'unhandled error');
    renderErrors(res, new ApiError({ status: 500, code: 'internal_error', title: 'Internal server error' }));
  };
}

export function notFoundRoute(_req: Request, _res: Response, next: NextFunction) {
  next(new ApiError({ status: 404, code: 'route_not_found', title: 'Not found', detail: 'No such route.' }));
}
