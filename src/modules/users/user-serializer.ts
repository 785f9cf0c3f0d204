import type { User } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';

export const userSpec: ResourceSpec<User> = {
  type: 'user',
  id: (u) => u.id,
  attributes: (u) => ({
    email: u.email,
    name: u.name,
    tenant_role: u.tenantRole,
    created_at: rfc3339(u.createdAt),
    updated_at: rfc3339(u.updatedAt),
  }),
  selfPath: (u) => `/v2/users/${u.id}`,
  relationships: {
    tenant: { type: 'tenant', id: (u) => u.tenantId, relatedPath: (u) => `/v2/tenants/${u.tenantId}` },
  },
};
