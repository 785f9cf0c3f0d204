// PATCH of an auth-secret: partial update under a row lock. Changing the auth-client re-validates
// the credentials against the new client's type and credentials schema (docs/API-DECISIONS.md,
// "Auth-secrets" and "Credential schemas").
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
import type { CallerWorkspace, WorkspaceScope } from '../../permissions/access-policy.js';
import { type AuditActor, recordAuditEvent } from '../audit-events/audit-recorder.js';
import type { SecretClient } from '../auth-clients/auth-client-reader.js';
import type { CredentialSchemas, CredentialsValidator } from '../credential-schemas/credential-schemas.js';
import {
  authClientNotFound,
  type CredentialOpener,
  findAuthClient,
  type RelationshipRef,
} from './auth-secret-rows.js';
import { type AuthSecretView, toAuthSecretView } from './auth-secret-serializer.js';
import type { AuthSecretTags, AuthSecretWrites, WithTags } from './auth-secret-store.js';
import {
  type CheckedCredentials,
  CREDENTIALS_POINTER,
  checkCredentials,
  presentCredentials,
  type StoredCredentials,
  sealCredentials,
} from './credentials.js';
import { assertIfMatch, type IfMatch } from './etag.js';
import { sealVersionCredentials } from './versions/version-credentials.js';

/** Another write that must commit with the secret's, in its transaction (a connect session's completion). */
export type SecretWriteHook = (tx: Prisma.TransactionClient, authSecretId: string) => Promise<void>;

export interface UpdateAuthSecretInput {
  name?: string;
  state?: SecretState;
  error?: string | null;
  description?: string | null;
  /** Replaces the tags as a whole (API.md §8.2). */
  tags?: AuthSecretTags;
  credentials?: unknown;
  authClient?: RelationshipRef;
  /** Runs in the transaction that writes the secret, after its audit event. */
  alsoWrite?: SecretWriteHook;
  /** With `credentials` from a provider: their expiry as it gave it (see CreateAuthSecretInput). */
  expiresAt?: Date | null;
}

interface UpdaterDependencies {
  prisma: PrismaClient;
  store: AuthSecretWrites;
  keyRing: KeyRing;
  schemas: SchemaRegistry;
  credentialSchemas: CredentialSchemas;
  opener: CredentialOpener;
}

export function createAuthSecretUpdater({
  prisma,
  store,
  keyRing,
  schemas,
  credentialSchemas,
  opener,
}: UpdaterDependencies) {
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
    clientSchema: CredentialsValidator | undefined,
  ) {
    try {
      const shown = presentCredentials(row.authType, stored, row.expiresAt, now);
      return checkCredentials(schemas, to, shown, now, { clientSchema });
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
    ifMatch: IfMatch | undefined,
  ): Promise<AuthSecretView> {
    // Row lock: a concurrent PATCH cannot interleave its credentials or client change with ours,
    // and If-Match is checked against the row exactly as this write finds it (412 otherwise).
    const row = await store.lockInWorkspace(tx, workspace.id, id);
    if (!row) throw notFound('auth-secret');
    assertIfMatch(ifMatch, row);

    const changeClient =
      input.authClient && input.authClient.id !== row.authClientId ? input.authClient : undefined;
    // The credentials schema of an `other` client matters whenever credentials are checked: new ones
    // sent, or the client changes. It is read in this transaction, so it is the schema as of this write.
    const client: SecretClient = changeClient
      ? await findAuthClient(tx, workspace.tenantId, changeClient)
      : input.credentials !== undefined && row.authType === 'other'
        ? await findAuthClient(tx, workspace.tenantId, { id: row.authClientId, pointer: CREDENTIALS_POINTER })
        : { id: row.authClientId, authType: row.authType, credentialsSchema: null };
    const clientSchema = credentialSchemas.validatorFor(client.credentialsSchema);

    let stored: StoredCredentials;
    let checked: CheckedCredentials | undefined;
    if (input.credentials !== undefined) {
      checked = checkCredentials(schemas, client.authType, input.credentials, now, { clientSchema });
      stored = checked.stored;
    } else {
      // Also needed for the response: an unreadable secret fails here, before anything changes.
      stored = opener.openOrFail(row);
      if (changeClient && client.authType !== row.authType) {
        checked = convert(row, stored, client.authType, changeClient, now, clientSchema);
        stored = checked.stored;
      } else if (changeClient && clientSchema) {
        // other → other: the stored credentials must fit the new client's schema. Each violation
        // points inside /data/attributes/credentials, as if they had been sent (docs/API-DECISIONS.md).
        checkCredentials(schemas, client.authType, stored, now, { clientSchema });
      }
    }

    const data: WithTags<Prisma.AuthSecretUncheckedUpdateInput> = {};
    if (checked) {
      data.credentialsSealed = sealCredentials(keyRing, row, checked.stored);
      data.expiresAt = input.expiresAt !== undefined ? input.expiresAt : checked.expiresAt;
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
    if (input.description !== undefined) data.description = input.description;
    if (input.tags !== undefined) data.tags = input.tags;
    if (Object.keys(data).length === 0) {
      await input.alsoWrite?.(tx, row.id);
      return toAuthSecretView(row, stored, now);
    }
    if (checked || input.state !== undefined) {
      // New credentials or a state set by hand start the refresher's failure policy afresh.
      data.failureCount = 0;
      data.nextAttemptAt = null;
    }
    const updated = await store.update(tx, row.id, data);
    if (checked) {
      // Every write of new credentials is a version (API.md §9.1), committed with it.
      await store.recordVersion(tx, {
        secret: updated,
        number: updated.credentialsVersion,
        cause: 'update',
        userId: actor.userId,
        authType: updated.authType,
        credentialsSealed: sealVersionCredentials(keyRing, row, updated.credentialsVersion, checked.stored),
        expiresAt: updated.expiresAt,
        createdAt: updated.updatedAt,
      });
    }
    await recordAuditEvent(tx, actor, {
      action: 'auth_secret.update',
      resourceType: 'auth-secret',
      resourceId: row.id,
      workspaceId: workspace.id,
      // Member names only: which parts changed, never their values.
      details: {
        changed: Object.keys(input)
          .filter((k) => k !== 'alsoWrite' && k !== 'expiresAt')
          .map((k) => (k === 'authClient' ? 'auth-client' : k))
          .sort(),
      },
    });
    await input.alsoWrite?.(tx, row.id);
    return toAuthSecretView(updated, stored, now);
  }

  return async function update(
    workspace: CallerWorkspace,
    id: string,
    input: UpdateAuthSecretInput,
    actor: AuditActor,
    options: { ifMatch?: IfMatch | undefined; now?: Date } = {},
  ): Promise<AuthSecretView> {
    if (!isUuid(id)) throw notFound('auth-secret');
    const now = options.now ?? new Date();
    try {
      return await prisma.$transaction((tx) => apply(tx, workspace, id, input, actor, now, options.ifMatch));
    } catch (err) {
      // The new auth-client was deleted between our read and the update.
      if (isForeignKeyViolation(err) && input.authClient) throw authClientNotFound(input.authClient.pointer);
      throw err;
    }
  };
}
