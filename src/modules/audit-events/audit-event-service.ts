import { isUuid } from '../../db/uuid7.js';
import { notFound } from '../../errors/api-error.js';
import type { AuditEvent, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';

export interface AuditFilters {
  action?: string;
  actor?: string;
  resource?: string;
}

/** Where events live: one workspace, or the tenant-level events (workspace null). */
export type AuditScope = { tenantId: string; workspaceId: string | null };

const whereOf = (scope: AuditScope, f: AuditFilters): Prisma.AuditEventWhereInput => ({
  tenantId: scope.tenantId,
  workspaceId: scope.workspaceId,
  ...(f.action ? { action: f.action } : {}),
  ...(f.actor ? { actorUserId: f.actor } : {}),
  ...(f.resource ? { resourceId: f.resource } : {}),
});

export function createAuditEventService(prisma: PrismaClient) {
  return {
    /** Newest first: ids are UUIDv7, so descending id is descending creation time. */
    async list(
      scope: AuditScope,
      filters: AuditFilters,
      page: { size: number; cursor?: string },
    ): Promise<Page<AuditEvent>> {
      const rows = await prisma.auditEvent.findMany({
        where: { ...whereOf(scope, filters), ...(page.cursor ? { id: { lt: page.cursor } } : {}) },
        orderBy: { id: 'desc' },
        take: page.size + 1,
      });
      return toPage(rows, page.size);
    },

    async get(scope: AuditScope, id: string): Promise<AuditEvent> {
      const event = isUuid(id)
        ? await prisma.auditEvent.findFirst({ where: { id, ...whereOf(scope, {}) } })
        : null;
      if (!event) throw notFound('audit event');
      return event;
    },
  };
}

export type AuditEventService = ReturnType<typeof createAuditEventService>;
