// The one place a connect session's PKCE verifier is sealed and opened: AES-256-GCM envelope bound
// to the session's row (src/crypto). The verifier is what makes a stolen authorization code useless
// to anyone but this service, so it is never stored in plain text.
import { type ConnectSessionAadParts, connectSessionAad } from '../../crypto/aad.js';
import { open, seal } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';

export function sealCodeVerifier(ring: KeyRing, session: ConnectSessionAadParts, verifier: string) {
  return seal(ring, verifier, connectSessionAad(session));
}

/** Throws DecryptionError (never with the verifier in it) when the value cannot be opened. */
export function openCodeVerifier(
  ring: KeyRing,
  session: ConnectSessionAadParts & { codeVerifierSealed: Uint8Array },
): string {
  return open(ring, session.codeVerifierSealed, connectSessionAad(session)).toString('utf8');
}
