// The lifecycle events of auth-secrets (API.md §11), one call per write, each made inside the
// transaction of that write (webhook-outbox.ts says why). The payload is an allow-list of the
// secret's ids, name, state and error text: credentials never leave the row.
//
// State transitions are events of their own, whatever caused them: `auth_secret.error` when a
// secret enters state error (a rejected grant, retries exhausted, or a PATCH), `auth_secret.recovered`
// when it goes from error back to ready (a successful refresh, or a PATCH).
import type { AuthSecret, Prisma } from '../../generated/prisma/client.js';
import { type EventValue, recordWebhookEvent } from './webhook-outbox.js';

type Tx = Prisma.TransactionClient;

/** The columns an event may show, and no other. */
export type SecretFacts = Pick<
  AuthSecret,
  'id' | 'tenantId' | 'workspaceId' | 'authClientId' | 'name' | 'state' | 'error' | 'failureCount'
> & { lastFailureKind?: string | null };

function dataOf(s: SecretFacts, extra: Record<string, EventValue> = {}): Record<string, EventValue> {
  return {
    id: s.id,
    name: s.name,
    workspace_id: s.workspaceId,
    auth_client_id: s.authClientId,
    state: s.state,
    error: s.error,
    ...extra,
  };
}

function record(tx: Tx, type: Parameters<typeof recordWebhookEvent>[1]['type'], s: SecretFacts, extra = {}) {
  return recordWebhookEvent(tx, {
    tenantId: s.tenantId,
    workspaceId: s.workspaceId,
    type,
    data: dataOf(s, extra),
  });
}

/** error/recovered when a write moved the secret between ready and error. */
async function recordTransition(tx: Tx, before: SecretFacts['state'] | undefined, after: SecretFacts) {
  if (before === 'ready' && after.state === 'error')
    await record(tx, 'auth_secret.error', after, { reason: after.error });
  if (before === 'error' && after.state === 'ready') await record(tx, 'auth_secret.recovered', after);
}

export const recordSecretCreated = (tx: Tx, created: SecretFacts) =>
  record(tx, 'auth_secret.created', created);

/** A PATCH that changed something: `before` is the row it locked, `after` what it wrote. */
export async function recordSecretUpdated(tx: Tx, before: SecretFacts, after: SecretFacts): Promise<void> {
  await record(tx, 'auth_secret.updated', after);
  await recordTransition(tx, before.state, after);
}

/** A trashed secret that came back (called by the restore use case, in its transaction). */
export const recordSecretRestored = (tx: Tx, restored: SecretFacts) =>
  record(tx, 'auth_secret.restored', restored);

const FACTS = `SELECT id::text AS "id", tenant_id::text AS "tenantId", workspace_id::text AS "workspaceId",
  auth_client_id::text AS "authClientId", name, state::text AS "state", error, failure_count AS "failureCount",
  last_failure_kind AS "lastFailureKind"
  FROM auth_secrets WHERE id = $1::uuid`;

async function factsOf(tx: Tx, id: string, lock = false): Promise<SecretFacts | undefined> {
  const rows = await tx.$queryRawUnsafe<SecretFacts[]>(lock ? `${FACTS} FOR UPDATE` : FACTS, id);
  return rows[0];
}

/**
 * Called before a delete, in its transaction: the event needs the name the row still has. If the
 * secret is not in the workspace, nothing is recorded (and the delete that follows finds nothing).
 */
export async function recordSecretDeleted(tx: Tx, workspaceId: string, id: string): Promise<void> {
  const facts = await factsOf(tx, id, true);
  if (facts && facts.workspaceId === workspaceId) await record(tx, 'auth_secret.deleted', facts);
}

/**
 * The state a refresh write is about to replace, read under the row lock the write then takes
 * anyway: a PATCH of the state committed during the provider call is seen, so a transition is
 * reported exactly once.
 */
export async function lockedSecretState(tx: Tx, id: string): Promise<SecretFacts['state'] | undefined> {
  return (await factsOf(tx, id, true))?.state;
}

/**
 * After a refresh stored its outcome (refresh-store.ts): `auth_secret.refreshed` (+ `recovered`
 * from error); a failure that put the secret into error is `auth_secret.error` with the reason;
 * any other failure is `auth_secret.refresh_failed` with the consecutive attempt count.
 */
export async function recordRefreshOutcome(
  tx: Tx,
  before: SecretFacts['state'] | undefined,
  id: string,
  result: string,
): Promise<void> {
  const after = await factsOf(tx, id);
  if (!after) return;
  if (result === 'refreshed') {
    await record(tx, 'auth_secret.refreshed', after);
    await recordTransition(tx, before, after);
  } else if (before !== 'error' && after.state === 'error') {
    await recordTransition(tx, before, after);
  } else {
    await record(tx, 'auth_secret.refresh_failed', after, {
      attempts: after.failureCount,
      failure_kind: after.lastFailureKind ?? result,
    });
  }
}
