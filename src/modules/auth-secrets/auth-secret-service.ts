import type { Logger } from 'pino';
import type { Principal } from '../../auth/principal.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { isForeignKeyViolation } from '../../db/prisma-errors.js';
import { randomUUID7 } from '../../db/uuid7.js';
import { ApiError, notFound, unprocessable } from '../../errors/api-error.js';
import type { PrismaClient, SecretState, User } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import type { SchemaRegistry } from '../../http/validation/schema-registry.js';
import type { CallerWorkspace, WorkspaceScope } from '../../permissions/access-policy.js';
import { type AuditAction, type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import { authClientReader } from '../auth-clients/auth-client-reader.js';
import { type AuthClientView, toAuthClientView } from '../auth-clients/auth-client-serializer.js';
import type { CredentialSchemas } from '../credential-schemas/credential-schemas.js';
import { recordSecretCreated } from '../webhooks/auth-secret-events.js';
import { type IncludeRequest, includeProblems, type RelatedRows } from './auth-secret-includes.js';
import {
  authClientNotFound,
  createCredentialOpener,
  findAuthClient,
  type RelationshipRef,
} from './auth-secret-rows.js';
import { type AuthSecretView, toAuthSecretView } from './auth-secret-serializer.js';
import type { AuthSecretStore, AuthSecretTags } from './auth-secret-store.js';
import { createAuthSecretUpdater, type SecretWriteHook } from './auth-secret-update.js';
import {
  credentialsFor,
  isCredentialRead,
  revealProblems,
  shownToCaller,
  WITHHELD,
} from './credential-disclosure.js';
import {
  type CheckedCredentials,
  CREDENTIALS_POINTER,
  checkCredentials,
  sealCredentials,
} from './credentials.js';
import { sealVersionCredentials } from './versions/version-credentials.js';

export { credentialsUnreadable, type RelationshipRef } from './auth-secret-rows.js';
export type { SecretWriteHook, UpdateAuthSecretInput } from './auth-secret-update.js';

export interface CreateAuthSecretInput {
  name: string;
  state: SecretState;
  error?: string | null;
  description?: string | null;
  tags?: AuthSecretTags;
  /** Absent (or `{}`) for a client-credentials client, whose token the service obtains. */
  credentials?: unknown;
  authClient: RelationshipRef;
  /** Runs in the transaction that writes the secret: a record that must commit with it, or not at all. */
  alsoWrite?: SecretWriteHook;
  /**
   * Tokens a provider issued: their expiry as the provider gave it (null: it gave none), instead of
   * one counted from `credentials.expires_in` at this write.
   */
  expiresAt?: Date | null;
}

export interface AuthSecretFilters {
  user?: string;
  auth_client?: string;
  state?: string;
  name?: string;
  /** filter[tags.KEY]=VALUE, all of them (AND). */
  tags?: AuthSecretTags;
}

export interface AuthSecretDependencies {
  prisma: PrismaClient;
  /** Reads of secret rows and of read events (batched hot path); shared with the refresher. */
  store: AuthSecretStore;
  keyRing: KeyRing;
  schemas: SchemaRegistry;
  /** The credentials schemas of `other` auth-clients, compiled and cached (API.md §8.3). */
  credentialSchemas: CredentialSchemas;
  logger: Logger;
  /**
   * Obtains the first token of a client-credentials secret (src/refresh/client-credentials.ts);
   * without it such secrets cannot be created (tools that build the service for reads only).
   */
  issueClientCredentials?: (tenantId: string, authClientId: string) => Promise<CheckedCredentials>;
}

/** What a read asks for, beyond the secret: include policy, audit and sparse fields. */
export interface SecretReadRequest extends IncludeRequest {
  actor: AuditActor;
  /** fields[auth-secret], when the request names them. */
  fields: readonly string[] | undefined;
}

export function createAuthSecretService({
  prisma,
  store,
  keyRing,
  schemas,
  credentialSchemas,
  logger,
  issueClientCredentials,
}: AuthSecretDependencies) {
  const opener = createCredentialOpener(keyRing, logger);
  const update = createAuthSecretUpdater({ prisma, store, keyRing, schemas, credentialSchemas, opener });

  /**
   * Before any work: every 403 of the query at once, for `include` (types the caller may not read)
   * and for `fields[auth-secret]` naming credentials the caller may not see.
   */
  function assertMayRead(workspace: CallerWorkspace, request: SecretReadRequest): void {
    const problems = [...includeProblems(workspace, request), ...revealProblems(workspace, request.fields)];
    if (problems.length > 0) throw new ApiError(problems);
  }

  /**
   * Reads that return credentials leave one event per secret disclosed; none when the caller may
   * not see credentials or fields[] leaves them out (credential-disclosure.ts).
   */
  async function auditReads(workspace: CallerWorkspace, request: SecretReadRequest, items: AuthSecretView[]) {
    if (!isCredentialRead(workspace, request.fields)) return;
    const ids = items.filter((s) => s.credentials !== null && s.credentials !== WITHHELD).map((s) => s.id);
    await service.recordReads(request.actor, workspace, ids);
  }

  /** A written secret as its writer may see it: the credentials only with `reveal`. */
  function shownAfterWrite(workspace: CallerWorkspace, secret: AuthSecretView): AuthSecretView {
    return shownToCaller(workspace, secret);
  }

  /** Synchronous when nothing is included, which is every call on the hot path. */
  function relatedFor(
    workspace: WorkspaceScope,
    items: AuthSecretView[],
    include: readonly string[],
  ): RelatedRows | undefined | Promise<RelatedRows> {
    return include.length === 0 ? undefined : service.related(workspace, items, include);
  }

  const service = {
    /** 404 unless the secret is in this workspace (checked before the request document is). */
    async exists(workspace: WorkspaceScope, id: string): Promise<void> {
      if (!(await store.exists(workspace.id, id))) throw notFound('auth-secret');
    },

    /** The secret as the caller may see it: credentials opened only for a caller with `reveal`. */
    async get(workspace: CallerWorkspace, id: string): Promise<AuthSecretView> {
      const row = await store.find(workspace.id, id);
      if (!row) throw notFound('auth-secret');
      return toAuthSecretView(
        row,
        credentialsFor(workspace, () => opener.openOrFail(row)),
        new Date(),
      );
    },

    /**
     * GET one secret as a request asks for it: the include and reveal policies (403), the read,
     * one `auth_secret.read` event when credentials are disclosed, then the related rows to include.
     */
    async read(
      workspace: CallerWorkspace,
      id: string,
      request: SecretReadRequest,
    ): Promise<{ secret: AuthSecretView; related: RelatedRows | undefined }> {
      assertMayRead(workspace, request);
      const secret = await service.get(workspace, id);
      await auditReads(workspace, request, [secret]);
      return { secret, related: await relatedFor(workspace, [secret], request.include) };
    },

    /**
     * One page as a request asks for it (see read). A row whose credentials cannot be opened is
     * listed with credentials null and named in `unreadable`: one such row must not take the whole
     * list down (the error itself is logged server-side).
     */
    async listFor(
      workspace: CallerWorkspace,
      filters: AuthSecretFilters,
      page: { size: number; cursor?: string | undefined },
      request: SecretReadRequest,
    ): Promise<{ page: Page<AuthSecretView>; related: RelatedRows | undefined; unreadable: string[] }> {
      assertMayRead(workspace, request);
      const found = await service.list(workspace, filters, page);
      await auditReads(workspace, request, found.items);
      return {
        page: found,
        related: await relatedFor(workspace, found.items, request.include),
        unreadable: found.items.filter((s) => s.credentials === null).map((s) => s.id),
      };
    },

    /**
     * A row whose credentials cannot be opened is listed with credentials null (see listFor); for a
     * caller without `reveal` nothing is opened.
     */
    async list(
      workspace: CallerWorkspace,
      filters: AuthSecretFilters,
      page: { size: number; cursor?: string | undefined },
    ): Promise<Page<AuthSecretView>> {
      const rows = await store.findPage({
        workspaceId: workspace.id,
        userId: filters.user,
        authClientId: filters.auth_client,
        state: filters.state,
        name: filters.name,
        tags: filters.tags,
        afterId: page.cursor,
        limit: page.size + 1,
      });
      const { items, nextCursor } = toPage(rows, page.size);
      const readAt = new Date();
      return {
        items: items.map((row) =>
          toAuthSecretView(
            row,
            credentialsFor(workspace, () => opener.tryOpen(row)),
            readAt,
          ),
        ),
        nextCursor,
      };
    },

    async create(
      workspace: CallerWorkspace,
      /** The secret's creator (the `user` relationship). */
      principal: Pick<Principal, 'userId'>,
      input: CreateAuthSecretInput,
      actor: AuditActor,
      now = new Date(),
    ): Promise<AuthSecretView> {
      const client = await findAuthClient(prisma, workspace.tenantId, input.authClient);
      let checked: CheckedCredentials;
      if (client.grantType === 'client_credentials') {
        assertObtainedByService(input.credentials);
        if (!issueClientCredentials) throw new Error('client-credentials secrets need a token issuer');
        // The provider is asked before anything is written: its failure leaves nothing behind.
        checked = await issueClientCredentials(workspace.tenantId, client.id);
      } else {
        if (input.credentials === undefined) {
          throw unprocessable([
            {
              code: 'missing_member',
              detail: `${CREDENTIALS_POINTER} is required.`,
              pointer: CREDENTIALS_POINTER,
            },
          ]);
        }
        checked = checkCredentials(schemas, client.authType, input.credentials, now, {
          clientSchema: credentialSchemas.validatorFor(client.credentialsSchema),
        });
      }
      // The id is generated here because the ciphertext is bound to it (src/crypto/aad.ts).
      const ids = { id: randomUUID7(now.getTime()), tenantId: workspace.tenantId, workspaceId: workspace.id };
      try {
        const row = await prisma.$transaction(async (tx) => {
          const created = await store.create(tx, {
            ...ids,
            userId: principal.userId,
            authClientId: client.id,
            authType: client.authType,
            name: input.name,
            state: input.state,
            error: input.error ?? null,
            description: input.description ?? null,
            tags: input.tags ?? {},
            credentialsSealed: sealCredentials(keyRing, ids, checked.stored),
            expiresAt: input.expiresAt !== undefined ? input.expiresAt : checked.expiresAt,
          });
          await store.recordVersion(tx, {
            secret: created,
            number: created.credentialsVersion,
            cause: 'create',
            userId: principal.userId,
            authType: created.authType,
            credentialsSealed: sealVersionCredentials(
              keyRing,
              ids,
              created.credentialsVersion,
              checked.stored,
            ),
            expiresAt: created.expiresAt,
            createdAt: created.createdAt,
          });
          await recordAuditEvent(tx, actor, secretEvent('auth_secret.create', workspace, created.id));
          await recordSecretCreated(tx, created);
          await input.alsoWrite?.(tx, created.id);
          return created;
        });
        return shownAfterWrite(workspace, toAuthSecretView(row, checked.stored, now));
      } catch (err) {
        // The auth-client was deleted between our read and the insert.
        if (isForeignKeyViolation(err)) throw authClientNotFound(input.authClient.pointer);
        throw err;
      }
    },

    /**
     * PATCH (auth-secret-update.ts, same arguments). It succeeds alike with or without `reveal`;
     * only the response differs: credentials are shown only with `reveal`.
     */
    async update(...args: Parameters<typeof update>): Promise<AuthSecretView> {
      const [workspace] = args;
      return shownAfterWrite(workspace, await update(...args));
    },

    /** One `auth_secret.read` event per secret whose credentials a response is about to return. */
    async recordReads(actor: AuditActor, workspace: WorkspaceScope, ids: string[]): Promise<void> {
      await store.recordEvents(
        actor,
        ids.map((id) => secretEvent('auth_secret.read', workspace, id)),
      );
    },

    /** A refused create/update/delete: outcome failure, with the error's status and code only. */
    async recordFailure(
      actor: AuditActor,
      action: 'auth_secret.create' | 'auth_secret.update' | 'auth_secret.delete',
      workspace: WorkspaceScope,
      resourceId: string,
      err: ApiError,
    ): Promise<void> {
      await recordAuditEvent(prisma, actor, {
        // The id comes from the path as sent: U+0000 would make PostgreSQL refuse the event (→ 422
        // instead of the 404 a malformed id gets).
        ...secretEvent(action, workspace, resourceId.slice(0, 100).replaceAll('\u0000', '\uFFFD')),
        outcome: 'failure',
        details: { status: err.status, code: err.items[0]?.code ?? 'error' },
      });
    },

    /** For `include`: one query per related type for the whole page, scoped to the tenant. */
    async related(
      workspace: WorkspaceScope,
      items: AuthSecretView[],
      include: readonly string[],
    ): Promise<{ authClients: AuthClientView[]; users: User[] }> {
      const unique = (ids: string[]) => [...new Set(ids)];
      const clientIds = include.includes('auth-client') ? unique(items.map((s) => s.authClientId)) : [];
      const userIds = include.includes('user') ? unique(items.map((s) => s.userId)) : [];
      const [clients, users] = await Promise.all([
        authClientReader(prisma).many(workspace.tenantId, clientIds),
        userIds.length > 0
          ? prisma.user.findMany({ where: { tenantId: workspace.tenantId, id: { in: userIds } } })
          : [],
      ]);
      return { authClients: clients.map(toAuthClientView), users };
    },
  };
  return service;
}

/**
 * A client-credentials secret's tokens come from the provider (API.md §10.3): credentials are
 * omitted or `{}`. Anything else would be a token the service cannot renew the way it was issued.
 */
export function assertObtainedByService(credentials: unknown): void {
  const empty =
    credentials === undefined ||
    (credentials !== null &&
      typeof credentials === 'object' &&
      !Array.isArray(credentials) &&
      Object.keys(credentials).length === 0);
  if (!empty) {
    throw unprocessable([
      {
        code: 'credentials_obtained_by_service',
        detail:
          'The auth-client uses the client_credentials grant: the service obtains its tokens. Send credentials {} or leave them out; POST …/refresh gets a new token.',
        pointer: CREDENTIALS_POINTER,
      },
    ]);
  }
}

function secretEvent(action: AuditAction, workspace: WorkspaceScope, id: string) {
  return { action, resourceType: 'auth-secret', resourceId: id, workspaceId: workspace.id };
}

export type AuthSecretService = ReturnType<typeof createAuthSecretService>;
