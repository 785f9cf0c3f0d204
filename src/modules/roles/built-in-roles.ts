import type { PrismaClient } from '../../generated/prisma/client.js';
import { BUILT_IN_ROLES } from '../../permissions/permission-catalogue.js';

/**
 * Keeps the built-in role rows equal to the catalogue in code. Run at start-up (after migrations):
 * the code is the source of truth, the rows exist so memberships can reference any role by id.
 */
export async function ensureBuiltInRoles(prisma: PrismaClient): Promise<void> {
  for (const role of BUILT_IN_ROLES) {
    await prisma.role.upsert({
      where: { id: role.id },
      create: {
        id: role.id,
        tenantId: null,
        name: role.name,
        permissions: [...role.permissions],
        builtIn: true,
      },
      update: { name: role.name, permissions: [...role.permissions], builtIn: true },
    });
  }
}
