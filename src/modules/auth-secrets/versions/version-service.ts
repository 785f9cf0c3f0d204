// The versions of an auth-secret's credentials (API.md §9.1): list (metadata only), read one
// (credentials for callers who may see them, audited), and restore one as a new version.
import type { Logger } from 'pino';
import { DecryptionError } from '../../../crypto/envelope.js';
import type { KeyRing } from '../../../crypto/key-ring.js';
import { isUuid } from '../../../db/uuid7.js';
import { ApiError, conflict, notFound } from '../../../errors/api-error.js';
import type { PrismaClient } from '../../../generated/prisma/client.js';
import { encodeNumberCursor, type Page } from '../../../http/jsonapi/pagination.js';
import type { CallerWorkspace, WorkspaceScope } from '../../../permissions/access-policy.js';
import { type AuditActor, recordAuditEvent } from '../../audit-events/audit-recorder.js';
import { credentialsUnreadable } from '../auth-secret-rows.js';
import { type AuthSecretView, toAuthSecretView } from '../auth-secret-serializer.js';
import type { AuthSecretStore } from '../auth-secret-store.js';
import { mayReveal, revealProblems } from '../credential-disclosure.js';
import { sealCredentials } from '../credentials.js';
import { openVersionCredentials, sealVersionCredentials } from './version-credentials.js';
import { toVersionView, type VersionView } from './version-serializer.js';
import { versionReader } from './version-store.js';

export interface VersionDependencies {
  prisma: PrismaClient;
  store: AuthSecretStore;
  keyRing: KeyRing;
  logger: Logger;
}

/** A version number from a path: a positive int4, else undefined (→ 404, like a malformed id). */
export function parseVersionNumber(param: string | undefined): number | undefined {
  if (param === undefined || !/^[1-9][0-9]{0,9}$/.test(param)) return undefined;
  const n = Number(param);
  return n <= 2_147_483_647 ? n : undefined;
}

const versionNotFound = () => notFound('auth-secret version');

const typeMismatch = (version: number) =>
  conflict(
    'version_type_mismatch',
    `Version ${version} holds credentials of another auth-client type than the secret's auth-client now has; ` +
      'it cannot be restored. PATCH the credentials instead.',
  );

export function createVersionService({ prisma, store, keyRing, logger }: VersionDependencies) {
  const log = logger.child({ component: 'auth-secret-versions' });
  const versions = versionReader(prisma);

  /** The live secret in this workspace (404 otherwise), from the store's batched lookup. */
  async function secretIn(workspace: WorkspaceScope, id: string) {
    const secret = await store.find(workspace.id, id);
    if (!secret) throw notFound('auth-secret');
    return secret;
  }

  function openOrFail(
    secret: Parameters<typeof openVersionCredentials>[1],
    version: { number: number; credentialsSealed: Uint8Array },
  ) {
    try {
      return openVersionCredentials(keyRing, secret, version);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      log.error(
        { authSecretId: secret.id, version: version.number, keyId: err.keyId, reason: err.code },
        'auth-secret version credentials cannot be decrypted',
      );
      throw credentialsUnreadable(err);
    }
  }

  return {
    async list(
      workspace: WorkspaceScope,
      secretId: string,
      page: { size: number; cursor?: string | undefined },
    ): Promise<Page<VersionView>> {
      const secret = await secretIn(workspace, secretId);
      const before = page.cursor === undefined ? undefined : Number(page.cursor);
      const rows = await versions.page(secret.id, before, page.size + 1);
      const items = rows.slice(0, page.size);
      const last = items.at(-1);
      const readAt = new Date();
      return {
        items: items.map((row) => toVersionView(secret, row, readAt)),
        nextCursor: rows.length > page.size && last ? encodeNumberCursor(last.number) : undefined,
      };
    },

    /**
     * One version; with its credentials when the caller may see them, and then only after an
     * `auth_secret.read` event naming the version has been stored.
     */
    async read(
      workspace: CallerWorkspace,
      secretId: string,
      numberParam: string | undefined,
      request: { actor: AuditActor; fields: readonly string[] | undefined },
    ): Promise<VersionView> {
      // Asked for explicitly without reveal: refused before anything is read (API.md §8.1).
      const refused = revealProblems(workspace, request.fields, 'fields[auth-secret-version]');
      if (refused.length > 0) throw new ApiError(refused);
      const secret = await secretIn(workspace, secretId);
      const number = parseVersionNumber(numberParam);
      const row = number === undefined ? null : await versions.find(secret.id, number);
      if (!row) throw versionNotFound();
      const wantsCredentials = request.fields === undefined || request.fields.includes('credentials');
      if (!wantsCredentials || !mayReveal(workspace)) {
        return toVersionView(secret, row, new Date());
      }
      const credentials = openOrFail(secret, row);
      await store.recordEvents(request.actor, [
        {
          action: 'auth_secret.read',
          resourceType: 'auth-secret',
          resourceId: secret.id,
          workspaceId: workspace.id,
          details: { version: row.number },
        },
      ]);
      return toVersionView(secret, row, new Date(), credentials);
    },

    /**
     * The secret's credentials become the version's: a new credentials write (credentials_version
     * moves, so a refresh running now does not overwrite it) and a new version with cause restore.
     */
    async restore(
      workspace: WorkspaceScope,
      secretId: string,
      numberParam: string | undefined,
      actor: AuditActor,
      now = new Date(),
    ): Promise<AuthSecretView> {
      if (!isUuid(secretId)) throw notFound('auth-secret');
      return prisma.$transaction(async (tx) => {
        const row = await store.lockInWorkspace(tx, workspace.id, secretId);
        if (!row) throw notFound('auth-secret');
        const number = parseVersionNumber(numberParam);
        const version = number === undefined ? null : await versionReader(tx).find(row.id, number);
        if (!version) throw versionNotFound();
        if (version.authType !== row.authType) throw typeMismatch(version.number);
        const stored = openOrFail(row, version);
        const updated = await store.update(tx, row.id, {
          credentialsSealed: sealCredentials(keyRing, row, stored),
          expiresAt: version.expiresAt,
          credentialsVersion: { increment: 1 },
          // Like new credentials from a PATCH: the refresher's failure policy starts afresh.
          failureCount: 0,
          nextAttemptAt: null,
          updatedAt: now,
        });
        await store.recordVersion(tx, {
          secret: updated,
          number: updated.credentialsVersion,
          cause: 'restore',
          userId: actor.userId,
          authType: updated.authType,
          credentialsSealed: sealVersionCredentials(keyRing, row, updated.credentialsVersion, stored),
          expiresAt: updated.expiresAt,
          createdAt: now,
        });
        await recordAuditEvent(tx, actor, {
          action: 'auth_secret.update',
          resourceType: 'auth-secret',
          resourceId: row.id,
          workspaceId: workspace.id,
          details: { changed: ['credentials'], restored_version: version.number },
        });
        return toAuthSecretView(updated, stored, now);
      });
    },
  };
}

export type VersionService = ReturnType<typeof createVersionService>;
