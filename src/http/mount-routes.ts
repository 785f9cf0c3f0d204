// Turns route definitions into Express handlers: authenticate → authorize → parse query →
// validate body → handler → write the document. The order means an invisible resource is a 404
// before anything about the request's shape is revealed.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type MatchFunction, match } from 'path-to-regexp';
import type { Authenticate } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { ApiError, type ApiErrorItem, badRequest, notFound } from '../errors/api-error.js';
import type { AccessPolicy } from '../permissions/access-policy.js';
import { baseUrlFor, createLinks } from './jsonapi/links.js';
import { parseQuery } from './jsonapi/query.js';
import { sendDocument, sendHtml } from './jsonapi/send.js';
import { receivedAtOf, requestIdOf, setPrincipal, setRoute } from './request-locals.js';
import type { AnyRoute, UserContext, WorkspaceContext } from './route-table.js';
import type { SchemaRegistry } from './validation/schema-registry.js';

export interface RouteDependencies {
  authenticate: Authenticate;
  policy: AccessPolicy;
  schemas: SchemaRegistry;
  publicUrl: string | undefined;
}

/**
 * One middleware that dispatches on a table of compiled path patterns (path-to-regexp, as the
 * Express router uses), instead of an Express Router with one layer per route: the router's
 * per-layer `next()` machinery cost more CPU than the rest of a simple request. Matching keeps the
 * router's rules: case-insensitive, an optional trailing slash, HEAD served by GET routes, and a
 * malformed percent-escape in a parameter is a 404.
 */
export function mountRoutes(routes: AnyRoute[], deps: RouteDependencies): RequestHandler {
  const table = routes.map((route) => {
    if (!route.access) throw new Error(`Route ${route.method} ${route.path} declares no access rule`);
    if (route.body && !deps.schemas.has(route.body))
      throw new Error(`Route ${route.path}: unknown schema ${route.body}`);
    return { route, matches: match<Record<string, string>>(route.path) };
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const path = req.path;
    let undecodable = false;
    for (const { route, matches } of table) {
      if (route.method !== method) continue;
      const found = matchOrNothing(matches, path);
      if (found === 'undecodable') undecodable = true;
      if (!found || found === 'undecodable') continue;
      req.params = found.params;
      setRoute(res, route.path);
      handle(route, deps, req, res)
        .then((result) => {
          // Answered already (the request deadline's 504): nothing more may be written.
          if (res.headersSent) return;
          for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
          if (result.html !== undefined) sendHtml(res, result.status, result.html);
          else if (result.document === undefined) res.status(result.status).end();
          else sendDocument(res, result.status, result.document, result.mediaType);
        })
        .catch(next);
      return;
    }
    // A route's pattern fitted but a parameter was a malformed escape ("%ZZ"): a malformed id,
    // so the resource does not exist (404 not_found, API.md §1), rather than "no such route".
    next(undecodable ? notFound() : undefined);
  };
}

function matchOrNothing(matches: MatchFunction<Record<string, string>>, path: string) {
  try {
    return matches(path);
  } catch {
    // decodeURIComponent threw: the pattern fitted, the parameter cannot be decoded.
    return 'undecodable' as const;
  }
}

/**
 * The context as mountRoutes builds it: the members of every access rule, of which authorize sets
 * those the route's rule promises; the route's handler is typed to read only those.
 */
type BuiltContext = UserContext<unknown> & WorkspaceContext<unknown>;

async function handle(route: AnyRoute, deps: RouteDependencies, req: Request, res: Response) {
  const ctx = {
    req,
    requestId: requestIdOf(res) ?? '',
    receivedAt: receivedAtOf(res) ?? new Date(),
    params: req.params,
  } as BuiltContext;
  ctx.links = createLinks(baseUrlFor(req, deps.publicUrl));
  if (route.access.kind !== 'public') {
    ctx.principal = await deps.authenticate(req.headers.authorization);
    setPrincipal(res, ctx.principal);
    await authorize(route, deps, ctx, ctx.principal);
  }
  // Query and body are checked independently and their problems reported together
  // (API.md §1: every problem found, not only the first).
  const problems = [
    ...collectProblems(() => {
      ctx.query = parseQuery(req.query as Record<string, unknown>, route.query ?? {}, route.method);
    }),
    ...collectProblems(() => {
      if (route.body) ctx.body = validBody(deps.schemas, route.body, req.body);
    }),
  ];
  // Sorted by status so the most general one (400) sets the response status.
  if (problems.length > 0) throw new ApiError(problems.sort((a, b) => a.status - b.status));
  // `never`: AnyRoute forgets which rule and body a handler was declared with (route() checked
  // them); authorize and validBody above established exactly those.
  return route.handler(ctx as never);
}

function validBody(schemas: SchemaRegistry, schemaId: string, body: unknown): unknown {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('invalid_document', 'The request body must be a JSON:API document (a JSON object).', {
      pointer: '',
    });
  }
  schemas.assertValid(schemaId, body);
  return body;
}

/** Runs a check; the items of an ApiError it throws are returned, anything else propagates. */
function collectProblems(check: () => void): ApiErrorItem[] {
  try {
    check();
    return [];
  } catch (err) {
    if (err instanceof ApiError) return err.items;
    throw err;
  }
}

async function authorize(route: AnyRoute, deps: RouteDependencies, ctx: BuiltContext, principal: Principal) {
  const rule = route.access;
  const param = (name: string) => ctx.params[name] ?? '';
  switch (rule.kind) {
    case 'authenticated':
      return;
    case 'tenant': {
      ctx.tenantPermissions = deps.policy.requireTenant(principal, param('tenant'), rule.permission);
      return;
    }
    case 'workspace': {
      const access = await deps.policy.requireWorkspace(principal, param('workspace'), rule.permission);
      ctx.workspace = access.workspace;
      ctx.workspacePermissions = access.permissions;
      return;
    }
    case 'user': {
      const access = await deps.policy.requireUser(principal, param('user'), rule.permission);
      ctx.targetUserId = access.targetUserId;
      ctx.isSelf = access.isSelf;
      ctx.tenantPermissions = access.tenantPermissions;
      return;
    }
  }
}

/**
 * 405 + Allow for a known path with a method it does not serve (OPTIONS included: Express would
 * otherwise answer it itself with a text/plain body). Unknown paths fall through to the 404.
 */
export function methodNotAllowed(routes: AnyRoute[]) {
  // decode: false — only whether the path matches matters here; decoding a malformed escape
  // ("%ZZ") would throw a bare URIError here, a 500 (the router's own decode error becomes a 404).
  const patterns = routes.map((r) => ({ method: r.method, matches: match(r.path, { decode: false }) }));
  return (req: Request, _res: Response, next: NextFunction) => {
    const path = req.path;
    const allowed: string[] = [...new Set(patterns.filter((p) => p.matches(path)).map((p) => p.method))];
    const allow = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
    if (allow.length === 0 || allow.includes(req.method)) return next();
    next(
      new ApiError(
        {
          status: 405,
          code: 'method_not_allowed',
          title: 'Method not allowed',
          detail: `${req.method} is not supported here. Allowed: ${allow.join(', ')}.`,
        },
        { Allow: allow.join(', ') },
      ),
    );
  };
}
