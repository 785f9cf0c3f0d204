import type { AuthSecret } from '../../generated/prisma/client.js';
import type { RelationshipSpec, ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';
import { type AuthSecretTags, tagsOf } from './auth-secret-store.js';
import { WITHHELD, type Withheld } from './credential-disclosure.js';
import { presentCredentials, type StoredCredentials } from './credentials.js';
import { secretEtag } from './etag.js';

type ShownColumns =
  | 'id'
  | 'tenantId'
  | 'workspaceId'
  | 'userId'
  | 'authClientId'
  | 'authType'
  | 'name'
  | 'state'
  | 'error'
  | 'description'
  | 'expiresAt'
  | 'refreshedAt'
  | 'createdAt'
  | 'updatedAt'
  // Not shown: only its ETag (etag.ts).
  | 'credentialsVersion';

export type AuthSecretView = Pick<AuthSecret, ShownColumns> & {
  tags: AuthSecretTags;
  /**
   * Opened credentials in their stored form; null when they could not be decrypted; WITHHELD when
   * the caller may not see them (credential-disclosure.ts), and then the member is left out.
   */
  credentials: StoredCredentials | null | Withheld;
  /** The instant `credentials.expires_in` is counted from (the write's own clock on create/patch). */
  readAt: Date;
  /** The strong ETag of the secret as read (API.md §9.3); the router sends it as a header. */
  etag: string;
};

export function toAuthSecretView(
  row: Pick<AuthSecret, ShownColumns | 'tags'>,
  credentials: StoredCredentials | null | Withheld,
  readAt: Date,
): AuthSecretView {
  return {
    id: row.id,
    tenantId: row.tenantId,
    workspaceId: row.workspaceId,
    userId: row.userId,
    authClientId: row.authClientId,
    authType: row.authType,
    name: row.name,
    state: row.state,
    error: row.error,
    description: row.description,
    tags: tagsOf(row),
    expiresAt: row.expiresAt,
    refreshedAt: row.refreshedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    credentialsVersion: row.credentialsVersion,
    credentials,
    readAt,
    // Computed only when a response for this one secret asks for it (never for list items).
    get etag() {
      return secretEtag(row);
    },
  };
}

export const authSecretSpec: ResourceSpec<AuthSecretView> = {
  type: 'auth-secret',
  id: (s) => s.id,
  attributes: (s) => ({
    name: s.name,
    state: s.state,
    error: s.error,
    description: s.description,
    tags: s.tags,
    ...(s.credentials === WITHHELD
      ? {}
      : {
          credentials: s.credentials
            ? presentCredentials(s.authType, s.credentials, s.expiresAt, s.readAt)
            : null,
        }),
    expires_at: rfc3339(s.expiresAt),
    refreshed_at: rfc3339(s.refreshedAt),
    created_at: rfc3339(s.createdAt),
    updated_at: rfc3339(s.updatedAt),
  }),
  selfPath: (s) => `/v2/workspaces/${s.workspaceId}/secrets/${s.id}`,
  relationships: {
    ...secretOwnerRelationships<AuthSecretView>(),
  },
};

/**
 * The relationships of anything that belongs to one user's credentials for one auth-client in a
 * workspace (auth-secrets, connect sessions): the same three links, built one way.
 */
export function secretOwnerRelationships<
  D extends { workspaceId: string; userId: string; tenantId: string; authClientId: string },
>(): Record<'workspace' | 'user' | 'auth-client', RelationshipSpec<D>> {
  return {
    workspace: {
      type: 'workspace',
      id: (s) => s.workspaceId,
      relatedPath: (s) => `/v2/workspaces/${s.workspaceId}`,
    },
    user: { type: 'user', id: (s) => s.userId, relatedPath: (s) => `/v2/users/${s.userId}` },
    'auth-client': {
      type: 'auth-client',
      id: (s) => s.authClientId,
      relatedPath: (s) => `/v2/tenants/${s.tenantId}/auth-clients/${s.authClientId}`,
    },
  };
}
