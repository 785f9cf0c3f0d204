// A secret in the trash (API.md §9.2): type auth-secret, metadata only (never credentials), with
// `deleted_at`, and links into the trash rather than to the live collection.
import type { ResourceSpec } from '../../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../../http/jsonapi/timestamps.js';
import { authSecretSpec } from '../auth-secret-serializer.js';
import type { TrashedSecret } from './trash-service.js';

export const trashedSecretSpec: ResourceSpec<TrashedSecret> = {
  type: 'auth-secret',
  id: (s) => s.id,
  attributes: (s) => ({
    name: s.name,
    state: s.state,
    error: s.error,
    expires_at: rfc3339(s.expiresAt),
    refreshed_at: rfc3339(s.refreshedAt),
    created_at: rfc3339(s.createdAt),
    updated_at: rfc3339(s.updatedAt),
    deleted_at: rfc3339(s.deletedAt),
  }),
  selfPath: (s) => `/v2/workspaces/${s.workspaceId}/deleted-secrets/${s.id}`,
  // The same relationships as a live secret (workspace, user, auth-client): the row holds the same ids.
  relationships: authSecretSpec.relationships as unknown as ResourceSpec<TrashedSecret>['relationships'],
};
