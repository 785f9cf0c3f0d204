import type { QuerySpec } from '../../http/jsonapi/query.js';
import { collectionResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { auditEventSpec } from './audit-event-serializer.js';
import type { AuditEventService } from './audit-event-service.js';
import { AUDIT_ACTIONS } from './audit-recorder.js';

const listQuery: QuerySpec = {
  filters: { action: { enum: AUDIT_ACTIONS }, actor: 'uuid', resource: 'string' },
  paginated: true,
};

export function auditEventRoutes(events: AuditEventService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace/audit-events',
      access: access.workspace('workspaces.audit_event.get'),
      response: { status: 200, type: 'audit-event', many: true },
      query: listQuery,
      handler: async (ctx) =>
        collectionResult(
          auditEventSpec,
          await events.list(
            { tenantId: ctx.workspace.tenantId, workspaceId: ctx.workspace.id },
            ctx.query.filters,
            ctx.query.page,
          ),
          ctx,
        ),
    }),
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace/audit-events/:id',
      access: access.workspace('workspaces.audit_event.get'),
      response: { status: 200, type: 'audit-event' },
      handler: async (ctx) =>
        resourceResult(
          auditEventSpec,
          await events.get(
            { tenantId: ctx.workspace.tenantId, workspaceId: ctx.workspace.id },
            ctx.params.id ?? '',
          ),
          ctx,
        ),
    }),
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/audit-events',
      access: access.tenant('tenants.audit_event.get'),
      response: { status: 200, type: 'audit-event', many: true },
      query: listQuery,
      handler: async (ctx) =>
        collectionResult(
          auditEventSpec,
          await events.list(
            { tenantId: ctx.principal.tenantId, workspaceId: null },
            ctx.query.filters,
            ctx.query.page,
          ),
          ctx,
        ),
    }),
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/audit-events/:id',
      access: access.tenant('tenants.audit_event.get'),
      response: { status: 200, type: 'audit-event' },
      handler: async (ctx) =>
        resourceResult(
          auditEventSpec,
          await events.get({ tenantId: ctx.principal.tenantId, workspaceId: null }, ctx.params.id ?? ''),
          ctx,
        ),
    }),
  ];
}
