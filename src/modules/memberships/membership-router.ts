import { assertResource, relationshipId } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { membershipSpec } from './membership-serializer.js';
import type { MembershipService } from './membership-service.js';

export function membershipRoutes(memberships: MembershipService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace/memberships',
      access: access.workspace('workspaces.membership.get'),
      response: { status: 200, type: 'membership', many: true },
      query: { paginated: true },
      handler: async (ctx) =>
        collectionResult(membershipSpec, await memberships.list(ctx.workspace.id, ctx.query.page), ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace/memberships/:id',
      access: access.workspace('workspaces.membership.get'),
      response: { status: 200, type: 'membership' },
      handler: async (ctx) =>
        resourceResult(membershipSpec, await memberships.get(ctx.workspace.id, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'POST',
      path: '/v2/workspaces/:workspace/memberships',
      access: access.workspace('workspaces.membership.create'),
      response: { status: 201, type: 'membership' },
      body: 'membership-create',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'membership');
        const user = relationshipId(data, ['user'], 'user');
        const { role } = data.attributes;
        const membership = await memberships.create(
          ctx.workspace,
          { userId: user?.id ?? '', role },
          auditActorOf(ctx),
        );
        return createdResult(membershipSpec, membership, ctx);
      },
    }),
    route({
      method: 'PATCH',
      path: '/v2/workspaces/:workspace/memberships/:id',
      access: access.workspace('workspaces.membership.edit'),
      response: { status: 200, type: 'membership' },
      body: 'membership-update',
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await memberships.get(ctx.workspace.id, id);
        const data = assertResource(ctx.body, 'membership', id);
        const { role } = data.attributes;
        return resourceResult(
          membershipSpec,
          await memberships.changeRole(ctx.workspace, id, role, auditActorOf(ctx)),
          ctx,
        );
      },
    }),
    route({
      method: 'DELETE',
      path: '/v2/workspaces/:workspace/memberships/:id',
      access: access.workspace('workspaces.membership.delete'),
      response: { status: 204 },
      handler: async (ctx) => {
        await memberships.remove(ctx.workspace, ctx.params.id ?? '', auditActorOf(ctx));
        return { status: 204 };
      },
    }),
  ];
}
