// Writes audit events (API.md §5). Callers pass their transaction client so an event is committed
// with the change it records, or not at all. `details` carries names and kinds only (e.g. which
// attributes changed, a failure category), never values: an event must never hold a credential.
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { RequestContext } from '../../http/route-table.js';

export const AUDIT_ACTIONS = [
  'auth_secret.create',
  'auth_secret.update',
  'auth_secret.delete',
  'auth_secret.refresh',
  'auth_secret.read',
  'membership.create',
  'membership.update',
  'membership.delete',
  'role.create',
  'role.update',
  'role.delete',
  'api_key.create',
  'api_key.revoke',
  'auth_client.create',
  'auth_client.update',
  'auth_client.delete',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did it, in which request: taken from the authenticated request, never from its body. */
export interface AuditActor {
  tenantId: string;
  userId: string | null;
  apiKeyId: string | null;
  requestId: string | null;
}

export interface AuditEventInput {
  action: AuditAction;
  outcome?: 'success' | 'failure';
  resourceType: string;
  resourceId: string;
  /** Set for workspace-level events (secrets, memberships); null for tenant-level ones. */
  workspaceId?: string | null;
  details?: Record<string, string | number | boolean | string[] | null>;
}

type Db = Prisma.TransactionClient | PrismaClient;

export function auditActorOf(ctx: Pick<RequestContext, 'principal' | 'requestId'>): AuditActor {
  return {
    tenantId: ctx.principal.tenantId,
    userId: ctx.principal.userId,
    apiKeyId: ctx.principal.apiKeyId,
    requestId: ctx.requestId || null,
  };
}

/** The refresh worker acts on its own: no user, no key. */
export const systemActor = (tenantId: string): AuditActor => ({
  tenantId,
  userId: null,
  apiKeyId: null,
  requestId: null,
});

function toRow(actor: AuditActor, event: AuditEventInput): Prisma.AuditEventUncheckedCreateInput {
  return {
    tenantId: actor.tenantId,
    workspaceId: event.workspaceId ?? null,
    action: event.action,
    outcome: event.outcome ?? 'success',
    actorUserId: actor.userId,
    actorApiKeyId: actor.apiKeyId,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    requestId: actor.requestId,
    ...(event.details ? { details: event.details } : {}),
  };
}

export async function recordAuditEvent(db: Db, actor: AuditActor, event: AuditEventInput): Promise<void> {
  await db.auditEvent.create({ data: toRow(actor, event) });
}

/** Several events in one statement (e.g. one read event per secret of a listed page). */
export async function recordAuditEvents(db: Db, actor: AuditActor, events: AuditEventInput[]): Promise<void> {
  if (events.length > 0) await db.auditEvent.createMany({ data: events.map((e) => toRow(actor, e)) });
}

/** Deletes events older than the retention period; returns how many went. */
export async function pruneAuditEvents(prisma: PrismaClient, olderThan: Date): Promise<number> {
  const { count } = await prisma.auditEvent.deleteMany({ where: { createdAt: { lt: olderThan } } });
  return count;
}
