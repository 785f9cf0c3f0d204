// Fuzz descriptions of the tenancy body schemas: users, API keys, workspaces, memberships, roles.
import { A, CLOSED, CREATE_LATE, NAME, PATCH_LATE, PATCH_REQUIRED, type SchemaSpec } from './schema-spec.js';

export const TENANCY_SCHEMAS: Record<string, SchemaSpec> = {
  'user-create': {
    members: [
      { path: A('email'), kind: 'string', max: 320, nul: true },
      NAME,
      { path: A('tenant_role'), kind: 'enum', values: ['admin', 'member'], nul: true },
    ],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('email'), A('name')],
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.relationships': ['tenant'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.email = rng.pick(['not-an-email', '@example.test', 'a@', 'a b@example.test', '']);
      },
      (doc, rng, w) => {
        doc.data.attributes.email = rng.pick([w.a.admin.email, w.a.member.email, w.b.admin.email]);
      },
      (doc, rng) => {
        doc.data.attributes.tenant_role = rng.pick(['owner', 'Admin', 'root', 'viewer']);
      },
      (doc) => {
        doc.data.attributes.name = '   ';
      },
    ],
  },
  'api-key-create': {
    members: [
      NAME,
      { path: A('scopes'), kind: 'string-array' },
      { path: A('expires_at'), kind: 'nullable-string', max: 40, nul: true },
    ],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('name')],
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['key', 'revoked_at'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.expires_at = rng.pick([
          'tomorrow',
          '2000-01-01T00:00:00Z',
          '1970-01-01T00:00:00.000Z',
          '2030-13-45T99:99:99Z',
          '',
        ]);
      },
      (doc, rng) => {
        doc.data.attributes.scopes = [
          rng.pick(['workspaces.nope.get', 'tenants.user.destroy', 'WORKSPACES.X.Y', '*']),
        ];
      },
      (doc) => {
        doc.data.attributes.scopes = Array.from({ length: 51 }, (_, i) => `workspaces.s${i}.get`);
      },
    ],
  },
  'workspace-create': {
    members: [NAME],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('name')],
    closed: [...CLOSED, ['data', 'relationships']],
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.name = rng.pick(['', ' ', '\t\n', '\u00A0']);
      },
    ],
  },
  'workspace-update': {
    members: [NAME],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    late: PATCH_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.name = rng.pick(['', ' ', '\t\n']);
      },
    ],
  },
  'membership-create': {
    members: [
      { path: A('role'), kind: 'string', max: 200, nul: true },
      { path: ['data', 'relationships', 'user', 'data', 'id'], kind: 'uuid' },
      { path: ['data', 'relationships', 'user', 'data', 'type'], kind: 'string', max: 50 },
    ],
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'attributes'],
      A('role'),
      ['data', 'relationships'],
      ['data', 'relationships', 'user'],
      ['data', 'relationships', 'user', 'data'],
    ],
    closed: [...CLOSED, ['data', 'relationships'], ['data', 'relationships', 'user']],
    late: [
      ...CREATE_LATE,
      (doc) => {
        doc.data.relationships.user.data.type = 'users';
      },
    ],
    specific: [
      (doc, rng, w) => {
        // Another tenant's user, a user that does not exist, one who is already a member.
        doc.data.relationships.user.data.id = rng.pick([
          w.b.member.userId,
          w.b.admin.userId,
          rng.uuid(),
          w.a.member.userId,
        ]);
      },
      (doc, rng, w) => {
        doc.data.attributes.role = rng.pick(['nope', 'superuser', w.b.role.name, 'owner ']);
      },
      (doc, rng, w) => {
        doc.data.relationships.user.data.id = rng.pick([
          `urn:uuid:${w.a.outsider.userId}`,
          `{${w.a.outsider.userId}}`,
          w.a.outsider.userId.replace(/-/g, ''),
        ]);
      },
    ],
  },
  'membership-update': {
    members: [{ path: A('role'), kind: 'string', max: 200, nul: true }],
    required: [...PATCH_REQUIRED, ['data', 'attributes'], A('role')],
    closed: [...CLOSED, ['data', 'relationships']],
    late: PATCH_LATE,
    specific: [
      (doc, rng, w) => {
        doc.data.attributes.role = rng.pick(['nope', w.b.role.name, 'Viewer ']);
      },
    ],
  },
  'role-create': {
    members: [NAME, { path: A('permissions'), kind: 'string-array' }],
    required: [['data'], ['data', 'type'], ['data', 'attributes'], A('name'), A('permissions')],
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['built_in'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.permissions = [
          rng.pick([
            'tenants.user.get',
            'tenants.role.create',
            'workspaces.nope.get',
            'workspaces.workspace.get.x',
          ]),
        ];
      },
      (doc) => {
        doc.data.attributes.permissions = ['workspaces.workspace.get', 'workspaces.workspace.get'];
      },
      (doc, _rng, w) => {
        doc.data.attributes.name = w.a.role.name;
      },
    ],
  },
  'role-update': {
    members: [NAME, { path: A('permissions'), kind: 'string-array' }],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['built_in'] },
    late: PATCH_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.permissions = [rng.pick(['tenants.user.get', 'workspaces.nope.get'])];
      },
    ],
  },
};
