import type { Membership, Role } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';

export type MembershipView = Membership & { role: Pick<Role, 'name'> };

export const membershipSpec: ResourceSpec<MembershipView> = {
  type: 'membership',
  id: (m) => m.id,
  attributes: (m) => ({
    role: m.role.name,
    created_at: rfc3339(m.createdAt),
    updated_at: rfc3339(m.updatedAt),
  }),
  selfPath: (m) => `/v2/workspaces/${m.workspaceId}/memberships/${m.id}`,
  relationships: {
    user: { type: 'user', id: (m) => m.userId, relatedPath: (m) => `/v2/users/${m.userId}` },
    workspace: {
      type: 'workspace',
      id: (m) => m.workspaceId,
      relatedPath: (m) => `/v2/workspaces/${m.workspaceId}`,
    },
  },
};
