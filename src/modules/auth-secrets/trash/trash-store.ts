// The SQL for auth-secrets in the trash (deleted_at set, API.md §9.2). auth-secret-store.ts skips
// such rows everywhere; these are the only queries that find them. Not on any hot path: Prisma.
import { isUuid } from '../../../db/uuid7.js';
import type { AuthSecret, Prisma, PrismaClient } from '../../../generated/prisma/client.js';

export function createTrashStore(prisma: PrismaClient) {
  return {
    /** Moves a live secret (already locked by the caller) to the trash. Its other columns stay as they are. */
    async moveToTrash(tx: Prisma.TransactionClient, id: string, at: Date): Promise<void> {
      await tx.$executeRaw`UPDATE auth_secrets SET deleted_at = ${at}::timestamptz WHERE id = ${id}::uuid`;
    },

    async find(workspaceId: string, id: string): Promise<AuthSecret | null> {
      if (!isUuid(id)) return null;
      return prisma.authSecret.findFirst({ where: { id, workspaceId, deletedAt: { not: null } } });
    },

    /** One page of a workspace's trash in id order (keyset, like the live list). */
    page(workspaceId: string, afterId: string | undefined, limit: number): Promise<AuthSecret[]> {
      return prisma.authSecret.findMany({
        where: { workspaceId, deletedAt: { not: null }, ...(afterId ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take: limit,
      });
    },

    /** The trashed secret, locked FOR UPDATE: a purge (by request, client delete or worker) waits for us. */
    async lockInWorkspace(
      tx: Prisma.TransactionClient,
      workspaceId: string,
      id: string,
    ): Promise<AuthSecret | null> {
      if (!isUuid(id)) return null;
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM auth_secrets
        WHERE id = ${id}::uuid AND workspace_id = ${workspaceId}::uuid AND deleted_at IS NOT NULL
        FOR UPDATE`;
      return locked.length > 0 ? tx.authSecret.findFirst({ where: { id, workspaceId } }) : null;
    },

    /** Back from the trash: as it was, updated_at included (nothing about the secret changed). */
    async restore(tx: Prisma.TransactionClient, id: string): Promise<void> {
      await tx.$executeRaw`UPDATE auth_secrets SET deleted_at = NULL WHERE id = ${id}::uuid`;
    },

    /** Whether the auth-client still exists; locked against deletion until the transaction ends. */
    async clientExists(
      tx: Prisma.TransactionClient,
      tenantId: string,
      authClientId: string,
    ): Promise<boolean> {
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM auth_clients WHERE id = ${authClientId}::uuid AND tenant_id = ${tenantId}::uuid
        FOR KEY SHARE`;
      return rows.length > 0;
    },

    /**
     * Up to `limit` secrets trashed at least `retentionDays` ago, locked; rows another worker holds
     * are skipped (SKIP LOCKED), so concurrent sweeps never take the same secret.
     */
    async lockDue(tx: Prisma.TransactionClient, retentionDays: number, limit: number): Promise<string[]> {
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM auth_secrets
        WHERE deleted_at <= now() - ${retentionDays}::int * interval '1 day'
        ORDER BY deleted_at, id
        LIMIT ${limit}::int
        FOR UPDATE SKIP LOCKED`;
      return rows.map((r) => r.id);
    },
  };
}

export type TrashStore = ReturnType<typeof createTrashStore>;
