import type { AuditEvent } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';

export const auditEventSpec: ResourceSpec<AuditEvent> = {
  type: 'audit-event',
  id: (e) => e.id,
  attributes: (e) => ({
    action: e.action,
    outcome: e.outcome,
    resource_type: e.resourceType,
    resource_id: e.resourceId,
    request_id: e.requestId,
    details: e.details ?? null,
    actor_user_id: e.actorUserId,
    actor_api_key_id: e.actorApiKeyId,
    created_at: rfc3339(e.createdAt),
    // Events are immutable: updated_at (required on every resource, API.md §1) equals created_at.
    updated_at: rfc3339(e.createdAt),
  }),
  selfPath: (e) =>
    e.workspaceId
      ? `/v2/workspaces/${e.workspaceId}/audit-events/${e.id}`
      : `/v2/tenants/${e.tenantId}/audit-events/${e.id}`,
};
