// Machine-to-machine secrets (API.md §10.3): for an auth-client with the client_credentials grant,
// the service obtains the token itself when the secret is created. Renewals go through the
// refresh service like every other (refresh-service.ts picks the grant from the client).
import type { KeyRing } from '../crypto/key-ring.js';
import { ApiError, notFound } from '../errors/api-error.js';
import type { AuthClientReader } from '../modules/auth-clients/auth-client-reader.js';
import { toExtraParams } from '../modules/auth-clients/extra-params.js';
import type { CheckedCredentials } from '../modules/auth-secrets/credentials.js';
import { clientAuthOf } from './client-auth.js';
import type { ProviderClient } from './provider-client.js';
import { ProviderError, providerApiError } from './provider-error.js';

/** Obtains a first token for a new secret of client `authClientId`; nothing is stored here. */
export type ClientCredentialsIssuer = (tenantId: string, authClientId: string) => Promise<CheckedCredentials>;

export function createClientCredentialsIssuer(deps: {
  clients: AuthClientReader;
  provider: ProviderClient;
  keyRing: KeyRing;
}): ClientCredentialsIssuer {
  return async (tenantId, authClientId) => {
    const client = await deps.clients.forRefresh(tenantId, authClientId);
    if (!client) throw notFound('auth-client');
    try {
      if (!client.tokenUrl) {
        throw new ProviderError('invalid_response', 'The auth-client has no complete oauth2 configuration.');
      }
      const tokens = await deps.provider.clientCredentials({
        ...clientAuthOf(deps.keyRing, client),
        tokenUrl: client.tokenUrl,
        scopes: client.scopes,
        params: toExtraParams(client.tokenParams),
        defaultExpiresIn: client.defaultExpiresIn,
      });
      // No refresh token: a client-credentials token is renewed by asking again (RFC 6749 §4.4.3).
      return { stored: { access_token: tokens.accessToken }, expiresAt: tokens.expiresAt };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      // API.md §10.3: a provider failure at create is a 502/504, and nothing is stored.
      if (err.kind !== 'rejected') throw providerApiError(err.kind, err.detail);
      throw new ApiError({
        status: 502,
        code: 'oauth_provider_rejected',
        title: 'OAuth provider refused the client',
        detail: `The OAuth provider refused the client credentials (${err.detail}). Nothing was stored; check the auth-client's client_id, client_secret, auth_method and token_params.`,
      });
    }
  };
}
