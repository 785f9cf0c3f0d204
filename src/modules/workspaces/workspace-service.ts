import type { Principal } from '../../auth/principal.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';
import { conflict } from '../../errors/api-error.js';
import type { PrismaClient, Workspace } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import { OWNER_ROLE_ID } from '../../permissions/permission-catalogue.js';
import type { AuditActor } from '../audit-events/audit-recorder.js';
import {
  type AfterPurge,
  lockRevocableLiveOfWorkspace,
  lockTrashedOfWorkspace,
  purgeSecrets,
} from '../auth-secrets/trash/purge.js';

const nameTaken = () =>
  conflict('name_taken', 'A workspace with this name already exists in the tenant.', {
    pointer: '/data/attributes/name',
  });

async function mapUnique<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

/** `afterPurge`: what follows the removal of its secrets once the delete committed (token revocation). */
export function createWorkspaceService(prisma: PrismaClient, afterPurge: AfterPurge) {
  return {
    /** The creator becomes the workspace's owner, in the same transaction. */
    create(principal: Principal, name: string): Promise<Workspace> {
      return mapUnique(
        prisma.$transaction(async (tx) => {
          const workspace = await tx.workspace.create({ data: { tenantId: principal.tenantId, name } });
          await tx.membership.create({
            data: {
              tenantId: principal.tenantId,
              workspaceId: workspace.id,
              userId: principal.userId,
              roleId: OWNER_ROLE_ID,
            },
          });
          return workspace;
        }),
      );
    },

    /** Only the workspaces the caller can see: all of them for a tenant admin, else its memberships. */
    async listVisible(
      principal: Principal,
      opts: { size: number; cursor?: string },
    ): Promise<Page<Workspace>> {
      const rows = await prisma.workspace.findMany({
        where: {
          tenantId: principal.tenantId,
          ...(principal.tenantRole === 'admin'
            ? {}
            : { memberships: { some: { userId: principal.userId } } }),
          ...(opts.cursor ? { id: { gt: opts.cursor } } : {}),
        },
        orderBy: { id: 'asc' },
        take: opts.size + 1,
      });
      return toPage(rows, opts.size);
    },

    rename(workspace: { id: string; tenantId: string }, name: string): Promise<Workspace> {
      return mapUnique(
        prisma.workspace.update({
          where: { id: workspace.id, tenantId: workspace.tenantId },
          data: { name },
        }),
      );
    },

    /**
     * Memberships and auth-secrets go with it (ON DELETE CASCADE); the secrets in its trash are
     * purged first, through the one purge path (audited, API.md §9.2). The tokens of every secret
     * removed, trashed or live, are revoked after the commit (API.md §10.1).
     */
    async remove(workspace: { id: string; tenantId: string }, actor: AuditActor): Promise<void> {
      const removed = await prisma.$transaction(async (tx) => {
        const trashed = await lockTrashedOfWorkspace(tx, workspace.tenantId, workspace.id);
        const purged = await purgeSecrets(tx, trashed, 'workspace_deleted', () => actor);
        const live = await lockRevocableLiveOfWorkspace(tx, workspace.tenantId, workspace.id, actor);
        await tx.workspace.deleteMany({ where: { id: workspace.id, tenantId: workspace.tenantId } });
        return [...purged, ...live];
      });
      afterPurge(removed);
    },
  };
}

export type WorkspaceService = ReturnType<typeof createWorkspaceService>;
