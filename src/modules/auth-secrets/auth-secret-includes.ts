// `include=auth-client,user,workspace` on auth-secret documents. The service checks the policy
// (includeProblems) and batch-loads the related rows (one query per type for the whole page); the
// router hands them to the document builder as `included` maps (includedSets). Each type is
// included only for callers who could GET it directly, so an API key scoped to
// workspaces.auth_secret.get cannot read users or auth-clients by way of `include`.

import type { Principal } from '../../auth/principal.js';
import type { ApiErrorItem } from '../../errors/api-error.js';
import type { User } from '../../generated/prisma/client.js';
import type { IncludedSet } from '../../http/jsonapi/document-builder.js';
import type { WorkspaceContext } from '../../http/route-table.js';
import { tenantPermissionsOf, type WorkspaceScope } from '../../permissions/access-policy.js';
import type { TenantPermission, WorkspacePermission } from '../../permissions/permission-catalogue.js';
import type { AuthClientView } from '../auth-clients/auth-client-serializer.js';
import { authClientSpec } from '../auth-clients/auth-client-serializer.js';
import { userSpec } from '../users/user-serializer.js';
import { workspaceSpec } from '../workspaces/workspace-serializer.js';

export const AUTH_SECRET_INCLUDES = ['auth-client', 'user', 'workspace'] as const;

type Need = { tenant: TenantPermission } | { workspace: WorkspacePermission };

const READ_PERMISSION: Record<(typeof AUTH_SECRET_INCLUDES)[number], Need> = {
  'auth-client': { tenant: 'tenants.auth_client.get' },
  user: { tenant: 'tenants.user.get' },
  workspace: { workspace: 'workspaces.workspace.get' },
};

/** Who asks to include, and what: the parts of a request the include policy looks at. */
export interface IncludeRequest {
  principal: Principal;
  workspacePermissions: ReadonlySet<WorkspacePermission>;
  include: readonly string[];
}

/** The related rows of a page, for `include` (each list empty unless asked for). */
export interface RelatedRows {
  authClients: AuthClientView[];
  users: User[];
}

/** 403s (source.parameter `include`), one per included type the caller may not read. */
export function includeProblems(workspace: WorkspaceScope, ctx: IncludeRequest): ApiErrorItem[] {
  const tenant = tenantPermissionsOf(ctx.principal, workspace.tenantId);
  const missing: string[] = [];
  for (const name of ctx.include) {
    const need = READ_PERMISSION[name as keyof typeof READ_PERMISSION];
    if (!need) continue;
    if ('tenant' in need && !tenant?.has(need.tenant)) missing.push(need.tenant);
    if ('workspace' in need && !ctx.workspacePermissions.has(need.workspace)) missing.push(need.workspace);
  }
  return missing.map((p) => ({
    status: 403,
    code: 'forbidden',
    title: 'Forbidden',
    detail: `Including this type requires the permission ${p}.`,
    source: { parameter: 'include' },
  }));
}

/** The document builder's `included` maps for the related rows the service loaded. */
export function includedSets(
  ctx: Pick<WorkspaceContext, 'query' | 'workspace'>,
  related: RelatedRows | undefined,
): Record<string, IncludedSet> | undefined {
  const include = ctx.query.include;
  if (include.length === 0 || !related) return undefined;
  const { authClients, users } = related;
  const sets: Record<string, IncludedSet> = {};
  if (include.includes('auth-client')) {
    sets['auth-client'] = { spec: authClientSpec, byId: new Map(authClients.map((c) => [c.id, c])) };
  }
  if (include.includes('user')) sets.user = { spec: userSpec, byId: new Map(users.map((u) => [u.id, u])) };
  if (include.includes('workspace')) {
    sets.workspace = { spec: workspaceSpec, byId: new Map([[ctx.workspace.id, ctx.workspace]]) };
  }
  return sets;
}
