// The auth-secret routes' rows of the permission matrix (API.md §2/§4): the status each kind of
// caller gets on each route. auth-secrets-permissions.test.ts runs them; the route-table coverage
// check in test/tenancy/permission-matrix.test.ts counts them. Refresh has its own tests.
import { secretDocument } from '../support/factories.js';
import type { MatrixRow } from '../support/permission-matrix.js';

export const CALLERS = [
  'owner',
  'editor',
  'connector',
  'viewer',
  'tenant admin (no membership)',
  'tenant member without membership',
  "another tenant's admin",
  'editor with a key scoped to auth_secret.get',
] as const;
export type Caller = (typeof CALLERS)[number];

export interface SecretCase {
  workspaceId: string;
  /** A fresh secret of the workspace, so that delete and patch act on something that exists. */
  secretId: string;
  clientId: string;
}

export interface SecretRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface SecretRow extends MatrixRow<Caller, SecretCase, SecretRequest> {
  variant:
    | 'list'
    | 'get'
    | 'create'
    | 'patch'
    | 'delete'
    | 'list versions'
    | 'get version'
    | 'restore version'
    | 'list trash'
    | 'get trashed'
    | 'restore trashed'
    | 'purge trashed';
  /** The case's secret is moved to the trash (by its workspace's owner) before the request. */
  trashed?: true;
}

/** Statuses in the order of CALLERS; 404 means the workspace is invisible to the caller. */
function statuses(...list: number[]): Record<Caller, number> {
  if (list.length !== CALLERS.length) throw new Error('one status per caller');
  return Object.fromEntries(CALLERS.map((c, i) => [c, list[i]])) as Record<Caller, number>;
}

// Columns:                                                 owner editor conn viewer admin member other scoped
export const AUTH_SECRET_ROWS: SecretRow[] = [
  {
    route: 'GET /v2/workspaces/:workspace/secrets',
    variant: 'list',
    expected: statuses(200, 200, 200, 200, 200, 404, 404, 200),
    prepare: (c) => ({ method: 'GET', path: `/v2/workspaces/${c.workspaceId}/secrets` }),
  },
  {
    route: 'GET /v2/workspaces/:workspace/secrets/:id',
    variant: 'get',
    expected: statuses(200, 200, 200, 200, 200, 404, 404, 200),
    prepare: (c) => ({ method: 'GET', path: `/v2/workspaces/${c.workspaceId}/secrets/${c.secretId}` }),
  },
  {
    route: 'POST /v2/workspaces/:workspace/secrets',
    variant: 'create',
    expected: statuses(201, 201, 403, 403, 201, 404, 404, 403),
    prepare: (c) => ({
      method: 'POST',
      path: `/v2/workspaces/${c.workspaceId}/secrets`,
      body: secretDocument(c.clientId),
    }),
  },
  {
    route: 'PATCH /v2/workspaces/:workspace/secrets/:id',
    variant: 'patch',
    expected: statuses(200, 200, 403, 403, 200, 404, 404, 403),
    prepare: (c) => ({
      method: 'PATCH',
      path: `/v2/workspaces/${c.workspaceId}/secrets/${c.secretId}`,
      body: { data: { type: 'auth-secret', id: c.secretId, attributes: { name: 'renamed' } } },
    }),
  },
  {
    route: 'DELETE /v2/workspaces/:workspace/secrets/:id',
    variant: 'delete',
    expected: statuses(204, 204, 403, 403, 204, 404, 404, 403),
    prepare: (c) => ({ method: 'DELETE', path: `/v2/workspaces/${c.workspaceId}/secrets/${c.secretId}` }),
  },
  // Secret history (API.md §9): versions read like the secret, restored like a PATCH; the trash is
  // read like the secrets and changed (restore, purge) like a DELETE.
  {
    route: 'GET /v2/workspaces/:workspace/secrets/:id/versions',
    variant: 'list versions',
    expected: statuses(200, 200, 200, 200, 200, 404, 404, 200),
    prepare: (c) => ({
      method: 'GET',
      path: `/v2/workspaces/${c.workspaceId}/secrets/${c.secretId}/versions`,
    }),
  },
  {
    route: 'GET /v2/workspaces/:workspace/secrets/:id/versions/:number',
    variant: 'get version',
    expected: statuses(200, 200, 200, 200, 200, 404, 404, 200),
    prepare: (c) => ({
      method: 'GET',
      path: `/v2/workspaces/${c.workspaceId}/secrets/${c.secretId}/versions/1`,
    }),
  },
  {
    route: 'POST /v2/workspaces/:workspace/secrets/:id/versions/:number/restore',
    variant: 'restore version',
    expected: statuses(200, 200, 403, 403, 200, 404, 404, 403),
    prepare: (c) => ({
      method: 'POST',
      path: `/v2/workspaces/${c.workspaceId}/secrets/${c.secretId}/versions/1/restore`,
    }),
  },
  {
    route: 'GET /v2/workspaces/:workspace/deleted-secrets',
    variant: 'list trash',
    trashed: true,
    expected: statuses(200, 200, 200, 200, 200, 404, 404, 200),
    prepare: (c) => ({ method: 'GET', path: `/v2/workspaces/${c.workspaceId}/deleted-secrets` }),
  },
  {
    route: 'GET /v2/workspaces/:workspace/deleted-secrets/:id',
    variant: 'get trashed',
    trashed: true,
    expected: statuses(200, 200, 200, 200, 200, 404, 404, 200),
    prepare: (c) => ({
      method: 'GET',
      path: `/v2/workspaces/${c.workspaceId}/deleted-secrets/${c.secretId}`,
    }),
  },
  {
    route: 'POST /v2/workspaces/:workspace/deleted-secrets/:id/restore',
    variant: 'restore trashed',
    trashed: true,
    expected: statuses(200, 200, 403, 403, 200, 404, 404, 403),
    prepare: (c) => ({
      method: 'POST',
      path: `/v2/workspaces/${c.workspaceId}/deleted-secrets/${c.secretId}/restore`,
    }),
  },
  {
    route: 'DELETE /v2/workspaces/:workspace/deleted-secrets/:id',
    variant: 'purge trashed',
    trashed: true,
    expected: statuses(204, 204, 403, 403, 204, 404, 404, 403),
    prepare: (c) => ({
      method: 'DELETE',
      path: `/v2/workspaces/${c.workspaceId}/deleted-secrets/${c.secretId}`,
    }),
  },
];
