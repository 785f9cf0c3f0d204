// Purging trashed auth-secrets for good (API.md §9.2). Every purge goes through purgeSecrets, in
// the transaction of whatever caused it: DELETE …/deleted-secrets/{id}, DELETE …/secrets/{id} when
// DELETED_SECRET_RETENTION_DAYS is 0, deleting the secret's auth-client or workspace, and the
// worker's retention sweep. One place to hook what a purge must also do (e.g. revoke tokens at the
// provider, announce it to webhooks). Versions go with the row (ON DELETE CASCADE).
import type { Prisma } from '../../../generated/prisma/client.js';
import { type AuditActor, recordAuditEvents } from '../../audit-events/audit-recorder.js';

/** Why a secret was purged; recorded in the event's details. */
export type PurgeReason = 'request' | 'retention' | 'auth_client_deleted' | 'workspace_deleted';

export interface PurgedSecret {
  id: string;
  tenantId: string;
  workspaceId: string;
  authClientId: string;
}

/**
 * Deletes those of `ids` that are in the trash (a secret restored meanwhile stays) and records one
 * `auth_secret.purge` event for each, by `actorFor(secret)`. Returns the purged secrets.
 */
export async function purgeSecrets(
  tx: Prisma.TransactionClient,
  ids: string[],
  reason: PurgeReason,
  actorFor: (secret: PurgedSecret) => AuditActor,
): Promise<PurgedSecret[]> {
  if (ids.length === 0) return [];
  const purged = await tx.$queryRaw<PurgedSecret[]>`
    DELETE FROM auth_secrets
    WHERE id = ANY(${ids}::uuid[]) AND deleted_at IS NOT NULL
    RETURNING id::text AS "id", tenant_id::text AS "tenantId", workspace_id::text AS "workspaceId",
              auth_client_id::text AS "authClientId"`;
  await recordAuditEvents(
    tx,
    purged.map((s) => ({
      ...actorFor(s),
      action: 'auth_secret.purge' as const,
      resourceType: 'auth-secret',
      resourceId: s.id,
      workspaceId: s.workspaceId,
      details: { reason },
    })),
  );
  return purged;
}

/** Trashed secrets of an auth-client, locked until the caller's transaction ends. */
export async function lockTrashedOfClient(
  tx: Prisma.TransactionClient,
  tenantId: string,
  authClientId: string,
): Promise<string[]> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM auth_secrets
    WHERE tenant_id = ${tenantId}::uuid AND auth_client_id = ${authClientId}::uuid AND deleted_at IS NOT NULL
    FOR UPDATE`;
  return rows.map((r) => r.id);
}

/** Trashed secrets of a workspace, locked until the caller's transaction ends. */
export async function lockTrashedOfWorkspace(
  tx: Prisma.TransactionClient,
  tenantId: string,
  workspaceId: string,
): Promise<string[]> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM auth_secrets
    WHERE tenant_id = ${tenantId}::uuid AND workspace_id = ${workspaceId}::uuid AND deleted_at IS NOT NULL
    FOR UPDATE`;
  return rows.map((r) => r.id);
}
