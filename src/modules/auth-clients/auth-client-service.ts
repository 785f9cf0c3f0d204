import type { KeyRing } from '../../crypto/key-ring.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../db/prisma-errors.js';
import { randomUUID7 } from '../../db/uuid7.js';
import { conflict, notFound, unprocessable } from '../../errors/api-error.js';
import type { AuthMethod, AuthType, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import type { AuthSecretStore } from '../auth-secrets/auth-secret-store.js';
import { lockTrashedOfClient, purgeSecrets } from '../auth-secrets/trash/purge.js';
import { authClientReader } from './auth-client-reader.js';
import { type AuthClientView, toAuthClientView } from './auth-client-serializer.js';
import { sealClientSecret } from './client-secret.js';
import { type UrlProblem, urlProblems } from './token-url-policy.js';

export interface OAuth2Input {
  clientId?: string;
  clientSecret?: string;
  tokenUrl?: string;
  authorizeUrl?: string | null;
  scopes?: string[];
  authMethod?: AuthMethod;
}

export interface CreateAuthClientInput {
  name: string;
  authType: AuthType;
  /** Required (with clientId, clientSecret, tokenUrl) for oauth2; absent or null for `other` (the schema says so). */
  oauth2?: OAuth2Input | null;
}

export interface UpdateAuthClientInput {
  name?: string;
  authType?: AuthType;
  oauth2?: OAuth2Input | null;
}

export interface AuthClientFilters {
  auth_type?: string;
  name?: string;
}

const OAUTH2_POINTER = '/data/attributes/oauth2';

const nameTaken = () =>
  conflict('name_taken', 'An auth-client with this name already exists in the tenant.', {
    pointer: '/data/attributes/name',
  });

const inUse = () =>
  conflict(
    'auth_client_in_use',
    'This auth-client is still used by auth-secrets; delete them or move them to another auth-client first ' +
      '(deleted auth-secrets in a trash do not count: they are purged with the auth-client).',
  );

export function createAuthClientService(
  prisma: PrismaClient,
  keyRing: KeyRing,
  opts: { allowLoopbackHttp: boolean },
  secrets: Pick<AuthSecretStore, 'usesClient'>,
) {
  function checkUrls(oauth2: OAuth2Input): void {
    const problems: UrlProblem[] = [];
    if (oauth2.tokenUrl !== undefined) {
      problems.push(...urlProblems(oauth2.tokenUrl, `${OAUTH2_POINTER}/token_url`, opts.allowLoopbackHttp));
    }
    if (typeof oauth2.authorizeUrl === 'string') {
      problems.push(
        ...urlProblems(oauth2.authorizeUrl, `${OAUTH2_POINTER}/authorize_url`, opts.allowLoopbackHttp),
      );
    }
    if (problems.length > 0) throw unprocessable(problems);
  }

  async function withUniqueName<T>(op: Promise<T>): Promise<T> {
    try {
      return await op;
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken();
      throw err;
    }
  }

  const clients = authClientReader(prisma);

  async function get(tenantId: string, id: string): Promise<AuthClientView> {
    const row = await clients.find(tenantId, id);
    if (!row) throw notFound('auth-client');
    return toAuthClientView(row);
  }

  return {
    get,

    async list(
      tenantId: string,
      filters: AuthClientFilters,
      page: { size: number; cursor?: string | undefined },
    ): Promise<Page<AuthClientView>> {
      const rows = await clients.page(tenantId, {
        authType: filters.auth_type as AuthType | undefined,
        name: filters.name,
        afterId: page.cursor,
        limit: page.size + 1,
      });
      return toPage(rows.map(toAuthClientView), page.size);
    },

    async create(tenantId: string, input: CreateAuthClientInput, actor: AuditActor): Promise<AuthClientView> {
      const id = randomUUID7();
      const data: Prisma.AuthClientUncheckedCreateInput = {
        id,
        tenantId,
        name: input.name,
        authType: input.authType,
      };
      const o = input.oauth2;
      if (input.authType === 'oauth2' && o) {
        checkUrls(o);
        data.clientId = o.clientId ?? null;
        data.clientSecretSealed = o.clientSecret
          ? sealClientSecret(keyRing, { id, tenantId }, o.clientSecret)
          : null;
        data.tokenUrl = o.tokenUrl ?? null;
        data.authorizeUrl = o.authorizeUrl ?? null;
        data.scopes = o.scopes ?? [];
        data.authMethod = o.authMethod ?? 'client_secret_basic';
      }
      const row = await withUniqueName(
        prisma.$transaction(async (tx) => {
          const created = await tx.authClient.create({ data });
          await audit(tx, actor, 'auth_client.create', id, {
            name: created.name,
            auth_type: created.authType,
          });
          return created;
        }),
      );
      return toAuthClientView(row);
    },

    async update(
      tenantId: string,
      id: string,
      input: UpdateAuthClientInput,
      actor: AuditActor,
    ): Promise<AuthClientView> {
      const current = await get(tenantId, id);
      if (input.authType !== undefined && input.authType !== current.authType) {
        throw conflict(
          'auth_type_immutable',
          `auth_type cannot change (this auth-client is ${current.authType}).`,
          {
            pointer: '/data/attributes/auth_type',
          },
        );
      }
      const data: Prisma.AuthClientUncheckedUpdateInput = {};
      if (input.name !== undefined) data.name = input.name;
      const o = input.oauth2;
      if (o !== undefined) {
        if (current.authType === 'other' && o !== null) {
          throw unprocessable([
            {
              code: 'oauth2_not_allowed',
              detail: 'Auth-clients of type other take no oauth2 settings.',
              pointer: OAUTH2_POINTER,
            },
          ]);
        }
        if (current.authType === 'oauth2' && o === null) {
          throw unprocessable([
            {
              code: 'oauth2_required',
              detail: 'An oauth2 auth-client keeps its oauth2 settings; send only the members to change.',
              pointer: OAUTH2_POINTER,
            },
          ]);
        }
        if (o) {
          checkUrls(o);
          if (o.clientId !== undefined) data.clientId = o.clientId;
          if (o.clientSecret !== undefined)
            data.clientSecretSealed = sealClientSecret(keyRing, current, o.clientSecret);
          if (o.tokenUrl !== undefined) data.tokenUrl = o.tokenUrl;
          if (o.authorizeUrl !== undefined) data.authorizeUrl = o.authorizeUrl;
          if (o.scopes !== undefined) data.scopes = o.scopes;
          if (o.authMethod !== undefined) data.authMethod = o.authMethod;
        }
      }
      if (Object.keys(data).length === 0) return current;
      const row = await withUniqueName(
        prisma.$transaction(async (tx) => {
          const updated = await tx.authClient.update({ where: { id, tenantId }, data });
          // Names of what changed only: a client_secret change shows as "client_secret", never its value.
          await audit(tx, actor, 'auth_client.update', id, { changed: changedMembers(input) });
          return updated;
        }),
      );
      return toAuthClientView(row);
    },

    async remove(tenantId: string, id: string, actor: AuditActor): Promise<void> {
      await get(tenantId, id);
      if (await secrets.usesClient(tenantId, id)) throw inUse();
      try {
        // The foreign key (ON DELETE RESTRICT) settles a race with a secret created (or restored
        // from the trash) meanwhile. Trashed secrets of the client go with it (API.md §9.2).
        await prisma.$transaction(async (tx) => {
          const trashed = await lockTrashedOfClient(tx, tenantId, id);
          await purgeSecrets(tx, trashed, 'auth_client_deleted', () => actor);
          const { count } = await tx.authClient.deleteMany({ where: { id, tenantId } });
          if (count === 1) await audit(tx, actor, 'auth_client.delete', id, {});
        });
      } catch (err) {
        if (isForeignKeyViolation(err)) throw inUse();
        throw err;
      }
    },
  };
}

function audit(
  tx: Prisma.TransactionClient,
  actor: AuditActor,
  action: 'auth_client.create' | 'auth_client.update' | 'auth_client.delete',
  id: string,
  details: Record<string, string | string[]>,
) {
  return recordAuditEvent(tx, actor, { action, resourceType: 'auth-client', resourceId: id, details });
}

const OAUTH2_MEMBER_NAMES: Record<string, string> = {
  clientId: 'client_id',
  clientSecret: 'client_secret',
  tokenUrl: 'token_url',
  authorizeUrl: 'authorize_url',
  scopes: 'scopes',
  authMethod: 'auth_method',
};

function changedMembers(input: UpdateAuthClientInput): string[] {
  const names = input.name !== undefined ? ['name'] : [];
  for (const key of Object.keys(input.oauth2 ?? {})) names.push(`oauth2.${OAUTH2_MEMBER_NAMES[key] ?? key}`);
  return names;
}

export type AuthClientService = ReturnType<typeof createAuthClientService>;
