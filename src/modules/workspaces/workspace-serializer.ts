import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';
import type { WorkspaceScope } from '../../permissions/access-policy.js';

export const workspaceSpec: ResourceSpec<WorkspaceScope> = {
  type: 'workspace',
  id: (w) => w.id,
  attributes: (w) => ({ name: w.name, created_at: rfc3339(w.createdAt), updated_at: rfc3339(w.updatedAt) }),
  selfPath: (w) => `/v2/workspaces/${w.id}`,
  relationships: {
    tenant: { type: 'tenant', id: (w) => w.tenantId, relatedPath: (w) => `/v2/tenants/${w.tenantId}` },
  },
};
