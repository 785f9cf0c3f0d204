import { assertResource } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { roleSpec } from './role-serializer.js';
import type { RoleService } from './role-service.js';

export function roleRoutes(roles: RoleService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/roles',
      access: access.tenant('tenants.role.get'),
      response: { status: 200, type: 'role', many: true },
      query: { paginated: true },
      handler: async (ctx) =>
        collectionResult(roleSpec, await roles.list(ctx.principal.tenantId, ctx.query.page), ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/roles/:id',
      access: access.tenant('tenants.role.get'),
      response: { status: 200, type: 'role' },
      handler: async (ctx) =>
        resourceResult(roleSpec, await roles.get(ctx.principal.tenantId, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'POST',
      path: '/v2/tenants/:tenant/roles',
      access: access.tenant('tenants.role.create'),
      response: { status: 201, type: 'role' },
      body: 'role-create',
      handler: async (ctx) => {
        const a = assertResource(ctx.body, 'role').attributes;
        return createdResult(roleSpec, await roles.create(ctx.principal.tenantId, a, auditActorOf(ctx)), ctx);
      },
    }),
    route({
      method: 'PATCH',
      path: '/v2/tenants/:tenant/roles/:id',
      access: access.tenant('tenants.role.edit'),
      response: { status: 200, type: 'role' },
      body: 'role-update',
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await roles.get(ctx.principal.tenantId, id);
        const data = assertResource(ctx.body, 'role', id);
        return resourceResult(
          roleSpec,
          await roles.update(ctx.principal.tenantId, id, data.attributes ?? {}, auditActorOf(ctx)),
          ctx,
        );
      },
    }),
    route({
      method: 'DELETE',
      path: '/v2/tenants/:tenant/roles/:id',
      access: access.tenant('tenants.role.delete'),
      response: { status: 204 },
      handler: async (ctx) => {
        await roles.remove(ctx.principal.tenantId, ctx.params.id ?? '', auditActorOf(ctx));
        return { status: 204 };
      },
    }),
  ];
}
