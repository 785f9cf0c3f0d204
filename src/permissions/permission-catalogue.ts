// The permission names of API.md §2 and the built-in roles. This file is the single source:
// the /v2/permissions route, role validation and the policy all read from it.

export const WORKSPACE_PERMISSIONS = {
  'workspaces.workspace.get': 'Read the workspace',
  'workspaces.workspace.edit': 'Rename the workspace',
  'workspaces.workspace.delete': 'Delete the workspace with its secrets and memberships',
  'workspaces.membership.get': 'List the members of the workspace',
  'workspaces.membership.create': 'Add members to the workspace',
  'workspaces.membership.edit': "Change a member's role",
  'workspaces.membership.delete': 'Remove members from the workspace',
  'workspaces.auth_secret.get': 'Read auth-secrets, without their credentials',
  'workspaces.auth_secret.reveal': 'See the credentials of the auth-secrets one may read',
  'workspaces.auth_secret.create': 'Create auth-secrets',
  'workspaces.auth_secret.edit': 'Change auth-secrets',
  'workspaces.auth_secret.delete': 'Delete auth-secrets',
  'workspaces.auth_secret.refresh': 'Refresh OAuth2 auth-secrets',
  'workspaces.audit_event.get': "Read the workspace's audit events",
} as const;

export const TENANT_PERMISSIONS = {
  'tenants.user.get': 'Read the users of the tenant',
  'tenants.user.create': 'Create users in the tenant',
  'tenants.user.edit': 'Change users and manage their API keys',
  'tenants.workspace.create': 'Create workspaces',
  'tenants.auth_client.get': 'Read auth-clients',
  'tenants.auth_client.create': 'Create auth-clients',
  'tenants.auth_client.edit': 'Change auth-clients',
  'tenants.auth_client.delete': 'Delete auth-clients',
  'tenants.role.get': 'Read roles',
  'tenants.role.create': 'Create custom workspace roles',
  'tenants.role.edit': 'Change custom workspace roles',
  'tenants.role.delete': 'Delete custom workspace roles',
  'tenants.audit_event.get': "Read the tenant's audit events",
  'tenants.webhook.get': 'Read webhooks and their deliveries',
  'tenants.webhook.create': 'Create webhooks',
  'tenants.webhook.edit': 'Change webhooks, rotate their signing secrets, ping them and retry deliveries',
  'tenants.webhook.delete': 'Delete webhooks',
} as const;

export type WorkspacePermission = keyof typeof WORKSPACE_PERMISSIONS;
export type TenantPermission = keyof typeof TENANT_PERMISSIONS;
export type Permission = WorkspacePermission | TenantPermission;

export const ALL_WORKSPACE_PERMISSIONS = Object.keys(WORKSPACE_PERMISSIONS) as WorkspacePermission[];
export const ALL_TENANT_PERMISSIONS = Object.keys(TENANT_PERMISSIONS) as TenantPermission[];
export const ALL_PERMISSIONS: Permission[] = [...ALL_TENANT_PERMISSIONS, ...ALL_WORKSPACE_PERMISSIONS];

export const isWorkspacePermission = (p: string): p is WorkspacePermission =>
  Object.hasOwn(WORKSPACE_PERMISSIONS, p);
export const isPermission = (p: string): p is Permission =>
  isWorkspacePermission(p) || Object.hasOwn(TENANT_PERMISSIONS, p);

/** What the tenant role `member` may do at tenant level; `admin` may do everything. */
export const TENANT_MEMBER_PERMISSIONS: readonly TenantPermission[] = [
  'tenants.auth_client.get',
  'tenants.user.get',
];

/**
 * Built-in workspace roles. Stored as rows (tenant_id NULL) with these fixed ids so memberships
 * can reference them like custom roles; src/modules/roles/built-in-roles.ts keeps the rows in sync.
 */
export const BUILT_IN_ROLES: readonly {
  id: string;
  name: string;
  permissions: readonly WorkspacePermission[];
}[] = [
  { id: '00000000-0000-7000-8000-000000000001', name: 'owner', permissions: ALL_WORKSPACE_PERMISSIONS },
  {
    id: '00000000-0000-7000-8000-000000000002',
    name: 'editor',
    permissions: [
      'workspaces.workspace.get',
      'workspaces.membership.get',
      'workspaces.auth_secret.get',
      'workspaces.auth_secret.reveal',
      'workspaces.auth_secret.create',
      'workspaces.auth_secret.edit',
      'workspaces.auth_secret.delete',
      'workspaces.auth_secret.refresh',
    ],
  },
  {
    id: '00000000-0000-7000-8000-000000000003',
    name: 'connector',
    permissions: [
      'workspaces.workspace.get',
      'workspaces.auth_secret.get',
      'workspaces.auth_secret.reveal',
      'workspaces.auth_secret.refresh',
    ],
  },
  {
    // No `reveal`: viewers see that secrets exist and their state, not their credentials (API.md §8.1).
    id: '00000000-0000-7000-8000-000000000004',
    name: 'viewer',
    permissions: ['workspaces.workspace.get', 'workspaces.membership.get', 'workspaces.auth_secret.get'],
  },
];

export const OWNER_ROLE_ID = BUILT_IN_ROLES[0]?.id as string;
