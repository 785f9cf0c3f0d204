import type { ApiKey } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';

/** `token` is present only on the object returned by create: the key is shown once. */
export type ApiKeyView = ApiKey & { token?: string };

export const apiKeySpec: ResourceSpec<ApiKeyView> = {
  type: 'api-key',
  id: (k) => k.id,
  attributes: (k) => ({
    name: k.name,
    scopes: k.scoped ? k.scopes : null,
    expires_at: rfc3339(k.expiresAt),
    revoked_at: rfc3339(k.revokedAt),
    ...(k.token ? { key: k.token } : {}),
    created_at: rfc3339(k.createdAt),
    updated_at: rfc3339(k.updatedAt),
  }),
  selfPath: (k) => `/v2/users/${k.userId}/api-keys/${k.id}`,
  relationships: {
    user: { type: 'user', id: (k) => k.userId, relatedPath: (k) => `/v2/users/${k.userId}` },
  },
};
