// Every resource type and the members (attributes + relationships) it exposes.
// Used to validate `fields[TYPE]` and as the allow-list the serializers follow.
export const RESOURCE_FIELDS = {
  tenant: ['name', 'created_at', 'updated_at'],
  user: ['email', 'name', 'tenant_role', 'created_at', 'updated_at', 'tenant'],
  'api-key': ['name', 'scopes', 'expires_at', 'revoked_at', 'key', 'created_at', 'updated_at', 'user'],
  workspace: ['name', 'created_at', 'updated_at', 'tenant'],
  membership: ['role', 'created_at', 'updated_at', 'user', 'workspace'],
  role: ['name', 'permissions', 'built_in', 'created_at', 'updated_at'],
  permission: ['scope', 'description', 'created_at', 'updated_at'],
  'auth-client': ['name', 'auth_type', 'oauth2', 'credentials_schema', 'created_at', 'updated_at', 'tenant'],
  'credential-schema': ['title', 'schema', 'created_at', 'updated_at'],
  'auth-secret': [
    'name',
    'state',
    'error',
    'description',
    'tags',
    'credentials',
    'expires_at',
    'refreshed_at',
    'created_at',
    'updated_at',
    'workspace',
    'user',
    'auth-client',
  ],
  'connect-session': [
    'name',
    'status',
    'error',
    'scopes',
    'return_url',
    'authorize_url',
    'expires_at',
    'created_at',
    'updated_at',
    'workspace',
    'user',
    'auth-client',
    'auth-secret',
  ],
  'audit-event': [
    'action',
    'outcome',
    'resource_type',
    'resource_id',
    'request_id',
    'details',
    'actor_user_id',
    'actor_api_key_id',
    'created_at',
    'updated_at',
  ],
} as const satisfies Record<string, readonly string[]>;

export type ResourceType = keyof typeof RESOURCE_FIELDS;

export const isResourceType = (t: string): t is ResourceType => Object.hasOwn(RESOURCE_FIELDS, t);
