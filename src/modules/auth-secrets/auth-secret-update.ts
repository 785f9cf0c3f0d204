// PATCH of an auth-secret: partial update under a row lock. Changing the auth-client re-validates
// the credentials against the new client's type (docs/API-DECISIONS.md, "Auth-secrets").
import type { KeyRing } from '../../crypto/key-ring.js';
import { isForeignKeyViolation } from '../../db/prisma-errors.js';
import { isUuid } from '../../db/uuid7.js';
import { ApiError, notFound, unprocessable } from '../../errors/api-error.js';
import type {
  AuthSecret,
  AuthType,
  Prisma,
  PrismaClient,
  SecretState,
} from '../../generated/prisma/client.js';
import type { SchemaRegistry } from '../../http/validation/schema-registry.js';
import type { WorkspaceScope } from '../../permissions/access-policy.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import { recordSecretUpdated } from '../webhooks/auth-secret-events.js';
import {
  authClientNotFound,
  type CredentialOpener,
  findAuthClient,
  type RelationshipRef,
} from './auth-secret-rows.js';
import { type AuthSecretView, toAuthSecretView } from './auth-secret-serializer.js';
import type { AuthSecretWrites } from './auth-secret-store.js';
import {
  type CheckedCredentials,
  checkCredentials,
  presentCredentials,
  type StoredCredentials,
  sealCredentials,
} from './credentials.js';

export interface UpdateAuthSecretInput {
  name?: string;
  state?: SecretState;
  error?: string | null;
  credentials?: unknown;
  authClient?: RelationshipRef;
}

interface UpdaterDependencies {
  prisma: PrismaClient;
  store: AuthSecretWrites;
  keyRing: KeyRing;
  schemas: SchemaRegistry;
  opener: CredentialOpener;
}

export function createAuthSecretUpdater({ prisma, store, keyRing, schemas, opener }: UpdaterDependencies) {
  /**
   * The auth-client's type changes and no new credentials are sent: the current credentials (as
   * the API shows them) must fit the new type; they are then stored in its form.
   */
  function convert(
    row: AuthSecret,
    stored: StoredCredentials,
    to: AuthType,
    ref: RelationshipRef,
    now: Date,
  ) {
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

  async function apply(
    tx: Prisma.TransactionClient,
    workspace: WorkspaceScope,
    id: string,
    input: UpdateAuthSecretInput,
    actor: AuditActor,
    now: Date,
  ): Promise<AuthSecretView> {
    // Row lock: a concurrent PATCH cannot interleave its credentials or client change with ours.
    const row = await store.lockInWorkspace(tx, workspace.id, id);
    if (!row) throw notFound('auth-secret');

    const changeClient =
      input.authClient && input.authClient.id !== row.authClientId ? input.authClient : undefined;
    const client = changeClient
      ? await findAuthClient(tx, workspace.tenantId, changeClient)
      : { id: row.authClientId, authType: row.authType };

    let stored: StoredCredentials;
    let checked: CheckedCredentials | undefined;
    if (input.credentials !== undefined) {
      checked = checkCredentials(schemas, client.authType, input.credentials, now);
      stored = checked.stored;
    } else {
      // Also needed for the response: an unreadable secret fails here, before anything changes.
      stored = opener.openOrFail(row);
      if (changeClient && client.authType !== row.authType) {
        checked = convert(row, stored, client.authType, changeClient, now);
        stored = checked.stored;
      }
    }

    const data: Prisma.AuthSecretUncheckedUpdateInput = {};
    if (checked) {
      data.credentialsSealed = sealCredentials(keyRing, row, checked.stored);
      data.expiresAt = checked.expiresAt;
      // New credentials from the caller: a refresh running now must not overwrite them with tokens
      // renewed from the old ones (refresh-store.ts). Nothing else a PATCH changes counts.
      data.credentialsVersion = { increment: 1 };
    }
    if (changeClient) {
      data.authClientId = client.id;
      data.authType = client.authType;
    }
    if (input.name !== undefined) data.name = input.name;
    if (input.state !== undefined) data.state = input.state;
    if (input.error !== undefined) data.error = input.error;
    if (Object.keys(data).length === 0) return toAuthSecretView(row, stored, now);
    if (checked || input.state !== undefined) {
      // New credentials or a state set by hand start the refresher's failure policy afresh.
      data.failureCount = 0;
      data.nextAttemptAt = null;
    }
    const updated = await store.update(tx, row.id, data);
    await recordSecretUpdated(tx, row, updated);
    await recordAuditEvent(tx, actor, {
      action: 'auth_secret.update',
      resourceType: 'auth-secret',
      resourceId: row.id,
      workspaceId: workspace.id,
      // Member names only: which parts changed, never their values.
      details: {
        changed: Object.keys(input)
          .map((k) => (k === 'authClient' ? 'auth-client' : k))
          .sort(),
      },
    });
    return toAuthSecretView(updated, stored, now);
  }

  return async function update(
    workspace: WorkspaceScope,
    id: string,
    input: UpdateAuthSecretInput,
    actor: AuditActor,
    now = new Date(),
  ): Promise<AuthSecretView> {
    if (!isUuid(id)) throw notFound('auth-secret');
    try {
      return await prisma.$transaction((tx) => apply(tx, workspace, id, input, actor, now));
    } catch (err) {
      // The new auth-client was deleted between our read and the update.
      if (isForeignKeyViolation(err) && input.authClient) throw authClientNotFound(input.authClient.pointer);
      throw err;
    }
  };
}
