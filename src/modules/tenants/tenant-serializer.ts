import type { Tenant } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';

export const tenantSpec: ResourceSpec<Tenant> = {
  type: 'tenant',
  id: (t) => t.id,
  attributes: (t) => ({ name: t.name, created_at: rfc3339(t.createdAt), updated_at: rfc3339(t.updatedAt) }),
  selfPath: (t) => `/v2/tenants/${t.id}`,
};
