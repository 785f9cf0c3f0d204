// Who may do what, where (API.md §2). Scope comes only from the path and the principal:
// callers pass the tenant/workspace id taken from the URL, never from a request body.
// Invisible → the caller gets 404; visible but not allowed → 403.
import type { Principal } from '../auth/principal.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { forbidden, notFound } from '../http/errors.js';
import { isUuid } from '../http/jsonapi/query.js';
import {
  ALL_TENANT_PERMISSIONS,
  ALL_WORKSPACE_PERMISSIONS,
  isWorkspacePermission,
  type Permission,
  TENANT_MEMBER_PERMISSIONS,
  type TenantPermission,
  type WorkspacePermission,
} from './permission-catalogue.js';

export interface WorkspaceScope {
  id: string;
  tenantId: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Applies an API key's scopes on top of what the user's roles grant. */
export function withinScopes<P extends Permission>(principal: Principal, granted: Iterable<P>): Set<P> {
  const result = new Set<P>();
  for (const p of granted) if (!principal.scopes || principal.scopes.has(p)) result.add(p);
  return result;
}

export function tenantPermissionsOf(principal: Principal, tenantId: string): Set<TenantPermission> | null {
  if (principal.tenantId !== tenantId) return null;
  const granted = principal.tenantRole === 'admin' ? ALL_TENANT_PERMISSIONS : TENANT_MEMBER_PERMISSIONS;
  return withinScopes(principal, granted);
}

export function createAccessPolicy(prisma: PrismaClient) {
  /** The workspace and the caller's permissions in it, or null when the caller cannot see it. */
  async function workspaceAccess(
    principal: Principal,
    workspaceId: string,
  ): Promise<{ workspace: WorkspaceScope; permissions: Set<WorkspacePermission> } | null> {
    if (!isUuid(workspaceId)) return null;
    const workspace = await prisma.workspace.findFirst({
      where: { id: workspaceId, tenantId: principal.tenantId },
      include: {
        memberships: {
          where: { userId: principal.userId },
          select: { role: { select: { permissions: true } } },
        },
      },
    });
    if (!workspace) return null;
    const { memberships, ...scope } = workspace;
    let granted: WorkspacePermission[];
    if (principal.tenantRole === 'admin') granted = ALL_WORKSPACE_PERMISSIONS;
    else if (memberships[0]) granted = memberships[0].role.permissions.filter(isWorkspacePermission);
    else return null;
    return { workspace: scope, permissions: withinScopes(principal, granted) };
  }

  return {
    workspaceAccess,

    async requireWorkspace(principal: Principal, workspaceId: string, permission: WorkspacePermission) {
      const access = await workspaceAccess(principal, workspaceId);
      if (!access) throw notFound('workspace');
      if (!access.permissions.has(permission)) throw forbidden(permission);
      return access;
    },

    requireTenant(principal: Principal, tenantId: string, permission: TenantPermission | null) {
      const permissions = tenantPermissionsOf(principal, tenantId);
      if (!permissions) throw notFound('tenant');
      if (permission && !permissions.has(permission)) throw forbidden(permission);
      return permissions;
    },
  };
}

export type AccessPolicy = ReturnType<typeof createAccessPolicy>;
