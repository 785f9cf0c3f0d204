// What one layer of the middleware chain learns about a request and a later one reads: the
// request id and arrival time (request-id.ts), the matched route pattern (mount-routes.ts) and the
// authenticated principal (mount-routes.ts, or the rate limiter when it refuses a known key). They
// live on Express's `res.locals`, but only through these functions, so each value has one type
// and its writers are easy to find. The logger reads them from node's ServerResponse, which is
// the same object.
import type { Principal } from '../auth/principal.js';

export interface RequestLocals {
  requestId?: string;
  /** When the request arrived, before any queueing in authentication. */
  receivedAt?: Date;
  /** The route pattern that matched ("/v2/workspaces/:workspace"): groups log lines by endpoint. */
  route?: string;
  principal?: Principal;
}

/** Express's Response, or node's ServerResponse as the logger sees it before Express decorates it. */
type HasLocals = { locals?: Record<string, unknown> };

function localsOf(res: HasLocals): RequestLocals {
  return (res.locals ?? {}) as RequestLocals;
}

function writableLocalsOf(res: HasLocals): RequestLocals {
  res.locals ??= {};
  return res.locals as RequestLocals;
}

export const requestIdOf = (res: HasLocals): string | undefined => localsOf(res).requestId;
export const receivedAtOf = (res: HasLocals): Date | undefined => localsOf(res).receivedAt;
export const routeOf = (res: HasLocals): string | undefined => localsOf(res).route;
export const principalOf = (res: HasLocals): Principal | undefined => localsOf(res).principal;

export function setRequestId(res: HasLocals, requestId: string, receivedAt: Date): void {
  const locals = writableLocalsOf(res);
  locals.requestId = requestId;
  locals.receivedAt = receivedAt;
}

export function setRoute(res: HasLocals, route: string): void {
  writableLocalsOf(res).route = route;
}

export function setPrincipal(res: HasLocals, principal: Principal): void {
  writableLocalsOf(res).principal = principal;
}
