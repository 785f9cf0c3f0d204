import type { Logger } from 'pino';
import type { Principal } from '../../auth/principal.js';
import { DecryptionError } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { isForeignKeyViolation } from '../../db/prisma-errors.js';
import { randomUUID7 } from '../../db/uuid7.js';
import type {
  AuthSecret,
  AuthType,
  Prisma,
  PrismaClient,
  SecretState,
  User,
} from '../../generated/prisma/client.js';
import { ApiError, notFound, unprocessable } from '../../http/errors.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import { isUuid } from '../../http/jsonapi/query.js';
import type { SchemaRegistry } from '../../http/validation/schema-registry.js';
import type { WorkspaceScope } from '../../permissions/access-policy.js';
import { type AuthClientView, toAuthClientView } from '../auth-clients/auth-client-serializer.js';
import { type AuthSecretView, toAuthSecretView } from './auth-secret-serializer.js';
import {
  type CheckedCredentials,
  checkCredentials,
  openCredentials,
  presentCredentials,
  type StoredCredentials,
  sealCredentials,
} from './credentials.js';

/** A to-one relationship read from the request, with the pointer errors about it should name. */
export interface RelationshipRef {
  id: string;
  pointer: string;
}

export interface CreateAuthSecretInput {
  name: string;
  state: SecretState;
  error?: string | null;
  credentials: unknown;
  authClient: RelationshipRef;
}

export interface UpdateAuthSecretInput {
  name?: string;
  state?: SecretState;
  error?: string | null;
  credentials?: unknown;
  authClient?: RelationshipRef;
}

export interface AuthSecretFilters {
  user?: string;
  auth_client?: string;
  state?: string;
}

export interface AuthSecretDependencies {
  prisma: PrismaClient;
  keyRing: KeyRing;
  schemas: SchemaRegistry;
  logger: Logger;
}

/**
 * A stored ciphertext that does not open is a server-side integrity failure (a key missing from
 * ENCRYPTION_KEYS, or a value that does not belong to its row), not a client error: hence 500,
 * with a stable code and no secret. See docs/API-DECISIONS.md.
 */
export const credentialsUnreadable = () =>
  new ApiError({
    status: 500,
    code: 'credentials_unreadable',
    title: 'Credentials unreadable',
    detail:
      'The stored credentials of this auth-secret cannot be decrypted (the key that sealed them is not ' +
      'configured, or the stored value does not belong to this auth-secret). Nothing was changed. ' +
      'An operator must restore the key; or replace the credentials with PATCH.',
  });

const authClientNotFound = (pointer: string) =>
  new ApiError({
    status: 404,
    code: 'not_found',
    title: 'Not found',
    detail: 'The auth-client does not exist in this tenant.',
    source: { pointer },
  });

export function createAuthSecretService({ prisma, keyRing, schemas, logger }: AuthSecretDependencies) {
  /** The opened credentials, or null (logged without any secret) when they cannot be decrypted. */
  function tryOpen(row: AuthSecret): StoredCredentials | null {
    try {
      return openCredentials(keyRing, row);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      logger.error(
        { authSecretId: row.id, workspaceId: row.workspaceId, keyId: err.keyId, reason: err.code },
        'auth-secret credentials cannot be decrypted',
      );
      return null;
    }
  }

  function openOrFail(row: AuthSecret): StoredCredentials {
    const credentials = tryOpen(row);
    if (!credentials) throw credentialsUnreadable();
    return credentials;
  }

  async function findRow(workspaceId: string, id: string): Promise<AuthSecret> {
    const row = isUuid(id) ? await prisma.authSecret.findFirst({ where: { id, workspaceId } }) : null;
    if (!row) throw notFound('auth-secret');
    return row;
  }

  async function findClient(
    tx: Prisma.TransactionClient,
    tenantId: string,
    ref: RelationshipRef,
  ): Promise<{ id: string; authType: AuthType }> {
    const client = isUuid(ref.id)
      ? await tx.authClient.findFirst({
          where: { id: ref.id, tenantId },
          select: { id: true, authType: true },
        })
      : null;
    if (!client) throw authClientNotFound(ref.pointer);
    return client;
  }

  /**
   * When the auth-client's type changes and no new credentials are sent, the current credentials
   * (as the API shows them) must fit the new type; they are then stored in its form.
   */
  function convertCredentials(
    row: AuthSecret,
    stored: StoredCredentials,
    to: AuthType,
    ref: RelationshipRef,
    now: Date,
  ): CheckedCredentials {
    try {
      return checkCredentials(schemas, to, presentCredentials(row.authType, stored, row.expiresAt, now), now);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      throw unprocessable([
        {
          code: 'credentials_mismatch',
          detail: `The stored credentials do not fit an ${to} auth-client; send credentials that do together with the new auth-client.`,
          pointer: ref.pointer,
        },
      ]);
    }
  }

  return {
    /** 404 unless the secret is in this workspace (checked before the request document is). */
    async exists(workspace: WorkspaceScope, id: string): Promise<void> {
      const row = isUuid(id)
        ? await prisma.authSecret.findFirst({
            where: { id, workspaceId: workspace.id },
            select: { id: true },
          })
        : null;
      if (!row) throw notFound('auth-secret');
    },

    async get(workspace: WorkspaceScope, id: string): Promise<AuthSecretView> {
      const row = await findRow(workspace.id, id);
      return toAuthSecretView(row, openOrFail(row), new Date());
    },

    /** A row whose credentials cannot be opened is listed with credentials null (see the router). */
    async list(
      workspace: WorkspaceScope,
      filters: AuthSecretFilters,
      page: { size: number; cursor?: string | undefined },
    ): Promise<Page<AuthSecretView>> {
      const rows = await prisma.authSecret.findMany({
        where: {
          workspaceId: workspace.id,
          ...(filters.user ? { userId: filters.user } : {}),
          ...(filters.auth_client ? { authClientId: filters.auth_client } : {}),
          ...(filters.state ? { state: filters.state as SecretState } : {}),
          ...(page.cursor ? { id: { gt: page.cursor } } : {}),
        },
        orderBy: { id: 'asc' },
        take: page.size + 1,
      });
      const { items, nextCursor } = toPage(rows, page.size);
      const readAt = new Date();
      return { items: items.map((row) => toAuthSecretView(row, tryOpen(row), readAt)), nextCursor };
    },

    async create(
      workspace: WorkspaceScope,
      principal: Principal,
      input: CreateAuthSecretInput,
      now = new Date(),
    ): Promise<AuthSecretView> {
      const client = await findClient(prisma, workspace.tenantId, input.authClient);
      const checked = checkCredentials(schemas, client.authType, input.credentials, now);
      // The id is generated here because the ciphertext is bound to it (src/crypto/aad.ts).
      const ids = { id: randomUUID7(now.getTime()), tenantId: workspace.tenantId, workspaceId: workspace.id };
      try {
        const row = await prisma.authSecret.create({
          data: {
            ...ids,
            userId: principal.userId,
            authClientId: client.id,
            authType: client.authType,
            name: input.name,
            state: input.state,
            error: input.error ?? null,
            credentialsSealed: sealCredentials(keyRing, ids, checked.stored),
            expiresAt: checked.expiresAt,
          },
        });
        return toAuthSecretView(row, checked.stored, now);
      } catch (err) {
        // The auth-client was deleted between our read and the insert.
        if (isForeignKeyViolation(err)) throw authClientNotFound(input.authClient.pointer);
        throw err;
      }
    },

    async update(
      workspace: WorkspaceScope,
      id: string,
      input: UpdateAuthSecretInput,
      now = new Date(),
    ): Promise<AuthSecretView> {
      if (!isUuid(id)) throw notFound('auth-secret');
      try {
        return await prisma.$transaction(async (tx) => {
          // Row lock: a concurrent PATCH (or refresh) cannot interleave its credentials with ours.
          const locked = await tx.$queryRaw<{ id: string }[]>`
            SELECT id FROM auth_secrets WHERE id = ${id}::uuid AND workspace_id = ${workspace.id}::uuid FOR UPDATE`;
          const row =
            locked.length > 0
              ? await tx.authSecret.findFirst({ where: { id, workspaceId: workspace.id } })
              : null;
          if (!row) throw notFound('auth-secret');

          const changeClient =
            input.authClient && input.authClient.id !== row.authClientId ? input.authClient : undefined;
          const client = changeClient
            ? await findClient(tx, workspace.tenantId, changeClient)
            : { id: row.authClientId, authType: row.authType };

          const data: Prisma.AuthSecretUncheckedUpdateInput = {};
          let stored: StoredCredentials;
          let checked: CheckedCredentials | undefined;
          if (input.credentials !== undefined) {
            checked = checkCredentials(schemas, client.authType, input.credentials, now);
            stored = checked.stored;
          } else {
            stored = openOrFail(row);
            if (changeClient && client.authType !== row.authType) {
              checked = convertCredentials(row, stored, client.authType, changeClient, now);
              stored = checked.stored;
            }
          }
          if (checked) {
            data.credentialsSealed = sealCredentials(keyRing, row, checked.stored);
            data.expiresAt = checked.expiresAt;
          }
          if (changeClient) {
            data.authClientId = client.id;
            data.authType = client.authType;
          }
          if (input.name !== undefined) data.name = input.name;
          if (input.state !== undefined) data.state = input.state;
          if (input.error !== undefined) data.error = input.error;
          if (Object.keys(data).length === 0) return toAuthSecretView(row, stored, now);

          const updated = await tx.authSecret.update({ where: { id: row.id }, data });
          return toAuthSecretView(updated, stored, now);
        });
      } catch (err) {
        if (isForeignKeyViolation(err) && input.authClient)
          throw authClientNotFound(input.authClient.pointer);
        throw err;
      }
    },

    async remove(workspace: WorkspaceScope, id: string): Promise<void> {
      const { count } = isUuid(id)
        ? await prisma.authSecret.deleteMany({ where: { id, workspaceId: workspace.id } })
        : { count: 0 };
      if (count === 0) throw notFound('auth-secret');
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
        clientIds.length > 0
          ? prisma.authClient.findMany({ where: { tenantId: workspace.tenantId, id: { in: clientIds } } })
          : [],
        userIds.length > 0
          ? prisma.user.findMany({ where: { tenantId: workspace.tenantId, id: { in: userIds } } })
          : [],
      ]);
      return { authClients: clients.map(toAuthClientView), users };
    },
  };
}

export type AuthSecretService = ReturnType<typeof createAuthSecretService>;
