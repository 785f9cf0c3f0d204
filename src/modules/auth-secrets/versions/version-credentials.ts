// Sealing and opening the credentials of a version: the same stored form and envelope as the
// secret's own credentials (../credentials.ts), bound to (secret, number) instead of the row, so a
// version cannot be opened as another version, another secret or the live credentials.
import { type AuthSecretAadParts, authSecretVersionAad } from '../../../crypto/aad.js';
import { DecryptionError, open, seal } from '../../../crypto/envelope.js';
import type { KeyRing } from '../../../crypto/key-ring.js';
import type { StoredCredentials } from '../credentials.js';

export function sealVersionCredentials(
  ring: KeyRing,
  secret: AuthSecretAadParts,
  number: number,
  stored: StoredCredentials,
): Buffer<ArrayBuffer> {
  return seal(ring, JSON.stringify(stored), authSecretVersionAad(secret, number));
}

/** Throws DecryptionError (never carrying plaintext) when the version cannot be opened or parsed. */
export function openVersionCredentials(
  ring: KeyRing,
  secret: AuthSecretAadParts,
  version: { number: number; credentialsSealed: Uint8Array },
): StoredCredentials {
  const plaintext = open(ring, version.credentialsSealed, authSecretVersionAad(secret, version.number));
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    parsed = undefined;
  } finally {
    plaintext.fill(0);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecryptionError('malformed', 'Decrypted version credentials are not a JSON object');
  }
  return parsed as StoredCredentials;
}
