import type { ConnectSession, ConnectSessionStatus } from '../../generated/prisma/client.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { rfc3339 } from '../../http/jsonapi/timestamps.js';
import { secretOwnerRelationships } from '../auth-secrets/auth-secret-serializer.js';

/** What a poller reads once a pending session's time is up and no callback came (nothing is written). */
export const EXPIRED_ERROR = 'The connect session expired before the provider sent the user back.';

type ShownColumns =
  | 'id'
  | 'tenantId'
  | 'workspaceId'
  | 'userId'
  | 'authClientId'
  | 'authSecretId'
  | 'name'
  | 'scopes'
  | 'returnUrl'
  | 'error'
  | 'expiresAt'
  | 'createdAt'
  | 'updatedAt';

export type ConnectSessionView = Pick<ConnectSession, ShownColumns> & {
  status: ConnectSessionStatus;
  /** Only in the response to the create: the state in it exists nowhere else (shown once). */
  authorizeUrl?: string;
};

/**
 * A session as clients see it at `at`: a pending one whose time ran out is `failed` (the callback
 * would refuse its state), so a poller always reaches an end.
 */
export function toConnectSessionView(
  row: ConnectSession,
  at: Date,
  authorizeUrl?: string,
): ConnectSessionView {
  const expired = row.status === 'pending' && row.expiresAt.getTime() <= at.getTime();
  return {
    id: row.id,
    tenantId: row.tenantId,
    workspaceId: row.workspaceId,
    userId: row.userId,
    authClientId: row.authClientId,
    authSecretId: row.authSecretId,
    name: row.name,
    scopes: row.scopes,
    returnUrl: row.returnUrl,
    status: expired ? 'failed' : row.status,
    error: expired ? EXPIRED_ERROR : row.error,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(authorizeUrl ? { authorizeUrl } : {}),
  };
}

export const connectSessionSpec: ResourceSpec<ConnectSessionView> = {
  type: 'connect-session',
  id: (s) => s.id,
  attributes: (s) => ({
    name: s.name,
    status: s.status,
    error: s.error,
    scopes: s.scopes,
    return_url: s.returnUrl,
    ...(s.authorizeUrl ? { authorize_url: s.authorizeUrl } : {}),
    expires_at: rfc3339(s.expiresAt),
    created_at: rfc3339(s.createdAt),
    updated_at: rfc3339(s.updatedAt),
  }),
  selfPath: (s) => `/v2/workspaces/${s.workspaceId}/connect-sessions/${s.id}`,
  relationships: {
    ...secretOwnerRelationships<ConnectSessionView>(),
    // The secret to re-authorize, or the one the callback created; null until there is one.
    'auth-secret': {
      type: 'auth-secret',
      id: (s) => s.authSecretId,
      relatedPath: (s) =>
        s.authSecretId
          ? `/v2/workspaces/${s.workspaceId}/secrets/${s.authSecretId}`
          : `/v2/workspaces/${s.workspaceId}/connect-sessions/${s.id}`,
    },
  },
};
