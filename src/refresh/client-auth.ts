// How an auth-client authenticates at its provider, with its client secret opened: the one place
// every provider call (refresh, client credentials, revocation) gets it from.
import type { KeyRing } from '../crypto/key-ring.js';
import type { RefreshClient } from '../modules/auth-clients/auth-client-reader.js';
import { openClientSecret } from '../modules/auth-clients/client-secret.js';
import type { ClientAuthentication } from './provider-client.js';
import { ProviderError } from './provider-error.js';

/** Throws ProviderError `invalid_response` when the client lacks what its auth method needs. */
export function clientAuthOf(keyRing: KeyRing, client: RefreshClient): ClientAuthentication {
  const authMethod = client.authMethod ?? 'client_secret_basic';
  // A public client (API.md §10.1) sends its client_id only: no secret is needed or opened.
  const needsSecret = authMethod !== 'none';
  if (!client.clientId || (needsSecret && !client.clientSecretSealed)) {
    throw new ProviderError('invalid_response', 'The auth-client has no complete oauth2 configuration.');
  }
  return {
    clientId: client.clientId,
    clientSecret:
      needsSecret && client.clientSecretSealed
        ? openClientSecret(keyRing, client, client.clientSecretSealed)
        : '',
    authMethod,
  };
}
