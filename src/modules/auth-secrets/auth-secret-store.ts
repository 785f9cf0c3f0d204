// The one place that speaks SQL for reading auth_secrets rows and for the audit events of credential
// reads. Built once in the composition root and shared by the auth-secret service and the refresher,
// so both use the same batched lookups (one DataLoader each per process, not one per caller).
import { createBatchLoader, uuidParts } from '../../db/batch-loader.js';
import type { Sql } from '../../db/prisma-client.js';
import { isUuid } from '../../db/uuid7.js';
import type { AuthSecret, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { type AuditActor, type AuditEventInput, createAuditWriter } from '../audit-events/audit-recorder.js';
import { REFRESH_DUE_SQL, type RefreshTiming, refreshDueAt } from './refresh-schedule.js';

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
  credentialsSealed: 's.credentials_sealed',
  expiresAt: 's.expires_at',
  refreshedAt: 's.refreshed_at',
  credentialsVersion: 's.credentials_version',
  lastFailureAt: 's.last_failure_at',
  lastFailureKind: 's.last_failure_kind',
  failureCount: 's.failure_count',
  nextAttemptAt: 's.next_attempt_at',
  refreshDueAt: 's.refresh_due_at',
  createdAt: 's.created_at',
  updatedAt: 's.updated_at',
} as const satisfies Record<keyof AuthSecretRow, string>;

/** The SELECT list generated from the mapping above (table alias `s`). */
export const AUTH_SECRET_SELECT = Object.entries(AUTH_SECRET_COLUMNS)
  .map(([field, column]) => `${column} AS "${field}"`)
  .join(', ');

export interface SecretPageQuery {
  workspaceId: string;
  userId?: string | undefined;
  authClientId?: string | undefined;
  state?: string | undefined;
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

/**
 * Writes take the caller's transaction, so that each is committed with its audit event (both or
 * neither). The refresher's writes are conditional on credentials_version (refresh-store.ts says
 * why) and return how many rows they changed (0 or 1).
 */
export interface AuthSecretWrites {
  /** The row, locked FOR UPDATE, if it is in this workspace: a concurrent PATCH waits for ours. */
  lockInWorkspace(
    tx: Prisma.TransactionClient,
    workspaceId: string,
    id: string,
  ): Promise<AuthSecretRow | null>;
  create(tx: Prisma.TransactionClient, data: Prisma.AuthSecretUncheckedCreateInput): Promise<AuthSecretRow>;
  update(
    tx: Prisma.TransactionClient,
    id: string,
    data: Prisma.AuthSecretUncheckedUpdateInput,
  ): Promise<AuthSecretRow>;
  /** Whether the secret was in this workspace (and is gone now). */
  deleteInWorkspace(tx: Prisma.TransactionClient, workspaceId: string, id: string): Promise<boolean>;
  /**
   * Renewed credentials, unless new ones were written since `secret` was read. `refreshDueAt`: the
   * refresher knows the client's timing and computes it (refresh-schedule.ts).
   */
  storeRefreshed(
    tx: Prisma.TransactionClient,
    secret: AuthSecretRow,
    renewed: {
      credentialsSealed: Uint8Array<ArrayBuffer>;
      expiresAt: Date | null;
      refreshDueAt: Date | null;
      at: Date;
    },
  ): Promise<number>;
  /**
   * Every secret of an auth-client whose refresh timing changed is due anew (one statement).
   * `defaultMarginSeconds` stands in for a margin of null.
   */
  rescheduleClient(
    tx: Prisma.TransactionClient,
    authClientId: string,
    timing: RefreshTiming,
    defaultMarginSeconds: number,
  ): Promise<void>;
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

/** REFRESH_AHEAD_SECONDS' default, for stores built without configuration (tests, tools). */
export const DEFAULT_REFRESH_AHEAD_SECONDS = 300;

export function createAuthSecretStore(deps: {
  prisma: PrismaClient;
  sql: Sql;
  /** REFRESH_AHEAD_SECONDS: the margin of clients that set none (refresh-schedule.ts). */
  refreshAheadSeconds?: number;
}): AuthSecretStore {
  const { prisma, sql } = deps;
  const aheadSeconds = deps.refreshAheadSeconds ?? DEFAULT_REFRESH_AHEAD_SECONDS;

  /**
   * When a token stored now is due (create and PATCH: every writer of expires_at gets it here,
   * so no write can leave a secret that the worker never renews).
   */
  async function dueAt(
    tx: Prisma.TransactionClient,
    authClientId: string,
    expiresAt: Date | null,
    obtainedAt: Date,
  ): Promise<Date | null> {
    const client = await tx.authClient.findUnique({
      where: { id: authClientId },
      select: { refreshMarginSeconds: true, refreshEverySeconds: true },
    });
    const timing = {
      marginSeconds: client?.refreshMarginSeconds ?? null,
      everySeconds: client?.refreshEverySeconds ?? null,
    };
    return refreshDueAt(expiresAt, obtainedAt, timing, aheadSeconds);
  }

  // Reads by "workspaceId|id" (both lower-case UUIDs), in plain SQL batched per event-loop turn
  // (src/db/batch-loader.ts): GET one secret is the hot path of every integration call, and
  // Prisma's per-query overhead was most of its cost (docs/PERFORMANCE.md).
  const findByKey = createBatchLoader<string, AuthSecretRow>(async (keys) => {
    const parts = keys.map((k) => k.split('|'));
    const { rows } = await sql.query<AuthSecretRow & { k: string }>({
      name: 'auth-secrets-find',
      text: `SELECT q.k, ${AUTH_SECRET_SELECT}
       FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS q(k, workspace_id, id)
       JOIN auth_secrets s ON s.id = q.id AND s.workspace_id = q.workspace_id`,
      values: [keys, parts.map((p) => p[0]), parts.map((p) => p[1])],
    });
    return new Map(rows.map(({ k, ...row }) => [k, row]));
  }, uuidParts);
  const events = createAuditWriter(sql);

  return {
    find: (workspaceId, id) =>
      isUuid(id) ? findByKey(`${workspaceId}|${id.toLowerCase()}`) : Promise.resolve(undefined),

    async findAnyWorkspace(id) {
      return (await prisma.authSecret.findUnique({ where: { id } })) ?? undefined;
    },

    async usesClient(tenantId, authClientId) {
      const row = await prisma.authSecret.findFirst({
        where: { authClientId, tenantId },
        select: { id: true },
      });
      return row !== null;
    },

    async exists(workspaceId, id) {
      if (!isUuid(id)) return false;
      const row = await prisma.authSecret.findFirst({ where: { id, workspaceId }, select: { id: true } });
      return row !== null;
    },

    /**
     * Plain SQL for the same reason as `find` (Prisma's findMany of 51 full rows cost 3× the same
     * query through pg). Each absent filter is a NULL parameter, which the planner folds away
     * (unnamed statement: planned per call), so the (workspace_id, id) and
     * (workspace_id, user_id | auth_client_id | state, id) indexes apply.
     */
    async findPage(q) {
      const { rows } = await sql.query<AuthSecretRow>({
        text: `SELECT ${AUTH_SECRET_SELECT}
         FROM auth_secrets s
         WHERE s.workspace_id = $1::uuid
           AND ($2::uuid IS NULL OR s.user_id = $2::uuid)
           AND ($3::uuid IS NULL OR s.auth_client_id = $3::uuid)
           AND ($4::text IS NULL OR s.state = $4::text::"SecretState")
           AND ($5::uuid IS NULL OR s.id > $5::uuid)
         ORDER BY s.id
         LIMIT $6::int`,
        values: [
          q.workspaceId,
          q.userId ?? null,
          q.authClientId ?? null,
          q.state ?? null,
          q.afterId ?? null,
          q.limit,
        ],
      });
      return rows;
    },

    recordEvents: (actor, list) => events.record(actor, list),

    async lockInWorkspace(tx, workspaceId, id) {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM auth_secrets WHERE id = ${id}::uuid AND workspace_id = ${workspaceId}::uuid FOR UPDATE`;
      return locked.length > 0 ? tx.authSecret.findFirst({ where: { id, workspaceId } }) : null;
    },

    async create(tx, data) {
      const refreshDue =
        data.authType === 'oauth2'
          ? await dueAt(
              tx,
              data.authClientId,
              (data.expiresAt as Date | null | undefined) ?? null,
              new Date(),
            )
          : null;
      return tx.authSecret.create({ data: { ...data, refreshDueAt: refreshDue } });
    },

    async update(tx, id, data) {
      const updated = await tx.authSecret.update({ where: { id }, data });
      // New credentials (a new expiry) or another client (other timing): due anew, counted from now.
      if (data.expiresAt === undefined && data.authClientId === undefined) return updated;
      const refreshDue =
        updated.authType === 'oauth2'
          ? await dueAt(tx, updated.authClientId, updated.expiresAt, new Date())
          : null;
      // Plain SQL: not a change a client sees, so updated_at stays as the update above set it.
      await tx.$executeRaw`UPDATE auth_secrets SET refresh_due_at = ${refreshDue}::timestamptz WHERE id = ${id}::uuid`;
      return { ...updated, refreshDueAt: refreshDue };
    },

    async rescheduleClient(tx, authClientId, timing, defaultMarginSeconds) {
      await tx.$executeRawUnsafe(
        `UPDATE auth_secrets s SET refresh_due_at = ${REFRESH_DUE_SQL}
         WHERE s.auth_client_id = $3::uuid AND s.auth_type = 'oauth2'`,
        timing.marginSeconds ?? defaultMarginSeconds,
        timing.everySeconds,
        authClientId,
      );
    },

    async deleteInWorkspace(tx, workspaceId, id) {
      const { count } = await tx.authSecret.deleteMany({ where: { id, workspaceId } });
      return count === 1;
    },

    async storeRefreshed(tx, secret, renewed) {
      const { count } = await tx.authSecret.updateMany({
        where: { id: secret.id, credentialsVersion: secret.credentialsVersion },
        data: {
          credentialsSealed: renewed.credentialsSealed,
          credentialsVersion: { increment: 1 },
          expiresAt: renewed.expiresAt,
          refreshDueAt: renewed.refreshDueAt,
          refreshedAt: renewed.at,
          state: 'ready',
          error: null,
          failureCount: 0,
          nextAttemptAt: null,
          updatedAt: renewed.at,
        },
      });
      return count;
    },

    noteRefreshFailure: (tx, secret, failure) => tx.$executeRaw`
      UPDATE auth_secrets
      SET last_failure_at = ${failure.at}::timestamptz, last_failure_kind = ${failure.kind},
          failure_count = ${failure.failureCount}::int, next_attempt_at = ${failure.nextAttemptAt}::timestamptz
      WHERE id = ${secret.id}::uuid AND credentials_version = ${secret.credentialsVersion}::int`,

    async markRefreshFailed(tx, secret, failure) {
      const { count } = await tx.authSecret.updateMany({
        where: { id: secret.id, credentialsVersion: secret.credentialsVersion },
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
