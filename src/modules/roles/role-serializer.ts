import type { Role } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';

/** Built-in roles are shared rows; their links are rendered under the caller's tenant. */
export type RoleView = Role & { viewTenantId: string };

export const roleSpec: ResourceSpec<RoleView> = {
  type: 'role',
  id: (r) => r.id,
  attributes: (r) => ({
    name: r.name,
    permissions: r.permissions,
    built_in: r.builtIn,
    created_at: rfc3339(r.createdAt),
    updated_at: rfc3339(r.updatedAt),
  }),
  selfPath: (r) => `/v2/tenants/${r.viewTenantId}/roles/${r.id}`,
};
