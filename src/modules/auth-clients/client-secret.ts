// The one place an auth-client's client_secret is sealed and opened (AES-256-GCM envelope bound to
// the client's row, see src/crypto). The API only ever seals; the refresher opens.
import { authClientAad } from '../../crypto/aad.js';
import { open, seal } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';

export interface ClientRowIds {
  id: string;
  tenantId: string;
}

export function sealClientSecret(ring: KeyRing, client: ClientRowIds, secret: string): Buffer<ArrayBuffer> {
  return seal(ring, secret, authClientAad(client));
}

/** Throws DecryptionError (never with the secret in it) when the value cannot be opened. */
export function openClientSecret(ring: KeyRing, client: ClientRowIds, sealed: Uint8Array): string {
  return open(ring, sealed, authClientAad(client)).toString('utf8');
}
