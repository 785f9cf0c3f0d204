// `include=auth-client,user,workspace` on auth-secret documents. The related rows are batch-loaded
// (one query per type for the whole page) and handed to the document builder as `included` maps.
// Each type is included only for callers who could GET it directly, so an API key scoped to
// workspaces.auth_secret.get cannot read users or auth-clients by way of `include`.
import { ApiError } from '../../errors/api-error.js';
import type { IncludedSet } from '../../http/jsonapi/document-builder.js';
import type { RequestContext } from '../../http/route-table.js';
import { tenantPermissionsOf } from '../../permissions/access-policy.js';
import type { TenantPermission, WorkspacePermission } from '../../permissions/permission-catalogue.js';
import { authClientSpec } from '../auth-clients/auth-client-serializer.js';
import { userSpec } from '../users/user-serializer.js';
import { workspaceSpec } from '../workspaces/workspace-serializer.js';
import type { AuthSecretView } from './auth-secret-serializer.js';
import type { AuthSecretService } from './auth-secret-service.js';

export const AUTH_SECRET_INCLUDES = ['auth-client', 'user', 'workspace'] as const;

type Need = { tenant: TenantPermission } | { workspace: WorkspacePermission };

const READ_PERMISSION: Record<(typeof AUTH_SECRET_INCLUDES)[number], Need> = {
  'auth-client': { tenant: 'tenants.auth_client.get' },
  user: { tenant: 'tenants.user.get' },
  workspace: { workspace: 'workspaces.workspace.get' },
};

/** 403 (source.parameter `include`) when the caller may not read an included type. */
export function assertMayInclude(ctx: RequestContext): void {
  const tenant = tenantPermissionsOf(ctx.principal, ctx.workspace.tenantId);
  const missing: string[] = [];
  for (const name of ctx.query.include) {
    const need = READ_PERMISSION[name as keyof typeof READ_PERMISSION];
    if (!need) continue;
    if ('tenant' in need && !tenant?.has(need.tenant)) missing.push(need.tenant);
    if ('workspace' in need && !ctx.workspacePermissions.has(need.workspace)) missing.push(need.workspace);
  }
  if (missing.length === 0) return;
  throw new ApiError(
    missing.map((p) => ({
      status: 403,
      code: 'forbidden',
      title: 'Forbidden',
      detail: `Including this type requires the permission ${p}.`,
      source: { parameter: 'include' },
    })),
  );
}

export async function includedFor(
  secrets: AuthSecretService,
  ctx: RequestContext,
  items: AuthSecretView[],
): Promise<Record<string, IncludedSet> | undefined> {
  const include = ctx.query.include;
  if (include.length === 0) return undefined;
  const { authClients, users } = await secrets.related(ctx.workspace, items, include);
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
