import type { AuthClient } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';
import { toExtraParams } from './extra-params.js';
import { redirectUriFor } from './oauth-callback.js';

/** An auth-client as the API may show it: the sealed client secret is not part of it. */
export type AuthClientView = Omit<AuthClient, 'clientSecretSealed'> & { clientSecretSet: boolean };

export function toAuthClientView(row: AuthClient): AuthClientView {
  const { clientSecretSealed, ...rest } = row;
  return { ...rest, clientSecretSet: clientSecretSealed !== null };
}

export const authClientSpec: ResourceSpec<AuthClientView> = {
  type: 'auth-client',
  id: (c) => c.id,
  attributes: (c, links) => ({
    name: c.name,
    auth_type: c.authType,
    // client_secret is write-only: responses only say whether one is set.
    oauth2:
      c.authType === 'oauth2'
        ? {
            client_id: c.clientId,
            client_secret_set: c.clientSecretSet,
            token_url: c.tokenUrl,
            authorize_url: c.authorizeUrl,
            scopes: c.scopes,
            auth_method: c.authMethod,
            grant_type: c.grantType,
            authorize_params: toExtraParams(c.authorizeParams),
            token_params: toExtraParams(c.tokenParams),
            refresh_params: toExtraParams(c.refreshParams),
            default_expires_in: c.defaultExpiresIn,
            refresh_margin_seconds: c.refreshMarginSeconds,
            refresh_every_seconds: c.refreshEverySeconds,
            revocation_url: c.revocationUrl,
            // Read-only: where the provider sends users back; register it at the provider.
            redirect_uri: redirectUriFor(links),
          }
        : null,
    // `other` clients only (API.md §8.3): a built-in's name, the inline schema, or null (any object).
    credentials_schema: c.authType === 'other' ? (c.credentialsSchema ?? null) : null,
    created_at: rfc3339(c.createdAt),
    updated_at: rfc3339(c.updatedAt),
  }),
  selfPath: (c) => `/v2/tenants/${c.tenantId}/auth-clients/${c.id}`,
  relationships: {
    tenant: { type: 'tenant', id: (c) => c.tenantId, relatedPath: (c) => `/v2/tenants/${c.tenantId}` },
  },
};
