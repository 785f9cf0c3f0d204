// Every route is declared as data: method, path, the access rule it needs, its body schema and
// query spec, and a small handler. `access` is a required member, so a route without a declared
// permission (or an explicit `public`/`authenticated`) does not compile, and mountRoutes refuses it.
import type { Request } from 'express';
import type { Principal } from '../auth/principal.js';
import type { WorkspaceScope } from '../permissions/access-policy.js';
import type { TenantPermission, WorkspacePermission } from '../permissions/permission-catalogue.js';
import type { Links } from './jsonapi/links.js';
import type { ParsedQuery, QuerySpec } from './jsonapi/query.js';

export type Access =
  /** No authentication at all (health checks). */
  | { kind: 'public' }
  /** Any valid API key. */
  | { kind: 'authenticated' }
  /** `:tenant` must be the caller's tenant; `permission` null means membership suffices. */
  | { kind: 'tenant'; permission: TenantPermission | null }
  /** `:workspace` must be visible to the caller, who must hold `permission` in it. */
  | { kind: 'workspace'; permission: WorkspacePermission }
  /** `:user` (or "me") must be in the caller's tenant; the caller is that user or holds `permission`. */
  | { kind: 'user'; permission: TenantPermission };

export const access = {
  public: { kind: 'public' } as const,
  authenticated: { kind: 'authenticated' } as const,
  tenantMember: { kind: 'tenant', permission: null } as const,
  tenant: (permission: TenantPermission): Access => ({ kind: 'tenant', permission }),
  workspace: (permission: WorkspacePermission): Access => ({ kind: 'workspace', permission }),
  selfOr: (permission: TenantPermission): Access => ({ kind: 'user', permission }),
};

export interface RequestContext {
  req: Request;
  requestId: string;
  /** When the request arrived, before authentication or any queueing (src/http/request-id.ts). */
  receivedAt: Date;
  links: Links;
  params: Record<string, string>;
  query: ParsedQuery;
  body: unknown;
  /** Set for every route but `public` ones. */
  principal: Principal;
  /** Set for `tenant` routes: the caller's permissions in `:tenant`. */
  tenantPermissions: ReadonlySet<TenantPermission>;
  /** Set for `workspace` routes. */
  workspace: WorkspaceScope;
  workspacePermissions: ReadonlySet<WorkspacePermission>;
  /** Set for `user` routes: the user named by `:user` ("me" resolved), and whether it is the caller. */
  targetUserId: string;
  isSelf: boolean;
}

export interface HttpResult {
  status: number;
  document?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  access: Access;
  /** $id of the JSON Schema the body must satisfy; routes without it take no body. */
  body?: string;
  query?: QuerySpec;
  handler: (ctx: RequestContext) => Promise<HttpResult>;
}
