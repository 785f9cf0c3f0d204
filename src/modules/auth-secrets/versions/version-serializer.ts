// The `auth-secret-version` resource (API.md §9.1): metadata always, `credentials` only on a read
// of one version by a caller who may see them (the list never carries any).
import type { AuthType } from '../../../generated/prisma/client.js';
import type { ResourceSpec } from '../../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../../http/jsonapi/timestamps.js';
import { presentCredentials, type StoredCredentials } from '../credentials.js';
import type { VersionRow } from './version-store.js';

export interface VersionView {
  secretId: string;
  workspaceId: string;
  number: number;
  cause: VersionRow['cause'];
  userId: string | null;
  authType: AuthType;
  expiresAt: Date | null;
  createdAt: Date;
  /** Opened credentials; undefined when the response must not carry them. */
  credentials?: StoredCredentials | undefined;
  /** The instant `credentials.expires_in` is counted from. */
  readAt: Date;
}

export function toVersionView(
  secret: { id: string; workspaceId: string },
  row: VersionRow,
  readAt: Date,
  credentials?: StoredCredentials,
): VersionView {
  return {
    secretId: secret.id,
    workspaceId: secret.workspaceId,
    number: row.number,
    cause: row.cause,
    userId: row.userId,
    authType: row.authType,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    credentials,
    readAt,
  };
}

const secretPath = (v: VersionView) => `/v2/workspaces/${v.workspaceId}/secrets/${v.secretId}`;

export const versionSpec: ResourceSpec<VersionView> = {
  type: 'auth-secret-version',
  id: (v) => `${v.secretId}:${v.number}`,
  attributes: (v) => ({
    number: v.number,
    cause: v.cause,
    ...(v.credentials
      ? { credentials: presentCredentials(v.authType, v.credentials, v.expiresAt, v.readAt) }
      : {}),
    expires_at: rfc3339(v.expiresAt),
    created_at: rfc3339(v.createdAt),
    // A version never changes after it is written (API.md §1 asks for updated_at on every resource).
    updated_at: rfc3339(v.createdAt),
  }),
  selfPath: (v) => `${secretPath(v)}/versions/${v.number}`,
  relationships: {
    'auth-secret': { type: 'auth-secret', id: (v) => v.secretId, relatedPath: secretPath },
    user: { type: 'user', id: (v) => v.userId, relatedPath: (v) => `/v2/users/${v.userId}` },
  },
};
