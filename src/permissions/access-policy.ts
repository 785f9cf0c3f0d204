// Who may do what, where (API.md §2). Scope comes only from the path and the principal:
// callers pass the tenant/workspace id taken from the URL, never from a request body.
// Invisible → the caller gets 404; visible but not allowed → 403.
import type { Principal } from '../auth/principal.js';
import { createBatchLoader, uuidParts } from '../db/batch-loader.js';
import type { Sql } from '../db/prisma-client.js';
import { isUuid } from '../db/uuid7.js';
import { forbidden, notFound } from '../errors/api-error.js';
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

/**
 * A workspace as one request's caller sees it: the workspace and what the caller may do in it
 * (roles ∩ API key scopes), resolved together in one lookup. Use cases that shape a response by
 * the caller's permissions (credentials shown or not, API.md §8.1) read them from here, so no
 * layer has to look them up again.
 */
export interface CallerWorkspace extends WorkspaceScope {
  callerPermissions: ReadonlySet<WorkspacePermission>;
}

/** Applies an API key's scopes on top of what the user's roles grant. */
export function withinScopes<P extends Permission>(principal: Principal, granted: Iterable<P>): Set<P> {
  const result = new Set<P>();
  for (const p of granted) if (!principal.scopes || principal.scopes.has(p)) result.add(p);
  return result;
}

export function tenantPermissionsOf(principal: Principal, tenantId: string): Set<TenantPermission> | null {
  // UUIDs compare case-insensitively, as PostgreSQL compares the other ids of a path.
  if (principal.tenantId !== tenantId.toLowerCase()) return null;
  const granted = principal.tenantRole === 'admin' ? ALL_TENANT_PERMISSIONS : TENANT_MEMBER_PERMISSIONS;
  return withinScopes(principal, granted);
}

interface WorkspaceAccessRow {
  id: string;
  tenant_id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  /** The caller's role's permissions in the workspace; null without a membership. */
  role_permissions: string[] | null;
}

/**
 * The workspace (when it is in the caller's tenant) and the caller's role in it, for many
 * (workspace, user) pairs in one statement: lookups of concurrent requests are batched per
 * event-loop turn (src/db/batch-loader.ts). A user has at most one membership per workspace.
 */
function createWorkspaceAccessFinder(sql: Sql) {
  return createBatchLoader<string, WorkspaceAccessRow>(async (keys) => {
    const parts = keys.map((k) => k.split('|'));
    const { rows } = await sql.query<WorkspaceAccessRow & { k: string }>({
      name: 'access-find-workspaces',
      text: `SELECT q.k, w.id::text AS id, w.tenant_id::text AS tenant_id, w.name, w.created_at, w.updated_at,
              r.permissions AS role_permissions
       FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[]) AS q(k, workspace_id, tenant_id, user_id)
       JOIN workspaces w ON w.id = q.workspace_id AND w.tenant_id = q.tenant_id
       LEFT JOIN memberships m ON m.workspace_id = w.id AND m.user_id = q.user_id
       LEFT JOIN roles r ON r.id = m.role_id`,
      values: [keys, parts.map((p) => p[0]), parts.map((p) => p[1]), parts.map((p) => p[2])],
    });
    return new Map(rows.map((row) => [row.k, row]));
  }, uuidParts);
}

export function createAccessPolicy(sql: Sql) {
  const findWorkspaceAccess = createWorkspaceAccessFinder(sql);

  /** The workspace and the caller's permissions in it, or null when the caller cannot see it. */
  async function workspaceAccess(
    principal: Principal,
    workspaceId: string,
  ): Promise<{ workspace: CallerWorkspace; permissions: Set<WorkspacePermission> } | null> {
    if (!isUuid(workspaceId)) return null;
    // One round trip on every workspace-scoped request (Prisma's nested include took three:
    // workspace, membership, role), shared with the requests that arrived alongside.
    const row = await findWorkspaceAccess(
      `${workspaceId.toLowerCase()}|${principal.tenantId}|${principal.userId}`,
    );
    if (!row) return null;
    let granted: WorkspacePermission[];
    if (principal.tenantRole === 'admin') granted = ALL_WORKSPACE_PERMISSIONS;
    else if (row.role_permissions) granted = row.role_permissions.filter(isWorkspacePermission);
    else return null;
    const permissions = withinScopes(principal, granted);
    const workspace: CallerWorkspace = {
      id: row.id,
      tenantId: row.tenant_id,
      name: row.name,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      callerPermissions: permissions,
    };
    return { workspace, permissions };
  }

  return {
    workspaceAccess,

    async requireWorkspace(principal: Principal, workspaceId: string, permission: WorkspacePermission) {
      const access = await workspaceAccess(principal, workspaceId);
      if (!access) throw notFound('workspace');
      if (!access.permissions.has(permission)) throw forbidden(permission);
      return access;
    },

    requireTenant,

    /**
     * Routes about one user ("me" or an id): the user must be in the caller's tenant (else 404);
     * a user may act on themselves, anyone else needs `permission` in the tenant (else 403).
     */
    async requireUser(principal: Principal, userParam: string, permission: TenantPermission) {
      const targetId = userParam === 'me' ? principal.userId : userParam;
      if (!isUuid(targetId)) throw notFound('user');
      const { rows } = await sql.query<{ id: string }>({
        name: 'access-find-user',
        text: 'SELECT id::text AS id FROM users WHERE id = $1::uuid AND tenant_id = $2::uuid',
        values: [targetId, principal.tenantId],
      });
      const target = rows[0];
      if (!target) throw notFound('user');
      const isSelf = target.id === principal.userId;
      const tenantPermissions = requireTenant(principal, principal.tenantId, null);
      if (!isSelf && !tenantPermissions.has(permission)) throw forbidden(permission);
      return { targetUserId: target.id, isSelf, tenantPermissions };
    },
  };
}

function requireTenant(principal: Principal, tenantId: string, permission: TenantPermission | null) {
  const permissions = tenantPermissionsOf(principal, tenantId);
  if (!permissions) throw notFound('tenant');
  if (permission && !permissions.has(permission)) throw forbidden(permission);
  return permissions;
}

export type AccessPolicy = ReturnType<typeof createAccessPolicy>;
