// The trash of a workspace's auth-secrets (API.md §9.2): DELETE moves a secret there, where only
// these use cases see it; it can be restored as it was, or purged (purge.ts), by request, with its
// auth-client or workspace, or by the worker after DELETED_SECRET_RETENTION_DAYS (trash-purger.ts).
import type { Logger } from 'pino';
import type { KeyRing } from '../../../crypto/key-ring.js';
import { isUuid } from '../../../db/uuid7.js';
import { conflict, notFound } from '../../../errors/api-error.js';
import type { AuthSecret, PrismaClient } from '../../../generated/prisma/client.js';
import { type Page, toPage } from '../../../http/jsonapi/pagination.js';
import type { WorkspaceScope } from '../../../permissions/access-policy.js';
import { type AuditActor, recordAuditEvent } from '../../audit-events/audit-recorder.js';
import { recordSecretDeleted, recordSecretRestored } from '../../webhooks/auth-secret-events.js';
import { createCredentialOpener } from '../auth-secret-rows.js';
import { type AuthSecretView, toAuthSecretView } from '../auth-secret-serializer.js';
import type { AuthSecretStore } from '../auth-secret-store.js';
import { assertIfMatch, type IfMatch } from '../etag.js';
import { type AfterPurge, purgeSecrets } from './purge.js';
import type { TrashStore } from './trash-store.js';

export interface TrashDependencies {
  prisma: PrismaClient;
  store: AuthSecretStore;
  trash: TrashStore;
  keyRing: KeyRing;
  logger: Logger;
  /** DELETED_SECRET_RETENTION_DAYS; 0: DELETE purges at once, nothing stays in the trash. */
  retentionDays: number;
  /** What follows a purge once its transaction committed (token revocation, API.md §10.1). */
  afterPurge: AfterPurge;
}

/** A trashed secret as the trash routes show it: metadata only, never credentials. */
export type TrashedSecret = AuthSecret & { deletedAt: Date };

const authClientGone = () =>
  conflict(
    'auth_client_gone',
    'The auth-secret cannot be restored: its auth-client no longer exists. Create the secret again with an existing auth-client.',
  );

const event = (
  action: 'auth_secret.delete' | 'auth_secret.restore',
  workspace: WorkspaceScope,
  id: string,
) => ({
  action,
  resourceType: 'auth-secret',
  resourceId: id,
  workspaceId: workspace.id,
});

export function createTrashService(deps: TrashDependencies) {
  const { prisma, store, trash, keyRing, logger, retentionDays, afterPurge } = deps;
  const opener = createCredentialOpener(keyRing, logger);
  const asTrashed = (row: AuthSecret) => row as TrashedSecret;

  return {
    /**
     * DELETE …/secrets/{id}: to the trash, under the row lock a PATCH takes too, so If-Match is
     * checked against the secret exactly as it is deleted (412 and nothing changed otherwise).
     */
    async moveToTrash(
      workspace: WorkspaceScope,
      id: string,
      actor: AuditActor,
      ifMatch?: IfMatch,
      now = new Date(),
    ): Promise<void> {
      if (!isUuid(id)) throw notFound('auth-secret');
      const purged = await prisma.$transaction(async (tx) => {
        const row = await store.lockInWorkspace(tx, workspace.id, id);
        if (!row) throw notFound('auth-secret');
        assertIfMatch(ifMatch, row);
        await recordSecretDeleted(tx, workspace.id, id);
        await trash.moveToTrash(tx, id, now);
        await recordAuditEvent(tx, actor, event('auth_secret.delete', workspace, id));
        // Only a purge revokes tokens: a secret in the trash may be restored and used again.
        return retentionDays === 0 ? purgeSecrets(tx, [id], 'retention', () => actor) : [];
      });
      afterPurge(purged);
    },

    async list(
      workspace: WorkspaceScope,
      page: { size: number; cursor?: string | undefined },
    ): Promise<Page<TrashedSecret>> {
      const rows = await trash.page(workspace.id, page.cursor, page.size + 1);
      const { items, nextCursor } = toPage(rows.map(asTrashed), page.size);
      return { items, nextCursor };
    },

    async get(workspace: WorkspaceScope, id: string): Promise<TrashedSecret> {
      const row = await trash.find(workspace.id, id);
      if (!row) throw notFound('deleted auth-secret');
      return asTrashed(row);
    },

    /**
     * Back as it was (same credentials, versions, updated_at and ETag). Its auth-client must still
     * exist; it is locked against deletion until the restore commits. In practice deleting a client
     * purges its trashed secrets (purge.ts), so a secret whose client is gone is normally gone too
     * (404); auth_client_gone (409) covers a client removed by other means.
     */
    async restore(
      workspace: WorkspaceScope,
      id: string,
      actor: AuditActor,
      now = new Date(),
    ): Promise<AuthSecretView> {
      return prisma.$transaction(async (tx) => {
        const row = await trash.lockInWorkspace(tx, workspace.id, id);
        if (!row) throw notFound('deleted auth-secret');
        if (!(await trash.clientExists(tx, row.tenantId, row.authClientId))) throw authClientGone();
        // Also what the response shows: an unreadable secret fails here, before anything changes.
        const credentials = opener.openOrFail(row);
        await trash.restore(tx, id);
        await recordSecretRestored(tx, row);
        await recordAuditEvent(tx, actor, event('auth_secret.restore', workspace, id));
        return toAuthSecretView(row, credentials, now);
      });
    },

    /** DELETE …/deleted-secrets/{id}: purged for good, now. */
    async purge(workspace: WorkspaceScope, id: string, actor: AuditActor): Promise<void> {
      const purged = await prisma.$transaction(async (tx) => {
        const row = await trash.lockInWorkspace(tx, workspace.id, id);
        if (!row) throw notFound('deleted auth-secret');
        return purgeSecrets(tx, [id], 'request', () => actor);
      });
      afterPurge(purged);
    },
  };
}

export type TrashService = ReturnType<typeof createTrashService>;
