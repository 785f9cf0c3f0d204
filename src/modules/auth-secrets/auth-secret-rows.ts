// Pieces the auth-secret reads and writes share: opening a row's credentials (an unreadable
// ciphertext is logged without secrets and becomes a clear error) and resolving the auth-client a
// request names, within the workspace's tenant.
import type { Logger } from 'pino';
import { DecryptionError } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { isMissingKey, missingKeyReporter } from '../../crypto/missing-key.js';
import { ApiError } from '../../errors/api-error.js';
import type { AuthSecret, Prisma } from '../../generated/prisma/client.js';
import { authClientReader, type SecretClient } from '../auth-clients/auth-client-reader.js';
import { openCredentials, type StoredCredentials } from './credentials.js';

/** A to-one relationship read from the request, with the pointer errors about it should name. */
export interface RelationshipRef {
  id: string;
  pointer: string;
}

/**
 * A stored ciphertext that does not open. Two cases (docs/API-DECISIONS.md):
 *   - sealed with a key this process does not have (`unknown_key`): the deployment's key
 *     configuration is incomplete, e.g. a key rotation that skipped the decrypt-only step on this
 *     process. Not a bug: 503, naming the key id (never key material), with Retry-After since
 *     another process, or this one once reconfigured, can read it;
 *   - anything else (a value that does not belong to its row, or was altered): an integrity
 *     failure, 500.
 * Either way nothing was changed, and no secret is in the error.
 */
export const credentialsUnreadable = (err?: unknown) =>
  isMissingKey(err)
    ? new ApiError(
        {
          status: 503,
          code: 'credentials_unreadable',
          title: 'Credentials unreadable',
          detail:
            `The stored credentials of this auth-secret were sealed with encryption key "${err.keyId}", ` +
            'which this server process does not have in ENCRYPTION_KEYS (a key rotation in progress ' +
            'that did not add the key as decrypt-only everywhere first). Nothing was changed. Retry ' +
            `later; an operator must add key "${err.keyId}" to ENCRYPTION_KEYS of every process.`,
        },
        { 'Retry-After': '5' },
      )
    : new ApiError({
        status: 500,
        code: 'credentials_unreadable',
        title: 'Credentials unreadable',
        detail:
          'The stored credentials of this auth-secret cannot be decrypted (the key that sealed them is not ' +
          'configured, or the stored value does not belong to this auth-secret). Nothing was changed. ' +
          'An operator must restore the key; or replace the credentials with PATCH.',
      });

export const authClientNotFound = (pointer: string) =>
  new ApiError({
    status: 404,
    code: 'not_found',
    title: 'Not found',
    detail: 'The auth-client does not exist in this tenant.',
    source: { pointer },
  });

export function createCredentialOpener(keyRing: KeyRing, logger: Logger) {
  const reportMissingKey = missingKeyReporter(logger);

  /** The credentials, or the DecryptionError (logged without any secret) when they cannot be opened. */
  function open(row: AuthSecret): { credentials: StoredCredentials } | { error: DecryptionError } {
    try {
      return { credentials: openCredentials(keyRing, row) };
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      const fields = { authSecretId: row.id, workspaceId: row.workspaceId };
      // Every read of every secret sealed with a missing key meets it: logged at a bounded rate.
      if (isMissingKey(err)) reportMissingKey(err, fields, 'auth-secret credentials cannot be decrypted');
      else
        logger.error(
          { ...fields, keyId: err.keyId, reason: err.code },
          'auth-secret credentials cannot be decrypted',
        );
      return { error: err };
    }
  }

  return {
    /** The opened credentials, or null when they cannot be decrypted (logged). */
    tryOpen(row: AuthSecret): StoredCredentials | null {
      const opened = open(row);
      return 'credentials' in opened ? opened.credentials : null;
    },
    /** Throws credentials_unreadable (503 for a missing key, else 500) when they cannot be decrypted. */
    openOrFail(row: AuthSecret): StoredCredentials {
      const opened = open(row);
      if ('error' in opened) throw credentialsUnreadable(opened.error);
      return opened.credentials;
    },
  };
}

export type CredentialOpener = ReturnType<typeof createCredentialOpener>;

/** The auth-client `ref` names, if it belongs to `tenantId`; else 404 pointing at the relationship. */
export async function findAuthClient(
  db: Prisma.TransactionClient,
  tenantId: string,
  ref: RelationshipRef,
): Promise<SecretClient> {
  const client = await authClientReader(db).typeOf(tenantId, ref.id);
  if (!client) throw authClientNotFound(ref.pointer);
  return client;
}
