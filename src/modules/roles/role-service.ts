import { isForeignKeyViolation, isUniqueViolation } from '../../db/prisma-errors.js';
import { isUuid } from '../../db/uuid7.js';
import { conflict, notFound, unprocessable } from '../../errors/api-error.js';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import { BUILT_IN_ROLES, isWorkspacePermission } from '../../permissions/permission-catalogue.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import type { RoleView } from './role-serializer.js';

export interface RoleInput {
  name?: string;
  permissions?: string[];
}

function validateInput(input: RoleInput): void {
  const problems = (input.permissions ?? []).flatMap((p, i) =>
    isWorkspacePermission(p)
      ? []
      : [
          {
            code: 'invalid_permission',
            detail: `"${p}" is not a workspace permission; custom roles hold workspace permissions only.`,
            pointer: `/data/attributes/permissions/${i}`,
          },
        ],
  );
  if (problems.length > 0) throw unprocessable(problems);
  if (input.name !== undefined && BUILT_IN_ROLES.some((r) => r.name === input.name)) {
    throw conflict('name_taken', `"${input.name}" is the name of a built-in role.`, {
      pointer: '/data/attributes/name',
    });
  }
}

const nameTaken = () =>
  conflict('name_taken', 'A role with this name already exists in the tenant.', {
    pointer: '/data/attributes/name',
  });

export function createRoleService(prisma: PrismaClient) {
  const view =
    (tenantId: string) =>
    <R extends Omit<RoleView, 'viewTenantId'>>(r: R): RoleView => ({ ...r, viewTenantId: tenantId });

  async function get(tenantId: string, id: string): Promise<RoleView> {
    const role = isUuid(id)
      ? await prisma.role.findFirst({ where: { id, OR: [{ tenantId }, { tenantId: null }] } })
      : null;
    if (!role) throw notFound('role');
    return view(tenantId)(role);
  }

  async function getCustom(tenantId: string, id: string): Promise<RoleView> {
    const role = await get(tenantId, id);
    if (role.builtIn) throw conflict('built_in_role', 'Built-in roles are read-only.');
    return role;
  }

  return {
    get,

    /** Built-in roles first (their ids sort lowest), then the tenant's custom roles. */
    async list(tenantId: string, opts: { size: number; cursor?: string }): Promise<Page<RoleView>> {
      const rows = await prisma.role.findMany({
        where: {
          OR: [{ tenantId }, { tenantId: null }],
          ...(opts.cursor ? { id: { gt: opts.cursor } } : {}),
        },
        orderBy: { id: 'asc' },
        take: opts.size + 1,
      });
      return toPage(rows.map(view(tenantId)), opts.size);
    },

    async create(tenantId: string, input: Required<RoleInput>, actor: AuditActor): Promise<RoleView> {
      validateInput(input);
      try {
        const role = await prisma.$transaction(async (tx) => {
          const created = await tx.role.create({ data: { tenantId, ...input, builtIn: false } });
          await audit(tx, actor, 'role.create', created.id, {
            name: created.name,
            permissions: created.permissions,
          });
          return created;
        });
        return view(tenantId)(role);
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken();
        throw err;
      }
    },

    async update(tenantId: string, id: string, input: RoleInput, actor: AuditActor): Promise<RoleView> {
      await getCustom(tenantId, id);
      validateInput(input);
      try {
        const role = await prisma.$transaction(async (tx) => {
          const updated = await tx.role.update({ where: { id, tenantId }, data: input });
          await audit(tx, actor, 'role.update', id, { changed: Object.keys(input).sort() });
          return updated;
        });
        return view(tenantId)(role);
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken();
        throw err;
      }
    },

    async remove(tenantId: string, id: string, actor: AuditActor): Promise<void> {
      await getCustom(tenantId, id);
      try {
        await prisma.$transaction(async (tx) => {
          await tx.role.delete({ where: { id, tenantId } });
          await audit(tx, actor, 'role.delete', id, {});
        });
      } catch (err) {
        if (isForeignKeyViolation(err)) throw conflict('role_in_use', 'Memberships still use this role.');
        throw err;
      }
    },
  };
}

function audit(
  tx: Prisma.TransactionClient,
  actor: AuditActor,
  action: 'role.create' | 'role.update' | 'role.delete',
  roleId: string,
  details: Record<string, string | string[]>,
) {
  return recordAuditEvent(tx, actor, { action, resourceType: 'role', resourceId: roleId, details });
}

export type RoleService = ReturnType<typeof createRoleService>;
