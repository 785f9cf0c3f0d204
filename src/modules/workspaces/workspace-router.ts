import { assertResource } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { workspaceSpec } from './workspace-serializer.js';
import type { WorkspaceService } from './workspace-service.js';

export function workspaceRoutes(workspaces: WorkspaceService): AnyRoute[] {
  return [
    route({
      method: 'POST',
      path: '/v2/tenants/:tenant/workspaces',
      access: access.tenant('tenants.workspace.create'),
      response: { status: 201, type: 'workspace' },
      body: 'workspace-create',
      handler: async (ctx) => {
        const { name } = assertResource(ctx.body, 'workspace').attributes;
        return createdResult(workspaceSpec, await workspaces.create(ctx.principal, name), ctx);
      },
    }),
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/workspaces',
      access: access.tenantMember,
      response: { status: 200, type: 'workspace', many: true },
      query: { paginated: true },
      handler: async (ctx) =>
        collectionResult(workspaceSpec, await workspaces.listVisible(ctx.principal, ctx.query.page), ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace',
      access: access.workspace('workspaces.workspace.get'),
      response: { status: 200, type: 'workspace' },
      handler: async (ctx) => resourceResult(workspaceSpec, ctx.workspace, ctx),
    }),
    route({
      method: 'PATCH',
      path: '/v2/workspaces/:workspace',
      access: access.workspace('workspaces.workspace.edit'),
      response: { status: 200, type: 'workspace' },
      body: 'workspace-update',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'workspace', ctx.workspace.id);
        const name = data.attributes?.name;
        const updated = name === undefined ? ctx.workspace : await workspaces.rename(ctx.workspace, name);
        return resourceResult(workspaceSpec, updated, ctx);
      },
    }),
    route({
      method: 'DELETE',
      path: '/v2/workspaces/:workspace',
      access: access.workspace('workspaces.workspace.delete'),
      response: { status: 204 },
      handler: async (ctx) => {
        await workspaces.remove(ctx.workspace, auditActorOf(ctx));
        return { status: 204 };
      },
    }),
  ];
}
