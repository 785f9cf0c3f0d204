// Purging trashed auth-secrets for good (API.md §9.2). Every purge goes through purgeSecrets, in
// the transaction of whatever caused it: DELETE …/deleted-secrets/{id}, DELETE …/secrets/{id} when
// DELETED_SECRET_RETENTION_DAYS is 0, deleting the secret's auth-client or workspace, and the
// worker's retention sweep. Each of those callers hands what purgeSecrets returns to its AfterPurge
// once its transaction has committed: that is where a purged secret's tokens are revoked at the
// provider (src/refresh/token-revocation.ts, API.md §10.1). Versions go with the row (ON DELETE CASCADE).
import { Prisma } from '../../../generated/prisma/client.js';
import { type AuditActor, recordAuditEvents } from '../../audit-events/audit-recorder.js';
import { authClientReader, type RefreshClient } from '../../auth-clients/auth-client-reader.js';
import { AUTH_SECRET_SELECT, type AuthSecretRow } from '../auth-secret-store.js';

/** Why a secret was purged; recorded in the event's details. */
export type PurgeReason = 'request' | 'retention' | 'auth_client_deleted' | 'workspace_deleted';

/** A secret removed for good, with what the work after the commit needs. */
export interface PurgedSecret {
  /** The row as it was, its credentials still sealed. */
  secret: AuthSecretRow;
  /** Who removed it (the system for the worker): follow-ups are audited in its name. */
  actor: AuditActor;
  /**
   * Its auth-client's token-request fields if the client has a revocation_url, else null. Read in
   * the purge's transaction: deleting the client purges its trashed secrets and then the client.
   */
  revocationClient: RefreshClient | null;
}

/**
 * What runs once the transaction that purged `secrets` has committed (token revocation). It must
 * neither throw nor wait: the purge is done and its caller answers at once. Injected into every
 * caller of purgeSecrets by the composition root (src/composition-root.ts, src/worker.ts).
 */
export type AfterPurge = (secrets: readonly PurgedSecret[]) => void;

/**
 * Deletes those of `ids` that are in the trash (a secret restored meanwhile stays) and records one
 * `auth_secret.purge` event for each, by `actorFor(secret)`. Returns the purged secrets, for the
 * caller's AfterPurge once its transaction has committed.
 */
export async function purgeSecrets(
  tx: Prisma.TransactionClient,
  ids: string[],
  reason: PurgeReason,
  actorFor: (secret: AuthSecretRow) => AuditActor,
): Promise<PurgedSecret[]> {
  if (ids.length === 0) return [];
  const purged = await tx.$queryRaw<AuthSecretRow[]>`
    DELETE FROM auth_secrets s
    WHERE s.id = ANY(${ids}::uuid[]) AND s.deleted_at IS NOT NULL
    RETURNING ${Prisma.raw(AUTH_SECRET_SELECT)}`;
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
  return withRevocationClients(tx, purged, actorFor);
}

/**
 * Live secrets of a workspace being deleted that have tokens to revoke (oauth2, client with a
 * revocation_url), locked and read before the workspace's delete cascades to them: they are
 * removed for good like purged ones, so their tokens are revoked too. The others are not read.
 */
export async function lockRevocableLiveOfWorkspace(
  tx: Prisma.TransactionClient,
  tenantId: string,
  workspaceId: string,
  actor: AuditActor,
): Promise<PurgedSecret[]> {
  const rows = await tx.$queryRaw<AuthSecretRow[]>`
    SELECT ${Prisma.raw(AUTH_SECRET_SELECT)} FROM auth_secrets s
    JOIN auth_clients c ON c.id = s.auth_client_id AND c.tenant_id = s.tenant_id
    WHERE s.tenant_id = ${tenantId}::uuid AND s.workspace_id = ${workspaceId}::uuid
      AND s.deleted_at IS NULL AND s.auth_type = 'oauth2' AND c.revocation_url IS NOT NULL
    FOR UPDATE OF s`;
  return withRevocationClients(tx, rows, () => actor);
}

/** Only oauth2 secrets have tokens to revoke; one read for all their clients. */
async function withRevocationClients(
  tx: Prisma.TransactionClient,
  rows: AuthSecretRow[],
  actorFor: (secret: AuthSecretRow) => AuditActor,
): Promise<PurgedSecret[]> {
  const oauth2 = rows.filter((s) => s.authType === 'oauth2');
  const clients = await authClientReader(tx).withRevocationUrl(
    oauth2.map((s) => ({ tenantId: s.tenantId, id: s.authClientId })),
  );
  const byId = new Map(clients.map((c) => [c.id, c]));
  return rows.map((secret) => {
    const client = byId.get(secret.authClientId);
    return {
      secret,
      actor: actorFor(secret),
      revocationClient: secret.authType === 'oauth2' && client?.tenantId === secret.tenantId ? client : null,
    };
  });
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
