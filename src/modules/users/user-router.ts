import { assertResource } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { userSpec } from './user-serializer.js';
import type { UserService } from './user-service.js';

export function userRoutes(users: UserService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/users/me',
      access: access.authenticated,
      response: { status: 200, type: 'user' },
      handler: async (ctx) =>
        resourceResult(userSpec, await users.get(ctx.principal.tenantId, ctx.principal.userId), ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/users/:user',
      access: access.selfOr('tenants.user.get'),
      response: { status: 200, type: 'user' },
      handler: async (ctx) =>
        resourceResult(userSpec, await users.get(ctx.principal.tenantId, ctx.targetUserId), ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/users',
      access: access.tenant('tenants.user.get'),
      response: { status: 200, type: 'user', many: true },
      query: { filters: { email: 'string' }, paginated: true },
      handler: async (ctx) =>
        collectionResult(
          userSpec,
          await users.list(ctx.principal.tenantId, { ...ctx.query.filters, ...ctx.query.page }),
          ctx,
        ),
    }),
    route({
      method: 'POST',
      path: '/v2/tenants/:tenant/users',
      access: access.tenant('tenants.user.create'),
      response: { status: 201, type: 'user' },
      body: 'user-create',
      handler: async (ctx) => {
        const a = assertResource(ctx.body, 'user').attributes;
        const user = await users.create(ctx.principal.tenantId, {
          email: a.email,
          name: a.name,
          tenantRole: a.tenant_role ?? 'member',
        });
        return createdResult(userSpec, user, ctx);
      },
    }),
  ];
}
