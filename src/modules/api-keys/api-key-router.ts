import { assertResource } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { apiKeySpec } from './api-key-serializer.js';
import type { ApiKeyService } from './api-key-service.js';

export function apiKeyRoutes(keys: ApiKeyService): AnyRoute[] {
  return [
    route({
      method: 'POST',
      path: '/v2/users/:user/api-keys',
      access: access.selfOr('tenants.user.edit'),
      response: { status: 201, type: 'api-key' },
      body: 'api-key-create',
      handler: async (ctx) => {
        const a = assertResource(ctx.body, 'api-key').attributes;
        const key = await keys.create(
          ctx.principal,
          ctx.targetUserId,
          {
            name: a.name,
            ...(a.scopes !== undefined ? { scopes: a.scopes } : {}),
            expiresAt: a.expires_at ? new Date(a.expires_at) : null,
          },
          auditActorOf(ctx),
        );
        return createdResult(apiKeySpec, key, ctx);
      },
    }),
    route({
      method: 'GET',
      path: '/v2/users/:user/api-keys',
      access: access.selfOr('tenants.user.get'),
      response: { status: 200, type: 'api-key', many: true },
      query: { paginated: true },
      handler: async (ctx) =>
        collectionResult(apiKeySpec, await keys.list(ctx.targetUserId, ctx.query.page), ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/users/:user/api-keys/:id',
      access: access.selfOr('tenants.user.get'),
      response: { status: 200, type: 'api-key' },
      handler: async (ctx) =>
        resourceResult(apiKeySpec, await keys.get(ctx.targetUserId, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'DELETE',
      path: '/v2/users/:user/api-keys/:id',
      access: access.selfOr('tenants.user.edit'),
      response: { status: 204 },
      handler: async (ctx) => {
        await keys.revoke(ctx.principal, ctx.targetUserId, ctx.params.id ?? '', auditActorOf(ctx));
        return { status: 204 };
      },
    }),
  ];
}
