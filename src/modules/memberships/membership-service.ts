import { isUniqueViolation } from '../../db/prisma-errors.js';
import { isUuid } from '../../db/uuid7.js';
import { ApiError, conflict, notFound } from '../../errors/api-error.js';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import type { WorkspaceScope } from '../../permissions/access-policy.js';
import { OWNER_ROLE_ID } from '../../permissions/permission-catalogue.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import type { MembershipView } from './membership-serializer.js';

const withRole = { role: { select: { name: true } } } as const;

export function createMembershipService(prisma: PrismaClient) {
  /** A role the tenant can assign: a built-in one or one of its own custom roles, by name. */
  async function roleByName(tx: Prisma.TransactionClient, tenantId: string, name: string) {
    const role = await tx.role.findFirst({
      where: { name, OR: [{ tenantId: null }, { tenantId }] },
      select: { id: true },
    });
    if (!role) {
      throw new ApiError({
        status: 422,
        code: 'unknown_role',
        title: 'Invalid value',
        detail: `There is no role named "${name}" (see GET /v2/tenants/{tenant}/roles).`,
        source: { pointer: '/data/attributes/role' },
      });
    }
    return role.id;
  }

  /** Serialises owner changes per workspace so two requests cannot remove the last two owners at once. */
  async function assertOwnerRemains(tx: Prisma.TransactionClient, workspaceId: string, leavingId: string) {
    await tx.$queryRaw`SELECT id FROM workspaces WHERE id = ${workspaceId}::uuid FOR UPDATE`;
    const others = await tx.membership.count({
      where: { workspaceId, roleId: OWNER_ROLE_ID, id: { not: leavingId } },
    });
    if (others === 0) throw conflict('last_owner', 'A workspace must keep at least one owner.');
  }

  async function get(workspaceId: string, id: string): Promise<MembershipView> {
    const m = isUuid(id)
      ? await prisma.membership.findFirst({ where: { id, workspaceId }, include: withRole })
      : null;
    if (!m) throw notFound('membership');
    return m;
  }

  return {
    get,

    async list(workspaceId: string, opts: { size: number; cursor?: string }): Promise<Page<MembershipView>> {
      const rows = await prisma.membership.findMany({
        where: { workspaceId, ...(opts.cursor ? { id: { gt: opts.cursor } } : {}) },
        include: withRole,
        orderBy: { id: 'asc' },
        take: opts.size + 1,
      });
      return toPage(rows, opts.size);
    },

    async create(
      workspace: WorkspaceScope,
      input: { userId: string; role: string },
      actor: AuditActor,
    ): Promise<MembershipView> {
      // The user must be in the workspace's tenant; another tenant's user is as good as absent.
      // isUuid first: the schema's uuid format also admits "urn:uuid:…", which PostgreSQL refuses (a 500).
      const user = isUuid(input.userId)
        ? await prisma.user.findFirst({ where: { id: input.userId, tenantId: workspace.tenantId } })
        : null;
      if (!user) throw notFound('user');
      try {
        return await prisma.$transaction(async (tx) => {
          const roleId = await roleByName(tx, workspace.tenantId, input.role);
          const created = await tx.membership.create({
            data: { tenantId: workspace.tenantId, workspaceId: workspace.id, userId: user.id, roleId },
            include: withRole,
          });
          await audit(tx, actor, 'membership.create', created, { role: input.role, user_id: user.id });
          return created;
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw conflict('already_member', 'This user is already a member of the workspace.', {
            pointer: '/data/relationships/user',
          });
        }
        throw err;
      }
    },

    async changeRole(
      workspace: WorkspaceScope,
      id: string,
      role: string,
      actor: AuditActor,
    ): Promise<MembershipView> {
      const current = await get(workspace.id, id);
      return prisma.$transaction(async (tx) => {
        const roleId = await roleByName(tx, workspace.tenantId, role);
        if (current.roleId === OWNER_ROLE_ID && roleId !== OWNER_ROLE_ID)
          await assertOwnerRemains(tx, workspace.id, id);
        const updated = await tx.membership.update({ where: { id }, data: { roleId }, include: withRole });
        await audit(tx, actor, 'membership.update', updated, { role, previous_role: current.role.name });
        return updated;
      });
    },

    async remove(workspace: WorkspaceScope, id: string, actor: AuditActor): Promise<void> {
      const current = await get(workspace.id, id);
      await prisma.$transaction(async (tx) => {
        if (current.roleId === OWNER_ROLE_ID) await assertOwnerRemains(tx, workspace.id, id);
        await tx.membership.delete({ where: { id } });
        await audit(tx, actor, 'membership.delete', current, {
          role: current.role.name,
          user_id: current.userId,
        });
      });
    },
  };
}

function audit(
  tx: Prisma.TransactionClient,
  actor: AuditActor,
  action: 'membership.create' | 'membership.update' | 'membership.delete',
  m: { id: string; workspaceId: string },
  details: Record<string, string>,
) {
  return recordAuditEvent(tx, actor, {
    action,
    resourceType: 'membership',
    resourceId: m.id,
    workspaceId: m.workspaceId,
    details,
  });
}

export type MembershipService = ReturnType<typeof createMembershipService>;
