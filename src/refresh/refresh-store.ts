// Database access of the refresher. A refresh's writes are conditional on credentials_version, not
// on updated_at: the provider call takes seconds, and a PATCH of the name, state or error landing
// meanwhile must not make the refresh throw away the tokens the provider just issued (with a
// rotating provider the old refresh token is dead by then; API.md §7). Only credentials written
// meanwhile (which move credentials_version) win over the refresh. A successful refresh moves it
// too, so two refreshes that read the same credentials can never both be stored. Bookkeeping-only
// writes (failure counters, claims) keep updated_at: the resource a client sees did not change.

import type { AuthSecret, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { type AuditActor, recordAuditEvent } from '../modules/audit-events/audit-recorder.js';
import { authClientReader, type RefreshClient } from '../modules/auth-clients/auth-client-reader.js';
import type {
  AuthSecretStore,
  RefreshedCredentials,
  RefreshFailureWrite,
} from '../modules/auth-secrets/auth-secret-store.js';

export interface RefreshTarget {
  secret: AuthSecret;
  client: RefreshClient;
}

export interface Claim {
  id: string;
  expiresAt: Date;
  claimedUntil: Date;
}

export type FailureRecord = RefreshFailureWrite;

/** Who caused a refresh write, for its audit event. */
export interface RefreshAudit {
  actor: AuditActor;
  trigger: string;
}

// `superseded`: credentials written during the provider call won; the caller gets those (valid) ones.
const SUCCESS_RESULTS = new Set(['refreshed', 'already_renewed', 'shared', 'superseded']);

/** One `auth_secret.refresh` audit event (API.md §5); `result` names the outcome, never a value. */
function refreshEvent(secret: { id: string; workspaceId: string }, result: string, trigger: string) {
  return {
    action: 'auth_secret.refresh' as const,
    outcome: SUCCESS_RESULTS.has(result) ? ('success' as const) : ('failure' as const),
    resourceType: 'auth-secret',
    resourceId: secret.id,
    workspaceId: secret.workspaceId,
    details: { trigger, result },
  };
}

/**
 * `secrets` is the application's one auth-secret store: the lookups every caller of POST …/refresh
 * makes (1,000 at once in a refresh storm) share its batches with the GETs (src/db/batch-loader.ts).
 */
export function createRefreshStore(prisma: PrismaClient, secrets: AuthSecretStore) {
  const clients = authClientReader(prisma);
  /** A conditional write and its audit event, in one transaction: both or neither (API.md §5). */
  async function writeWithEvent(
    secret: AuthSecret,
    audit: RefreshAudit,
    result: string,
    write: (tx: Prisma.TransactionClient) => Promise<number>,
    { auditAlways = false } = {},
  ): Promise<boolean> {
    return prisma.$transaction(async (tx) => {
      const count = await write(tx);
      if (count === 1 || auditAlways) {
        await recordAuditEvent(tx, audit.actor, refreshEvent(secret, result, audit.trigger));
      }
      return count === 1;
    });
  }

  return {
    /** The secret's auth type if it exists in this workspace (the route's 404/409 checks). */
    async typeInWorkspace(workspaceId: string, id: string): Promise<AuthSecret['authType'] | null> {
      const row = await secrets.find(workspaceId, id);
      return row?.authType ?? null;
    },

    /**
     * The secret and its auth-client. A request names its workspace, and the secret is read only
     * within it, like every query a request makes. The worker passes none: its ids come from its
     * own claims, which span every workspace by design, never from a caller.
     */
    async load(id: string, workspaceId?: string): Promise<RefreshTarget | null> {
      const secret =
        workspaceId === undefined ? await secrets.findAnyWorkspace(id) : await secrets.find(workspaceId, id);
      if (!secret) return null;
      const client = await clients.forRefresh(secret.tenantId, secret.authClientId);
      return client ? { secret, client } : null;
    },

    /**
     * Stores renewed credentials unless new credentials were written since `secret` was read (or
     * the secret vanished); false then. The name and the like are left as they are now; state and
     * error describe the grant, which this renewal just proved to work.
     */
    async recordSuccess(
      secret: AuthSecret,
      renewed: Omit<RefreshedCredentials, 'userId'>,
      audit: RefreshAudit,
    ): Promise<boolean> {
      return writeWithEvent(secret, audit, 'refreshed', (tx) =>
        secrets.storeRefreshed(tx, secret, { ...renewed, userId: audit.actor.userId }),
      );
    },

    /**
     * Records a failed provider call about the credentials `secret` held. Dropped when new
     * credentials were written meanwhile (the failure says nothing about them: a rejection of the
     * old token must not put the caller's new one in state error), but not when only other
     * attributes changed: a rename during the call does not make a dead grant look alive. The
     * request is audited either way (API.md §5: every refresh, success or failure).
     */
    async recordFailure(secret: AuthSecret, failure: FailureRecord, audit: RefreshAudit): Promise<boolean> {
      const write = failure.errorText === undefined ? secrets.noteRefreshFailure : secrets.markRefreshFailed;
      return writeWithEvent(secret, audit, failure.kind, (tx) => write(tx, secret, failure), {
        auditAlways: true,
      });
    },

    /**
     * Claims up to `limit` due secrets after `cursor` (expires_at, id order) for `claimTtlMs`:
     * their next_attempt_at moves past the claim, so no other worker takes them meanwhile, and a
     * worker killed mid-refresh loses its claim when the TTL runs out. SKIP LOCKED lets several
     * workers claim side by side; the transaction is one statement long.
     */
    async claimDue(opts: {
      limit: number;
      aheadSeconds: number;
      claimTtlMs: number;
      cursor?: { expiresAt: Date; id: string } | undefined;
    }): Promise<Claim[]> {
      const cursorAt = opts.cursor?.expiresAt ?? null;
      const cursorId = opts.cursor?.id ?? null;
      const rows = await prisma.$queryRaw<{ id: string; expires_at: Date; next_attempt_at: Date }[]>`
        UPDATE auth_secrets AS s
        SET next_attempt_at = now() + ${opts.claimTtlMs}::int * interval '1 millisecond'
        FROM (
          SELECT id FROM auth_secrets
          WHERE auth_type = 'oauth2' AND state = 'ready' AND deleted_at IS NULL
            AND expires_at <= now() + ${opts.aheadSeconds}::int * interval '1 second'
            AND (next_attempt_at IS NULL OR next_attempt_at <= now())
            AND (${cursorAt}::timestamptz IS NULL OR (expires_at, id) > (${cursorAt}::timestamptz, ${cursorId}::uuid))
          ORDER BY expires_at, id
          LIMIT ${opts.limit}::int
          FOR UPDATE SKIP LOCKED
        ) AS due
        WHERE s.id = due.id
        RETURNING s.id, s.expires_at, s.next_attempt_at`;
      return rows
        .map((r) => ({ id: r.id, expiresAt: r.expires_at, claimedUntil: r.next_attempt_at }))
        .sort(
          (a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
        );
    },

    /** Gives a claim back (the secret turned out not to need the worker); only if it is still ours. */
    async releaseClaim(claim: Claim): Promise<void> {
      await prisma.$executeRaw`
        UPDATE auth_secrets SET next_attempt_at = NULL
        WHERE id = ${claim.id}::uuid AND next_attempt_at = ${claim.claimedUntil}::timestamptz`;
    },

    /** Postpones a claimed secret after an unexpected error (not a provider failure). */
    async deferClaim(claim: Claim, until: Date): Promise<void> {
      await prisma.$executeRaw`
        UPDATE auth_secrets SET next_attempt_at = ${until}::timestamptz
        WHERE id = ${claim.id}::uuid AND next_attempt_at = ${claim.claimedUntil}::timestamptz`;
    },

    /**
     * The audit event of a refresh request that changed nothing itself (it shared another caller's
     * provider call, or the secret was already renewed); writes that change the secret record
     * their event in their own transaction (writeWithEvent).
     */
    audit(actor: AuditActor, secret: { id: string; workspaceId: string }, result: string, trigger: string) {
      return secrets.recordEvents(actor, [refreshEvent(secret, result, trigger)]);
    },

    /** Secrets the worker would renew now (for the metrics gauge). */
    async countDue(aheadSeconds: number): Promise<number> {
      const [row] = await prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM auth_secrets
        WHERE auth_type = 'oauth2' AND state = 'ready' AND deleted_at IS NULL
          AND expires_at <= now() + ${aheadSeconds}::int * interval '1 second'`;
      return row?.n ?? 0;
    },
  };
}

export type RefreshStore = ReturnType<typeof createRefreshStore>;
