// Bounds on the shape of what a client sends, checked before any route looks at it (like the body
// size limit, 413): query parameters (count, value length) and JSON nesting depth. Ajv and the
// query parser then only ever walk small, shallow inputs. Limits far above anything the API needs.
import type { NextFunction, Request, Response } from 'express';
import { ApiError, badRequest, invalidParameter } from '../errors/api-error.js';
import { OAUTH_CALLBACK_PATH } from '../modules/auth-clients/oauth-callback.js';

export const MAX_QUERY_PARAMETERS = 30;
export const MAX_QUERY_VALUE_LENGTH = 1024;
export const MAX_JSON_DEPTH = 32;
/**
 * The OAuth callback carries what the provider chose: authorization codes of some providers (Azure
 * AD's run past 1 KiB) and long `error_description` texts. The state is still checked exactly.
 */
export const MAX_CALLBACK_QUERY_VALUE_LENGTH = 8192;

/** 400 when the query string has too many parameters or an overlong name or value. */
export function limitQuery(req: Request, _res: Response, next: NextFunction): void {
  const mark = req.url.indexOf('?');
  if (mark === -1) {
    next();
    return;
  }
  // Counted on the raw string: the parser silently drops parameters after its own limit (1000).
  const pairs = req.url
    .slice(mark + 1)
    .split('&')
    .filter((p) => p !== '');
  if (pairs.length > MAX_QUERY_PARAMETERS) {
    next(
      badRequest(
        'too_many_query_parameters',
        `At most ${MAX_QUERY_PARAMETERS} query parameters are accepted; this request has ${pairs.length}.`,
      ),
    );
    return;
  }
  const problems: ApiError[] = [];
  const maxLength =
    req.path === OAUTH_CALLBACK_PATH ? MAX_CALLBACK_QUERY_VALUE_LENGTH : MAX_QUERY_VALUE_LENGTH;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    // Raw (still percent-encoded) lengths bound the decoded ones; only decode to name the parameter.
    if (rawName.length > MAX_QUERY_VALUE_LENGTH || rawValue.length > 3 * maxLength) {
      const name = safeDecode(rawName).slice(0, 64);
      problems.push(
        invalidParameter(
          name,
          `Query parameter names and values are limited to ${maxLength} characters.`,
          'query_parameter_too_long',
        ),
      );
    } else if (safeDecode(rawValue).length > maxLength) {
      problems.push(
        invalidParameter(
          safeDecode(rawName),
          `Query parameter values are limited to ${maxLength} characters.`,
          'query_parameter_too_long',
        ),
      );
    }
  }
  next(problems.length > 0 ? new ApiError(problems.flatMap((p) => p.items)) : undefined);
}

/** 400 when a parsed JSON body nests objects/arrays deeper than MAX_JSON_DEPTH. */
export function limitJsonDepth(req: Request, _res: Response, next: NextFunction): void {
  const tooDeep =
    req.body !== null && typeof req.body === 'object' && jsonDepthExceeds(req.body, MAX_JSON_DEPTH);
  next(
    tooDeep
      ? badRequest(
          'json_too_deep',
          `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep.`,
          { pointer: '' },
        )
      : undefined,
  );
}

/** Iterative (an attacker-controlled depth must not exhaust the call stack), stops at the first hit. */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
