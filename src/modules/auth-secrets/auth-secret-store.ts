// The one place that speaks SQL for reading auth_secrets rows and for the audit events of credential
// reads. Built once in the composition root and shared by the auth-secret service and the refresher,
// so both use the same batched lookups (one DataLoader each per process, not one per caller).
import { createBatchLoader, uuidParts } from '../../db/batch-loader.js';
import type { Sql } from '../../db/prisma-client.js';
import { isUuid } from '../../db/uuid7.js';
import type { AuthSecret, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { type AuditActor, type AuditEventInput, createAuditWriter } from '../audit-events/audit-recorder.js';
import { type NewVersion, recordVersion } from './versions/version-store.js';

/** A row of auth_secrets, under the names of Prisma's AuthSecret model. */
export type AuthSecretRow = AuthSecret;

/**
 * Each field of the row and the SQL that selects it. `satisfies Record<keyof AuthSecretRow, …>`
 * makes a field added to the Prisma model and forgotten here a compile error: the plain-SQL reads
 * would otherwise return it as undefined on GET and list while Prisma's PATCH shows it.
 */
const AUTH_SECRET_COLUMNS = {
  id: 's.id::text',
  tenantId: 's.tenant_id::text',
  workspaceId: 's.workspace_id::text',
  userId: 's.user_id::text',
  authClientId: 's.auth_client_id::text',
  authType: 's.auth_type::text',
  name: 's.name',
  state: 's.state::text',
  error: 's.error',
  description: 's.description',
  tags: 's.tags',
  credentialsSealed: 's.credentials_sealed',
  expiresAt: 's.expires_at',
  refreshedAt: 's.refreshed_at',
  credentialsVersion: 's.credentials_version',
  lastFailureAt: 's.last_failure_at',
  lastFailureKind: 's.last_failure_kind',
  failureCount: 's.failure_count',
  nextAttemptAt: 's.next_attempt_at',
  deletedAt: 's.deleted_at',
  createdAt: 's.created_at',
  updatedAt: 's.updated_at',
} as const satisfies Record<keyof AuthSecretRow, string>;

/** The SELECT list generated from the mapping above (table alias `s`). */
export const AUTH_SECRET_SELECT = Object.entries(AUTH_SECRET_COLUMNS)
  .map(([field, column]) => `${column} AS "${field}"`)
  .join(', ');

/** The `tags` attribute: the request schema admits only an object of strings into the column. */
export type AuthSecretTags = Record<string, string>;
export const tagsOf = (row: Pick<AuthSecretRow, 'tags'>): AuthSecretTags => row.tags as AuthSecretTags;

/** A Prisma write whose `tags`, if any, the store writes itself (see writeTags). */
export type WithTags<T> = Omit<T, 'tags'> & { tags?: AuthSecretTags };

export interface SecretPageQuery {
  workspaceId: string;
  userId?: string | undefined;
  authClientId?: string | undefined;
  state?: string | undefined;
  /** Exact name. */
  name?: string | undefined;
  /** Every one of these tags, exactly (AND). */
  tags?: AuthSecretTags | undefined;
  /** Rows after this id (keyset pagination: ids are UUIDv7, so creation order). */
  afterId?: string | undefined;
  limit: number;
}

/** A failed refresh's bookkeeping (refresh-policy.ts decides the values). */
export interface RefreshFailureWrite {
  kind: string;
  at: Date;
  failureCount: number;
  nextAttemptAt: Date | null;
  /** Set: the secret becomes state error with this text (updated_at moves: the resource changed). */
  errorText?: string | undefined;
}

/** A refresh's renewed credentials, sealed for the row and for the version it makes. */
export interface RefreshedCredentials {
  credentialsSealed: Uint8Array<ArrayBuffer>;
  expiresAt: Date | null;
  at: Date;
  /** Sealed for version number `secret.credentialsVersion + 1` (versions/version-credentials.ts). */
  versionSealed: Uint8Array<ArrayBuffer>;
  /** Who asked for the refresh; null for the worker. */
  userId: string | null;
}

/**
 * Writes take the caller's transaction, so that each is committed with its audit event (both or
 * neither). The refresher's writes are conditional on credentials_version (refresh-store.ts says
 * why) and return how many rows they changed (0 or 1). Every read and write here skips secrets in
 * the trash (deleted_at set): only trash/trash-store.ts sees those.
 */
export interface AuthSecretWrites {
  /** The row, locked FOR UPDATE, if it is in this workspace: a concurrent PATCH waits for ours. */
  lockInWorkspace(
    tx: Prisma.TransactionClient,
    workspaceId: string,
    id: string,
  ): Promise<AuthSecretRow | null>;
  /** Creates and updates keep the tag index (auth_secret_tags) in step with `tags`. */
  create(
    tx: Prisma.TransactionClient,
    data: WithTags<Prisma.AuthSecretUncheckedCreateInput>,
  ): Promise<AuthSecretRow>;
  update(
    tx: Prisma.TransactionClient,
    id: string,
    data: WithTags<Prisma.AuthSecretUncheckedUpdateInput>,
  ): Promise<AuthSecretRow>;
  /**
   * A version of the credentials just written (API.md §9.1), in the same transaction as the write;
   * older versions beyond SECRET_VERSIONS_KEPT go.
   */
  recordVersion(tx: Prisma.TransactionClient, version: NewVersion): Promise<void>;
  /**
   * Renewed credentials and their version, unless new credentials were written since `secret` was
   * read (or it went to the trash): then nothing, not even a version.
   */
  storeRefreshed(
    tx: Prisma.TransactionClient,
    secret: AuthSecretRow,
    renewed: RefreshedCredentials,
  ): Promise<number>;
  /**
   * A transient failure: bookkeeping for the worker's backoff only. Plain SQL because Prisma would
   * move updated_at, and no value of it is right to write back: a PATCH may have moved it meanwhile.
   */
  noteRefreshFailure(
    tx: Prisma.TransactionClient,
    secret: AuthSecretRow,
    failure: RefreshFailureWrite,
  ): Promise<number>;
  /** A final failure (rejected grant, retries exhausted): the secret becomes state error. */
  markRefreshFailed(
    tx: Prisma.TransactionClient,
    secret: AuthSecretRow,
    failure: RefreshFailureWrite,
  ): Promise<number>;
}

export interface AuthSecretStore extends AuthSecretWrites {
  /** The secret if it is in this workspace; batched per event-loop turn (the GET hot path). */
  find(workspaceId: string, id: string): Promise<AuthSecretRow | undefined>;
  /**
   * The secret by id alone, in any workspace. Only for callers that got the id from the database
   * itself rather than from a request (the refresh worker's claims span every workspace).
   */
  findAnyWorkspace(id: string): Promise<AuthSecretRow | undefined>;
  /** Whether any secret of the tenant uses this auth-client (which may then not be deleted). */
  usesClient(tenantId: string, authClientId: string): Promise<boolean>;
  /** Whether the secret is in this workspace (Prisma: not on the hot path). */
  exists(workspaceId: string, id: string): Promise<boolean>;
  /** One page of a workspace's secrets in id order. */
  findPage(q: SecretPageQuery): Promise<AuthSecretRow[]>;
  /** Audit events that record no change of their own (credential reads), batched per turn. */
  recordEvents(actor: AuditActor, events: AuditEventInput[]): Promise<void>;
}

// What String.prototype.toWellFormed replaces (the ES2023 library types here do not declare it).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Sets `tags` and rewrites the secret's rows in auth_secret_tags, the filter's index, in the
 * transaction of the write: a list filtered by tag never disagrees with the tags it returns. (Not a
 * trigger: the migration runner splits scripts on semicolons, which a PL/pgSQL body is full of.)
 * Plain SQL rather than Prisma because Prisma's JSON serialisation drops a key named `__proto__`,
 * which the key pattern admits. Lone UTF-16 surrogates become U+FFFD, as in every text column
 * (jsonb would refuse them).
 */
async function writeTags(
  tx: Prisma.TransactionClient,
  row: AuthSecretRow,
  tags: AuthSecretTags,
  mode: 'new' | 'replace',
): Promise<AuthSecretRow> {
  const stored = Object.fromEntries(
    Object.entries(tags).map(([k, v]) => [k, v.replace(LONE_SURROGATE, '\uFFFD')]),
  );
  if (mode === 'replace')
    await tx.$executeRaw`DELETE FROM auth_secret_tags WHERE secret_id = ${row.id}::uuid`;
  await tx.$executeRaw`
    WITH s AS (UPDATE auth_secrets SET tags = ${JSON.stringify(stored)}::jsonb WHERE id = ${row.id}::uuid
               RETURNING id, workspace_id, tags)
    INSERT INTO auth_secret_tags (secret_id, workspace_id, key, value)
    SELECT s.id, s.workspace_id, e.key, e.value FROM s, jsonb_each_text(s.tags) e`;
  return { ...row, tags: stored };
}

export function createAuthSecretStore(deps: {
  prisma: PrismaClient;
  sql: Sql;
  /** SECRET_VERSIONS_KEPT: how many versions of each secret's credentials stay. */
  versionsKept: number;
}): AuthSecretStore {
  const { prisma, sql, versionsKept } = deps;
  // Reads by "workspaceId|id" (both lower-case UUIDs), in plain SQL batched per event-loop turn
  // (src/db/batch-loader.ts): GET one secret is the hot path of every integration call, and
  // Prisma's per-query overhead was most of its cost (docs/PERFORMANCE.md).
  const findByKey = createBatchLoader<string, AuthSecretRow>(async (keys) => {
    const parts = keys.map((k) => k.split('|'));
    const { rows } = await sql.query<AuthSecretRow & { k: string }>({
      name: 'auth-secrets-find',
      text: `SELECT q.k, ${AUTH_SECRET_SELECT}
       FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS q(k, workspace_id, id)
       JOIN auth_secrets s ON s.id = q.id AND s.workspace_id = q.workspace_id AND s.deleted_at IS NULL`,
      values: [keys, parts.map((p) => p[0]), parts.map((p) => p[1])],
    });
    return new Map(rows.map(({ k, ...row }) => [k, row]));
  }, uuidParts);
  const events = createAuditWriter(sql);

  return {
    find: (workspaceId, id) =>
      isUuid(id) ? findByKey(`${workspaceId}|${id.toLowerCase()}`) : Promise.resolve(undefined),

    async findAnyWorkspace(id) {
      return (await prisma.authSecret.findFirst({ where: { id, deletedAt: null } })) ?? undefined;
    },

    async usesClient(tenantId, authClientId) {
      const row = await prisma.authSecret.findFirst({
        // A trashed secret does not keep its auth-client in use: deleting the client purges it.
        where: { authClientId, tenantId, deletedAt: null },
        select: { id: true },
      });
      return row !== null;
    },

    async exists(workspaceId, id) {
      if (!isUuid(id)) return false;
      const row = await prisma.authSecret.findFirst({
        where: { id, workspaceId, deletedAt: null },
        select: { id: true },
      });
      return row !== null;
    },

    /**
     * Plain SQL for the same reason as `find` (Prisma's findMany of 51 full rows cost 3× the same
     * query through pg). Each absent filter is a NULL parameter, which the planner folds away
     * (unnamed statement: planned per call), so the (workspace_id, id) and
     * (workspace_id, user_id | auth_client_id | state | name, id) indexes apply. Each tag is a join
     * on the tag index, whose (workspace_id, key, value, secret_id) order is id order: the page is
     * read in order, never sorted (docs/PERFORMANCE.md, "Tag filters"). The cursor bound is repeated
     * on each join because the planner does not carry `s.id > x` over to `t.secret_id`; without it a
     * page deep in the list would read every matching index entry before the cursor.
     */
    async findPage(q) {
      const values: unknown[] = [
        q.workspaceId,
        q.userId ?? null,
        q.authClientId ?? null,
        q.state ?? null,
        q.afterId ?? null,
        q.limit,
        q.name ?? null,
      ];
      const tagJoins = Object.entries(q.tags ?? {}).map(([key, value], i) => {
        values.push(key, value);
        return `JOIN auth_secret_tags t${i} ON t${i}.secret_id = s.id AND t${i}.workspace_id = $1::uuid
           AND t${i}.key = $${values.length - 1}::text AND t${i}.value = $${values.length}::text
           AND ($5::uuid IS NULL OR t${i}.secret_id > $5::uuid)`;
      });
      const { rows } = await sql.query<AuthSecretRow>({
        text: `SELECT ${AUTH_SECRET_SELECT}
         FROM auth_secrets s
         ${tagJoins.join('\n         ')}
         WHERE s.workspace_id = $1::uuid AND s.deleted_at IS NULL
           AND ($2::uuid IS NULL OR s.user_id = $2::uuid)
           AND ($3::uuid IS NULL OR s.auth_client_id = $3::uuid)
           AND ($4::text IS NULL OR s.state = $4::text::"SecretState")
           AND ($5::uuid IS NULL OR s.id > $5::uuid)
           AND ($7::text IS NULL OR s.name = $7::text)
         ORDER BY s.id
         LIMIT $6::int`,
        values,
      });
      return rows;
    },

    recordEvents: (actor, list) => events.record(actor, list),

    async lockInWorkspace(tx, workspaceId, id) {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM auth_secrets
        WHERE id = ${id}::uuid AND workspace_id = ${workspaceId}::uuid AND deleted_at IS NULL FOR UPDATE`;
      return locked.length > 0 ? tx.authSecret.findFirst({ where: { id, workspaceId } }) : null;
    },

    async create(tx, { tags, ...data }) {
      const created = await tx.authSecret.create({ data });
      // The column's default is the empty object: nothing to write or index.
      if (tags === undefined || Object.keys(tags).length === 0) return created;
      return writeTags(tx, created, tags, 'new');
    },

    async update(tx, id, { tags, ...data }) {
      const updated = await tx.authSecret.update({ where: { id }, data });
      return tags === undefined ? updated : writeTags(tx, updated, tags, 'replace');
    },

    recordVersion: (tx, version) => recordVersion(tx, version, versionsKept),

    async storeRefreshed(tx, secret, renewed) {
      const { count } = await tx.authSecret.updateMany({
        where: { id: secret.id, credentialsVersion: secret.credentialsVersion, deletedAt: null },
        data: {
          credentialsSealed: renewed.credentialsSealed,
          credentialsVersion: { increment: 1 },
          expiresAt: renewed.expiresAt,
          refreshedAt: renewed.at,
          state: 'ready',
          error: null,
          failureCount: 0,
          nextAttemptAt: null,
          updatedAt: renewed.at,
        },
      });
      // Under the same condition as the write: a superseded refresh leaves no version behind.
      if (count === 1) {
        await recordVersion(
          tx,
          {
            secret,
            number: secret.credentialsVersion + 1,
            cause: 'refresh',
            userId: renewed.userId,
            authType: secret.authType,
            credentialsSealed: renewed.versionSealed,
            expiresAt: renewed.expiresAt,
            createdAt: renewed.at,
          },
          versionsKept,
        );
      }
      return count;
    },

    noteRefreshFailure: (tx, secret, failure) => tx.$executeRaw`
      UPDATE auth_secrets
      SET last_failure_at = ${failure.at}::timestamptz, last_failure_kind = ${failure.kind},
          failure_count = ${failure.failureCount}::int, next_attempt_at = ${failure.nextAttemptAt}::timestamptz
      WHERE id = ${secret.id}::uuid AND credentials_version = ${secret.credentialsVersion}::int
        AND deleted_at IS NULL`,

    async markRefreshFailed(tx, secret, failure) {
      const { count } = await tx.authSecret.updateMany({
        where: { id: secret.id, credentialsVersion: secret.credentialsVersion, deletedAt: null },
        data: {
          lastFailureAt: failure.at,
          lastFailureKind: failure.kind,
          failureCount: failure.failureCount,
          nextAttemptAt: failure.nextAttemptAt,
          state: 'error',
          error: failure.errorText ?? null,
          updatedAt: failure.at,
        },
      });
      return count;
    },
  };
}
