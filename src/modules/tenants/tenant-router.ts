import { notFound } from '../../errors/api-error.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { tenantSpec } from './tenant-serializer.js';

export function tenantRoutes(prisma: PrismaClient): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant',
      access: access.tenantMember,
      response: { status: 200, type: 'tenant' },
      handler: async (ctx) => {
        const tenant = await prisma.tenant.findUnique({ where: { id: ctx.principal.tenantId } });
        if (!tenant) throw notFound('tenant');
        return resourceResult(tenantSpec, tenant, ctx);
      },
    }),
  ];
}
