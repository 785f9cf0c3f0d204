// Every route is declared as data with `route({...})`: method, path, the access rule it needs, its
// body schema and query spec, and a small handler. `access` is a required member, so a route
// without a declared permission (or an explicit `public`/`authenticated`) does not compile, and
// mountRoutes refuses it. The handler's context type follows from `access` and `body`.
import type { Request } from 'express';
import type { Principal } from '../auth/principal.js';
import type { CallerWorkspace } from '../permissions/access-policy.js';
import type { TenantPermission, WorkspacePermission } from '../permissions/permission-catalogue.js';
import type { Links } from './jsonapi/links.js';
import type { ParsedQuery, QuerySpec } from './jsonapi/query.js';
import type { ResponseDeclaration } from './openapi/response-declaration.js';
import type { RequestBody, RequestSchemaId } from './validation/request-bodies.js';

export interface PublicAccess {
  /** No authentication at all (health checks). */
  kind: 'public';
}
export interface AuthenticatedAccess {
  /** Any valid API key. */
  kind: 'authenticated';
}
export interface TenantAccess {
  /** `:tenant` must be the caller's tenant; `permission` null means membership suffices. */
  kind: 'tenant';
  permission: TenantPermission | null;
}
export interface WorkspaceAccess {
  /** `:workspace` must be visible to the caller, who must hold `permission` in it. */
  kind: 'workspace';
  permission: WorkspacePermission;
}
export interface UserAccess {
  /** `:user` (or "me") must be in the caller's tenant; the caller is that user or holds `permission`. */
  kind: 'user';
  permission: TenantPermission;
}
export type Access = PublicAccess | AuthenticatedAccess | TenantAccess | WorkspaceAccess | UserAccess;

export const access = {
  public: { kind: 'public' } as PublicAccess,
  authenticated: { kind: 'authenticated' } as AuthenticatedAccess,
  tenantMember: { kind: 'tenant', permission: null } as TenantAccess,
  tenant: (permission: TenantPermission): TenantAccess => ({ kind: 'tenant', permission }),
  workspace: (permission: WorkspacePermission): WorkspaceAccess => ({ kind: 'workspace', permission }),
  selfOr: (permission: TenantPermission): UserAccess => ({ kind: 'user', permission }),
};

/** What every handler gets, whatever its access rule. */
export interface BaseContext<Body = undefined> {
  req: Request;
  requestId: string;
  /** When the request arrived, before authentication or any queueing (src/http/request-id.ts). */
  receivedAt: Date;
  links: Links;
  params: Record<string, string>;
  query: ParsedQuery;
  /** The body, already valid against the route's schema; `undefined` for routes that take none. */
  body: Body;
}

export interface AuthenticatedContext<Body = undefined> extends BaseContext<Body> {
  principal: Principal;
}

export interface TenantContext<Body = undefined> extends AuthenticatedContext<Body> {
  /** The caller's permissions in `:tenant`. */
  tenantPermissions: ReadonlySet<TenantPermission>;
}

export interface WorkspaceContext<Body = undefined> extends AuthenticatedContext<Body> {
  workspace: CallerWorkspace;
  workspacePermissions: ReadonlySet<WorkspacePermission>;
}

export interface UserContext<Body = undefined> extends TenantContext<Body> {
  /** The user named by `:user` ("me" resolved), and whether it is the caller. */
  targetUserId: string;
  isSelf: boolean;
}

/**
 * The context a handler gets under access rule `A`: only what authorizing `A` established, so
 * reading `ctx.workspace` on a tenant route, or `ctx.principal` on a public one, does not compile.
 */
export type ContextFor<A extends Access, Body = undefined> = A extends WorkspaceAccess
  ? WorkspaceContext<Body>
  : A extends UserAccess
    ? UserContext<Body>
    : A extends TenantAccess
      ? TenantContext<Body>
      : A extends AuthenticatedAccess
        ? AuthenticatedContext<Body>
        : BaseContext<Body>;

export interface HttpResult {
  status: number;
  document?: unknown;
  /** An HTML page instead of a document: only the OAuth callback, which a browser follows. */
  html?: string;
  headers?: Record<string, string>;
  /** Content-Type of `document` when it is not a JSON:API document (the OpenAPI description). */
  mediaType?: string;
}

/** The body type of a route declaring schema `Id` (none declared: no body). */
export type BodyOf<Id extends RequestSchemaId | undefined> = Id extends RequestSchemaId
  ? RequestBody<Id>
  : undefined;

export interface RouteDefinition<
  A extends Access = Access,
  Id extends RequestSchemaId | undefined = undefined,
> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  access: A;
  /** $id of the JSON Schema the body must satisfy (its type is the handler's `ctx.body`); routes without it take no body. */
  body?: Id;
  query?: QuerySpec;
  /**
   * The route honours `If-Match` (API.md §9.3: 412 precondition_failed when no tag is current).
   * The handler reads the header itself; this declares it for the OpenAPI description.
   */
  ifMatch?: true;
  /**
   * What a successful call answers (one declaration per success status), for the OpenAPI
   * description (src/http/openapi/); error statuses are described for every route alike.
   */
  response?: ResponseDeclaration | readonly ResponseDeclaration[];
  handler: (ctx: ContextFor<A, BodyOf<Id>>) => Promise<HttpResult>;
}

/**
 * Declares a route, inferring the handler's context from `access` and its body from `body`.
 * `Id` is inferred from `body` alone (handlers leave `ctx` unannotated), so a route without
 * `body` has `ctx.body: undefined`.
 */
export function route<A extends Access, Id extends RequestSchemaId | undefined = undefined>(
  definition: RouteDefinition<A, Id>,
): AnyRoute {
  // The brand is type-only: nothing is added at run time.
  return definition as RouteDefinition<A, Id> & { [checkedByRoute]: true };
}

/** Only route() makes an AnyRoute, so no table entry skips its context and body checks. */
declare const checkedByRoute: unique symbol;

/**
 * Any route, whatever its access rule and body: the element type of the route table that
 * mountRoutes iterates. Its handler takes the context mountRoutes builds, which has every member
 * the route's rule promises (mount-routes.ts's authorize sets them by `access.kind`).
 */
export interface AnyRoute extends Omit<RouteDefinition, 'handler' | 'body'> {
  readonly [checkedByRoute]: true;
  body?: RequestSchemaId;
  handler: (ctx: never) => Promise<HttpResult>;
}
