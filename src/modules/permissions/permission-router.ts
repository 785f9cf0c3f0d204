import { notFound } from '../../errors/api-error.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { collectionResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import {
  ALL_PERMISSIONS,
  isWorkspacePermission,
  type Permission,
  TENANT_PERMISSIONS,
  WORKSPACE_PERMISSIONS,
} from '../../permissions/permission-catalogue.js';

const describe = (p: Permission) =>
  isWorkspacePermission(p)
    ? WORKSPACE_PERMISSIONS[p]
    : TENANT_PERMISSIONS[p as keyof typeof TENANT_PERMISSIONS];

// Permissions are part of the code, not rows: their timestamps are those of the catalogue's
// current version (API.md §1 wants created_at/updated_at on every resource).
const CATALOGUE_DATE = '2026-11-22T00:00:00.000Z';

export const permissionSpec: ResourceSpec<Permission> = {
  type: 'permission',
  id: (p) => p,
  attributes: (p) => ({
    scope: isWorkspacePermission(p) ? 'workspace' : 'tenant',
    description: describe(p),
    created_at: CATALOGUE_DATE,
    updated_at: CATALOGUE_DATE,
  }),
  selfPath: (p) => `/v2/permissions/${p}`,
};

export function permissionRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/permissions',
      access: access.authenticated,
      response: { status: 200, type: 'permission', many: true },
      handler: async (ctx) => collectionResult(permissionSpec, ALL_PERMISSIONS, ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/permissions/:id',
      access: access.authenticated,
      response: { status: 200, type: 'permission' },
      handler: async (ctx) => {
        const p = ALL_PERMISSIONS.find((x) => x === ctx.params.id);
        if (!p) throw notFound('permission');
        return resourceResult(permissionSpec, p, ctx);
      },
    }),
  ];
}
