// Content negotiation as API.md §1: JSON:API media type or plain JSON in, JSON:API out.
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../../errors/api-error.js';

export const JSONAPI_MEDIA_TYPE = 'application/vnd.api+json';

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

function parseMediaRange(raw: string): MediaRange {
  const [type = '', ...rest] = raw.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    params.set(
      p.slice(0, eq).trim().toLowerCase(),
      p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, ''),
    );
  }
  return { type: type.trim().toLowerCase(), params };
}

// JSON:API allows only these two parameters on its media type.
const ALLOWED_JSONAPI_PARAMS = new Set(['ext', 'profile']);

const unsupportedMediaType = (detail: string) =>
  new ApiError({ status: 415, code: 'unsupported_media_type', title: 'Unsupported media type', detail });

/** Checks Content-Type of requests with a body and the Accept header of every request. */
export function negotiateMediaType(req: Request, _res: Response, next: NextFunction): void {
  next(contentTypeProblem(req) ?? acceptProblem(req.headers.accept));
}

function contentTypeProblem(req: Request): ApiError | undefined {
  const contentType = req.headers['content-type'];
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody && contentType === undefined) return undefined;
  const range = parseMediaRange(contentType ?? '');
  if (range.type === JSONAPI_MEDIA_TYPE) {
    const bad = [...range.params.keys()].find((name) => !ALLOWED_JSONAPI_PARAMS.has(name));
    return bad === undefined
      ? undefined
      : unsupportedMediaType(`Media type parameter "${bad}" is not allowed on ${JSONAPI_MEDIA_TYPE}.`);
  }
  if (range.type !== 'application/json' && hasBody) {
    return unsupportedMediaType(`Send request bodies as ${JSONAPI_MEDIA_TYPE} or application/json.`);
  }
  return undefined;
}

function acceptProblem(accept: string | undefined): ApiError | undefined {
  if (accept === undefined || accept.trim() === '' || acceptsJson(accept)) return undefined;
  return new ApiError({
    status: 406,
    code: 'not_acceptable',
    title: 'Not acceptable',
    detail: `Responses are ${JSONAPI_MEDIA_TYPE}; the Accept header must admit it, application/json or */*.`,
  });
}

function acceptsJson(accept: string): boolean {
  const ranges = accept.split(',').map(parseMediaRange);
  return ranges.some((r) => {
    // q=0 (also written 0.0, 0.000: RFC 9110 §12.4.2) means "not acceptable".
    if (/^0(\.0{0,3})?$/.test(r.params.get('q') ?? '')) return false;
    if (r.type === '*/*' || r.type === 'application/*' || r.type === 'application/json') return true;
    // JSON:API: a range with parameters other than ext/profile cannot be served; another range may.
    if (r.type === JSONAPI_MEDIA_TYPE) {
      return [...r.params.keys()].every((k) => k === 'q' || ALLOWED_JSONAPI_PARAMS.has(k));
    }
    return false;
  });
}
