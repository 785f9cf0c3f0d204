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
  variant: 'list' | 'get' | 'create' | 'patch' | 'delete';
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
];
