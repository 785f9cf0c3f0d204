// Writes audit events (API.md §5). Callers pass their transaction client so an event is committed
// with the change it records, or not at all. `details` carries names and kinds only (e.g. which
// attributes changed, a failure category), never values: an event must never hold a credential.
import DataLoader from 'dataloader';
import type { Sql } from '../../db/prisma-client.js';
import { randomUUID7 } from '../../db/uuid7.js';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { AuthenticatedContext } from '../../http/route-table.js';

export const AUDIT_ACTIONS = [
  'auth_secret.create',
  'auth_secret.update',
  'auth_secret.delete',
  'auth_secret.refresh',
  'auth_secret.read',
  'auth_secret.restore',
  'auth_secret.purge',
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
  'connect_session.create',
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

export function auditActorOf(ctx: Pick<AuthenticatedContext, 'principal' | 'requestId'>): AuditActor {
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

/** One event with who did it: a row of audit_events. */
export type AuditRow = AuditActor & AuditEventInput;

/**
 * One INSERT for any number of events, as raw SQL: Prisma's create costs about 0.85 ms of CPU per
 * event and createMany 17–19 ms for a page of 50 (docs/PERFORMANCE.md), while every credential
 * read writes events on the hot path.
 */
const INSERT_EVENTS = `
  INSERT INTO audit_events (id, tenant_id, workspace_id, action, outcome, actor_user_id, actor_api_key_id,
                            resource_type, resource_id, request_id, details)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::"AuditOutcome"[], $6::uuid[],
                       $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[]::jsonb[])`;

function insertParameters(rows: AuditRow[]): unknown[] {
  const column = <T>(f: (e: AuditRow) => T) => rows.map(f);
  return [
    column(() => randomUUID7()),
    column((e) => e.tenantId),
    column((e) => e.workspaceId ?? null),
    column((e) => e.action),
    column((e) => e.outcome ?? 'success'),
    column((e) => e.userId),
    column((e) => e.apiKeyId),
    column((e) => e.resourceType),
    column((e) => e.resourceId),
    column((e) => e.requestId),
    column((e) => (e.details ? JSON.stringify(e.details) : null)),
  ];
}

/** One event, with the change it records: `db` is that change's transaction client. */
export async function recordAuditEvent(db: Db, actor: AuditActor, event: AuditEventInput): Promise<void> {
  await db.$executeRawUnsafe(INSERT_EVENTS, ...insertParameters([{ ...actor, ...event }]));
}

/** Several events, each with its own actor, in one INSERT with the change they record (purges). */
export async function recordAuditEvents(db: Db, events: AuditRow[]): Promise<void> {
  if (events.length > 0) await db.$executeRawUnsafe(INSERT_EVENTS, ...insertParameters(events));
}

/**
 * For events that record no change of their own (credential reads): written outside any
 * transaction, and batched per event-loop turn — the reads of concurrent requests go in one
 * INSERT. Each caller's promise settles when that INSERT has committed, so a response that
 * discloses credentials is still only sent once its event is stored.
 */
export function createAuditWriter(sql: Sql) {
  const insert = (rows: AuditRow[]) =>
    sql.query({ name: 'audit-insert-events', text: INSERT_EVENTS, values: insertParameters(rows) });
  const writer = new DataLoader<AuditRow, true | Error>(
    async (rows) => {
      try {
        await insert([...rows]);
        return rows.map(() => true as const);
      } catch (err) {
        if (rows.length === 1) return [err as Error];
        // One bad event must not refuse the reads it happened to share a statement with: each
        // row again on its own, and each caller learns the fate of its own events.
        return Promise.all(
          rows.map((row) =>
            insert([row]).then(
              () => true as const,
              (e: Error) => e,
            ),
          ),
        );
      }
    },
    { cache: false, maxBatchSize: 1000, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
  );
  return {
    async record(actor: AuditActor, events: AuditEventInput[]): Promise<void> {
      if (events.length > 0) await writer.loadMany(events.map((e) => ({ ...actor, ...e }))).then(throwFirst);
    },
  };
}

export type AuditWriter = ReturnType<typeof createAuditWriter>;

function throwFirst(results: (true | Error)[]): void {
  const failed = results.find((r) => r instanceof Error);
  if (failed) throw failed;
}

/** Deletes events older than the retention period; returns how many went. */
export async function pruneAuditEvents(prisma: PrismaClient, olderThan: Date): Promise<number> {
  const { count } = await prisma.auditEvent.deleteMany({ where: { createdAt: { lt: olderThan } } });
  return count;
}
