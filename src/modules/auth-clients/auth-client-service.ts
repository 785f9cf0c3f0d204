import type { KeyRing } from '../../crypto/key-ring.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../db/prisma-errors.js';
import { randomUUID7 } from '../../db/uuid7.js';
import { conflict, notFound, unprocessable } from '../../errors/api-error.js';
import {
  type AuthMethod,
  type AuthType,
  type GrantType,
  Prisma,
  type PrismaClient,
} from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import type { AuthSecretStore } from '../auth-secrets/auth-secret-store.js';
import { type AfterPurge, lockTrashedOfClient, purgeSecrets } from '../auth-secrets/trash/purge.js';
import type { CredentialSchemas, StoredCredentialsSchema } from '../credential-schemas/credential-schemas.js';
import { authClientReader } from './auth-client-reader.js';
import { type AuthClientView, toAuthClientView } from './auth-client-serializer.js';
import { sealClientSecret } from './client-secret.js';
import { type ExtraParams, extraParamProblems } from './extra-params.js';
import { type UrlProblem, urlProblems } from './token-url-policy.js';

export interface OAuth2Input {
  clientId?: string;
  clientSecret?: string;
  tokenUrl?: string;
  authorizeUrl?: string | null;
  scopes?: string[];
  authMethod?: AuthMethod;
  grantType?: GrantType;
  /** null clears (stored as no parameters). */
  authorizeParams?: ExtraParams | null;
  tokenParams?: ExtraParams | null;
  refreshParams?: ExtraParams | null;
  defaultExpiresIn?: number | null;
  refreshMarginSeconds?: number | null;
  refreshEverySeconds?: number | null;
  revocationUrl?: string | null;
}

export interface CreateAuthClientInput {
  name: string;
  authType: AuthType;
  /** Required (with clientId, clientSecret, tokenUrl) for oauth2; absent or null for `other` (the schema says so). */
  oauth2?: OAuth2Input | null;
  /** `other` only (API.md §8.3): a built-in's name, an inline JSON Schema, or null (any object). */
  credentialsSchema?: StoredCredentialsSchema | undefined;
}

export interface UpdateAuthClientInput {
  name?: string;
  authType?: AuthType;
  oauth2?: OAuth2Input | null;
  credentialsSchema?: StoredCredentialsSchema | undefined;
}

export interface AuthClientFilters {
  auth_type?: string;
  name?: string;
}

const CREDENTIALS_SCHEMA_POINTER = '/data/attributes/credentials_schema';
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
  opts: { allowLoopbackHttp: boolean; refreshAheadSeconds: number },
  secrets: Pick<AuthSecretStore, 'usesClient' | 'rescheduleClient'>,
  credentialSchemas: CredentialSchemas,
  /** What follows the purge of a deleted client's trashed secrets, after the commit (token revocation). */
  afterPurge: AfterPurge,
) {
  /**
   * Problems with a credentials_schema sent for a client of `authType` (null is always fine: it
   * means none). Only `other` clients take one; their schema must be usable (credential-schemas/).
   */
  function credentialsSchemaProblems(authType: AuthType, value: StoredCredentialsSchema | undefined) {
    if (value === undefined || value === null) return [];
    if (authType === 'oauth2') {
      return [
        {
          code: 'credentials_schema_not_allowed',
          detail:
            'oauth2 auth-clients take no credentials_schema: their credentials are always access_token, refresh_token and expires_in.',
          pointer: CREDENTIALS_SCHEMA_POINTER,
        },
      ];
    }
    return credentialSchemas.problemsWith(value, CREDENTIALS_SCHEMA_POINTER);
  }

  /** auth_clients.credentials_schema as Prisma writes it: SQL NULL for none, else the JSON value. */
  const credentialsSchemaColumn = (value: StoredCredentialsSchema) =>
    value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue);

  /**
   * Every problem of the oauth2 members a request writes, thrown together (API.md §1). `current`: the
   * stored client on PATCH, to judge the settings as they will be after the merge. `problems`: those
   * found before (the credentials_schema), reported with these.
   */
  function checkOAuth2(oauth2: OAuth2Input, current?: AuthClientView, problems: UrlProblem[] = []): void {
    const urls = {
      token_url: oauth2.tokenUrl,
      authorize_url: oauth2.authorizeUrl,
      revocation_url: oauth2.revocationUrl,
    };
    for (const [member, url] of Object.entries(urls)) {
      if (typeof url === 'string') {
        problems.push(...urlProblems(url, `${OAUTH2_POINTER}/${member}`, opts.allowLoopbackHttp));
      }
    }
    const params = {
      authorize_params: oauth2.authorizeParams,
      token_params: oauth2.tokenParams,
      refresh_params: oauth2.refreshParams,
    };
    for (const [member, value] of Object.entries(params)) {
      if (value) problems.push(...extraParamProblems(value, `${OAUTH2_POINTER}/${member}`));
    }
    // A confidential client needs a secret to authenticate with; the create schema checks this for
    // POST, here it is the settings after a PATCH (e.g. auth_method none → client_secret_basic).
    if (current) {
      const method = oauth2.authMethod ?? current.authMethod;
      const secretSet = oauth2.clientSecret !== undefined || current.clientSecretSet;
      if (method !== 'none' && !secretSet) {
        problems.push({
          code: 'missing_member',
          detail: `${OAUTH2_POINTER}/client_secret is required with auth_method ${method}.`,
          pointer: `${OAUTH2_POINTER}/client_secret`,
        });
      }
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
      const schemaProblems = credentialsSchemaProblems(input.authType, input.credentialsSchema);
      if (input.authType === 'oauth2' && o) checkOAuth2(o, undefined, schemaProblems);
      else if (schemaProblems.length > 0) throw unprocessable(schemaProblems);
      if (input.authType === 'other' && input.credentialsSchema != null) {
        data.credentialsSchema = credentialsSchemaColumn(input.credentialsSchema);
      }
      if (input.authType === 'oauth2' && o) {
        data.clientId = o.clientId ?? null;
        data.clientSecretSealed = o.clientSecret
          ? sealClientSecret(keyRing, { id, tenantId }, o.clientSecret)
          : null;
        data.tokenUrl = o.tokenUrl ?? null;
        data.authorizeUrl = o.authorizeUrl ?? null;
        data.scopes = o.scopes ?? [];
        data.authMethod = o.authMethod ?? 'client_secret_basic';
        data.grantType = o.grantType ?? 'authorization_code';
        data.authorizeParams = o.authorizeParams ?? {};
        data.tokenParams = o.tokenParams ?? {};
        data.refreshParams = o.refreshParams ?? {};
        data.defaultExpiresIn = o.defaultExpiresIn ?? null;
        data.refreshMarginSeconds = o.refreshMarginSeconds ?? null;
        data.refreshEverySeconds = o.refreshEverySeconds ?? null;
        data.revocationUrl = o.revocationUrl ?? null;
      }
      const row = await withUniqueName(
        prisma.$transaction(async (tx) => {
          const created = await tx.authClient.create({ data });
          await audit(tx, actor, 'auth_client.create', id, {
            name: created.name,
            auth_type: created.authType,
            ...credentialsSchemaDetail(input.credentialsSchema),
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
      const schemaProblems = credentialsSchemaProblems(current.authType, input.credentialsSchema);
      if (schemaProblems.length > 0) throw unprocessable(schemaProblems);
      if (current.authType === 'other' && input.credentialsSchema !== undefined) {
        // Later writes of its secrets are checked against the new schema; stored ones stay as they are.
        data.credentialsSchema = credentialsSchemaColumn(input.credentialsSchema);
      }
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
          // Its secrets' credentials were made for one grant (a client-credentials token has no
          // refresh token): switching would leave them unrenewable.
          if (o.grantType !== undefined && o.grantType !== current.grantType) {
            throw conflict(
              'grant_type_immutable',
              `grant_type cannot change (this auth-client is ${current.grantType}); create another auth-client.`,
              { pointer: `${OAUTH2_POINTER}/grant_type` },
            );
          }
          checkOAuth2(o, current);
          if (o.clientId !== undefined) data.clientId = o.clientId;
          if (o.clientSecret !== undefined)
            data.clientSecretSealed = sealClientSecret(keyRing, current, o.clientSecret);
          if (o.tokenUrl !== undefined) data.tokenUrl = o.tokenUrl;
          if (o.authorizeUrl !== undefined) data.authorizeUrl = o.authorizeUrl;
          if (o.scopes !== undefined) data.scopes = o.scopes;
          if (o.authMethod !== undefined) data.authMethod = o.authMethod;
          if (o.authorizeParams !== undefined) data.authorizeParams = o.authorizeParams ?? {};
          if (o.tokenParams !== undefined) data.tokenParams = o.tokenParams ?? {};
          if (o.refreshParams !== undefined) data.refreshParams = o.refreshParams ?? {};
          if (o.defaultExpiresIn !== undefined) data.defaultExpiresIn = o.defaultExpiresIn;
          if (o.refreshMarginSeconds !== undefined) data.refreshMarginSeconds = o.refreshMarginSeconds;
          if (o.refreshEverySeconds !== undefined) data.refreshEverySeconds = o.refreshEverySeconds;
          if (o.revocationUrl !== undefined) data.revocationUrl = o.revocationUrl;
        }
      }
      if (Object.keys(data).length === 0) return current;
      const row = await withUniqueName(
        prisma.$transaction(async (tx) => {
          const updated = await tx.authClient.update({ where: { id, tenantId }, data });
          // Its secrets' renewal times follow the new margin or keep-alive at once (refresh-schedule.ts).
          if (o?.refreshMarginSeconds !== undefined || o?.refreshEverySeconds !== undefined) {
            const timing = {
              marginSeconds: updated.refreshMarginSeconds,
              everySeconds: updated.refreshEverySeconds,
            };
            await secrets.rescheduleClient(tx, id, timing, opts.refreshAheadSeconds);
          }
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
        const purged = await prisma.$transaction(async (tx) => {
          const trashed = await lockTrashedOfClient(tx, tenantId, id);
          const purgedSecrets = await purgeSecrets(tx, trashed, 'auth_client_deleted', () => actor);
          const { count } = await tx.authClient.deleteMany({ where: { id, tenantId } });
          if (count === 1) await audit(tx, actor, 'auth_client.delete', id, {});
          return purgedSecrets;
        });
        afterPurge(purged);
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

/** What an audit event says about a credentials schema: a built-in's name, or only that it is inline. */
function credentialsSchemaDetail(value: StoredCredentialsSchema | undefined): Record<string, string> {
  if (value === undefined || value === null) return {};
  return { credentials_schema: typeof value === 'string' ? value : 'inline' };
}

const OAUTH2_MEMBER_NAMES: Record<string, string> = {
  clientId: 'client_id',
  clientSecret: 'client_secret',
  tokenUrl: 'token_url',
  authorizeUrl: 'authorize_url',
  scopes: 'scopes',
  authMethod: 'auth_method',
  grantType: 'grant_type',
  authorizeParams: 'authorize_params',
  tokenParams: 'token_params',
  refreshParams: 'refresh_params',
  defaultExpiresIn: 'default_expires_in',
  refreshMarginSeconds: 'refresh_margin_seconds',
  refreshEverySeconds: 'refresh_every_seconds',
  revocationUrl: 'revocation_url',
};

function changedMembers(input: UpdateAuthClientInput): string[] {
  const names = input.name !== undefined ? ['name'] : [];
  if (input.credentialsSchema !== undefined) names.push('credentials_schema');
  for (const key of Object.keys(input.oauth2 ?? {})) names.push(`oauth2.${OAUTH2_MEMBER_NAMES[key] ?? key}`);
  return names;
}

export type AuthClientService = ReturnType<typeof createAuthClientService>;
