// Fuzz descriptions of the auth-client, auth-secret and authcheck body schemas.
import type { Json } from './draft.js';
import { deepValue, type Rng } from './random.js';
import {
  A,
  CLOSED,
  CREATE_LATE,
  type MemberSpec,
  NAME,
  PATCH_LATE,
  PATCH_REQUIRED,
  type SchemaSpec,
  toOne,
} from './schema-spec.js';

/**
 * A credentials_schema no `other` client may carry (API.md §8.3): an unknown name, a forbidden keyword
 * anywhere, a root that is not an object, a schema Ajv refuses, too large, too deep, or not a name or
 * an object at all. (Property NAMES such as "pattern" are fine, so none is used here.)
 */
function badCredentialsSchema(rng: Rng): unknown {
  const member = (extra: Record<string, unknown>) => ({
    type: 'object',
    properties: { key: { type: 'string', ...extra } },
  });
  let deep: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 11; i++) deep = { type: 'object', properties: { a: deep } };
  const big: Record<string, unknown> = {};
  for (let i = 0; i < 500; i++) big[`m${i}`] = { type: 'string', description: 'x'.repeat(30) };
  return rng.pick([
    'nope',
    'API_KEY',
    'basic_auth ',
    '__proto__',
    '',
    'x'.repeat(65),
    42,
    true,
    [],
    ['api_key'],
    member({ pattern: '^(a+)+$' }),
    member({ format: 'email' }),
    member({ $ref: '#' }),
    { ...member({}), $defs: { x: { type: 'string' } } },
    { ...member({}), if: { required: ['key'] }, else: {} },
    { ...member({}), allOf: [{ type: 'object' }] },
    { ...member({}), patternProperties: { '^a': { type: 'string' } } },
    { type: 'object', additionalProperties: { type: 'string', not: {} } },
    { type: 'object', properties: { l: { type: 'array', items: { type: 'string', uniqueItems: true } } } },
    { type: 'array' },
    { properties: {} },
    {},
    member({ type: 'strnig' }),
    member({ minLength: -1 }),
    { type: 'object', required: ['missing'] },
    { type: 'object', description: '\uD800' },
    { type: 'object', properties: { '\uDC00': { type: 'string', enum: ['\uD800'] } } },
    JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}'),
    { type: 'object', properties: big },
    deep,
  ]);
}
// API.md §8.2: description and tags, on create and PATCH alike.
const DESCRIPTION_AND_TAGS: MemberSpec[] = [
  { path: A('description'), kind: 'nullable-string', max: 1000, nul: true },
  { path: A('tags'), kind: 'object' },
  { path: A('tags', 'env'), kind: 'string', max: 256, nul: true },
];
const BAD_TAG_KEYS = ['', 'bad key', 'a/b', 'ü', 'x'.repeat(65), 'a[b]', 'k=v', 'a\u0000b', '😀', 'tab\t'];
const BAD_TAGS = [
  (doc: Json, rng: Rng) => {
    doc.data.attributes.tags[rng.pick(BAD_TAG_KEYS)] = 'v';
  },
  (doc: Json) => {
    doc.data.attributes.tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
  },
  (doc: Json, rng: Rng) => {
    doc.data.attributes.tags[`k${rng.hex(4)}`] = rng.pick([1, true, null, [], {}, ['v'], { v: 'v' }]);
  },
  (doc: Json, rng: Rng) => {
    doc.data.attributes.tags[`k${rng.hex(4)}`] = '😀'.repeat(rng.between(257, 400));
  },
];

export const AUTH_SCHEMAS: Record<string, SchemaSpec> = {
  'auth-client-create': {
    members: [
      NAME,
      { path: A('auth_type'), kind: 'enum', values: ['oauth2', 'other'], nul: true },
      { path: A('oauth2'), kind: 'object' },
      { path: A('oauth2', 'client_id'), kind: 'string', max: 500, nul: true },
      { path: A('oauth2', 'client_secret'), kind: 'string', max: 4096 },
      { path: A('oauth2', 'token_url'), kind: 'string', max: 2048, nul: true },
      { path: A('oauth2', 'authorize_url'), kind: 'nullable-string', max: 2048, nul: true },
      { path: A('oauth2', 'scopes'), kind: 'string-array' },
      {
        path: A('oauth2', 'auth_method'),
        kind: 'enum',
        values: ['client_secret_basic', 'client_secret_post'],
        nul: true,
      },
    ],
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'attributes'],
      A('name'),
      A('auth_type'),
      A('oauth2'),
      A('oauth2', 'client_id'),
      A('oauth2', 'client_secret'),
      A('oauth2', 'token_url'),
    ],
    closed: [...CLOSED, ['data', 'relationships'], A('oauth2')],
    refused: { 'data.attributes': ['client_secret_set'], 'data.attributes.oauth2': ['client_secret_set'] },
    late: CREATE_LATE,
    specific: [
      (doc, rng) => {
        doc.data.attributes.oauth2.token_url = rng.pick([
          'http://auth.example.test/token',
          'https://user:pw@auth.example.test/token',
          'https://auth.example.test/token#frag',
          'ftp://auth.example.test/token',
          'javascript:alert(1)',
          'not a url',
          '//auth.example.test/token',
        ]);
      },
      (doc, rng) => {
        doc.data.attributes.oauth2.authorize_url = rng.pick([
          'http://auth.example.test/authorize',
          'https://a:b@x.test/',
          'nope',
        ]);
      },
      (doc) => {
        doc.data.attributes.auth_type = 'other';
      },
      (doc) => {
        delete doc.data.attributes.oauth2;
      },
      (doc, rng) => {
        doc.data.attributes.oauth2.scopes = [rng.pick(['has space', 'quote"', 'back\\slash', ''])];
      },
      (doc) => {
        doc.data.attributes.oauth2.scopes = Array.from({ length: 101 }, (_, i) => `s${i}`);
      },
      (doc, _rng, w) => {
        doc.data.attributes.name = w.a.clients.other.name;
      },
      (doc, rng) => {
        // oauth2 clients take no credentials_schema (null would be "none", so never null here).
        doc.data.attributes.credentials_schema = rng.pick(['api_key', 'basic_auth', { type: 'object' }]);
      },
      (doc, rng) => {
        doc.data.attributes.auth_type = 'other';
        delete doc.data.attributes.oauth2;
        doc.data.attributes.credentials_schema = badCredentialsSchema(rng);
      },
    ],
  },
  'auth-client-update': {
    members: [NAME, { path: A('auth_type'), kind: 'enum', values: ['oauth2', 'other'] }],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    refused: { 'data.attributes': ['client_secret_set'] },
    late: PATCH_LATE,
    specific: [
      (doc) => {
        doc.data.attributes.auth_type = 'other';
      },
      (doc) => {
        doc.data.attributes.oauth2 = null;
      },
      (doc, rng) => {
        doc.data.attributes.oauth2 = {
          token_url: rng.pick(['http://auth.example.test/t', 'https://u:p@x.test/t']),
        };
      },
      (doc, _rng, w) => {
        doc.data.attributes.name = w.a.clients.other.name;
      },
      (doc, rng) => {
        // The PATCHed client is oauth2: any credentials_schema but null is refused.
        doc.data.attributes.credentials_schema = rng.chance(0.5)
          ? rng.pick(['api_key', 'aws_access_key', { type: 'object' }])
          : badCredentialsSchema(rng);
      },
    ],
  },
  'auth-secret-create': {
    members: [
      NAME,
      { path: A('state'), kind: 'enum', values: ['ready', 'error'], nul: true },
      { path: A('error'), kind: 'nullable-string', max: 2000, nul: true },
      { path: A('credentials'), kind: 'object' },
      { path: A('credentials', 'access_token'), kind: 'string', max: 16384 },
      { path: A('credentials', 'refresh_token'), kind: 'string', max: 16384 },
      { path: A('credentials', 'expires_in'), kind: 'integer' },
      { path: ['data', 'relationships', 'auth-client', 'data', 'id'], kind: 'uuid' },
      ...DESCRIPTION_AND_TAGS,
    ],
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'attributes'],
      A('name'),
      A('state'),
      A('credentials'),
      ['data', 'relationships'],
      ['data', 'relationships', 'auth-client'],
      ['data', 'relationships', 'auth-client', 'data'],
      A('credentials', 'access_token'),
      A('credentials', 'refresh_token'),
      A('credentials', 'expires_in'),
    ],
    // credentials of an oauth2 client: exactly three members (API.md §4).
    closed: [
      ...CLOSED,
      ['data', 'relationships'],
      ['data', 'relationships', 'auth-client'],
      A('credentials'),
    ],
    refused: {
      'data.attributes': ['expires_at', 'refreshed_at', 'created_at'],
      'data.relationships': ['workspace', 'user'],
    },
    late: [
      ...CREATE_LATE,
      (doc) => {
        doc.data.relationships['auth-client'].data.type = 'user';
      },
    ],
    specific: [
      (doc, rng, w) => {
        // Another tenant's auth-client, or none at all (API.md §4: 404), under either name.
        const id = rng.pick([w.b.clients.oauth2.id, w.b.clients.other.id, rng.uuid()]);
        delete doc.data.relationships['auth-client'];
        toOne(doc, rng.pick(['auth-client', 'auth_client']), 'auth-client', id);
      },
      (doc, _rng, w) => {
        toOne(doc, 'auth_client', 'auth-client', w.a.clients.oauth2.id);
      },
      (doc, rng) => {
        doc.data.attributes.credentials.expires_in = rng.pick([
          -1,
          1.5,
          'abc',
          '12345678901',
          2147483648,
          '',
          '-5',
          '1e3',
        ]);
      },
      (doc, rng) => {
        doc.data.attributes.credentials[rng.pick(['access_token', 'refresh_token'])] = '';
      },
      (doc) => {
        doc.data.attributes.credentials.access_token = 'a'.repeat(16385);
      },
      (doc, rng, w) => {
        // An `other` client takes any object, but at most 16 levels deep and 64 KiB.
        doc.data.relationships['auth-client'].data.id = w.a.clients.other.id;
        doc.data.attributes.credentials = rng.chance(0.5)
          ? { deep: deepValue(rng.between(17, 26)) }
          : { big: 'x'.repeat(65 * 1024) };
      },
      (doc, rng) => {
        doc.data.attributes.state = rng.pick(['refreshing', 'READY', 'ok', '']);
      },
      (doc) => {
        doc.data.relationships['auth-client'].data = null;
      },
      (doc, rng, w) => {
        // The `typed` client's secrets must fit basic_auth: exactly username and password, non-empty strings.
        doc.data.relationships['auth-client'].data.id = w.a.clients.typed.id;
        doc.data.attributes.credentials = rng.pick([
          doc.data.attributes.credentials,
          {},
          { username: 'u' },
          { password: 'p' },
          { username: 'u', password: 'p', extra: 'x' },
          { username: 1, password: 'p' },
          { username: 'u', password: '' },
          { username: 'u', password: ['p'] },
          { username: 'u', password: null },
          { api_key: 'k' },
        ]);
      },
      ...BAD_TAGS,
    ],
  },
  'auth-secret-update': {
    members: [
      NAME,
      { path: A('state'), kind: 'enum', values: ['ready', 'error'], nul: true },
      { path: A('error'), kind: 'nullable-string', max: 2000, nul: true },
      { path: A('credentials'), kind: 'object' },
      ...DESCRIPTION_AND_TAGS,
    ],
    required: PATCH_REQUIRED,
    closed: [...CLOSED, ['data', 'relationships']],
    refused: {
      'data.attributes': ['expires_at', 'refreshed_at'],
      'data.relationships': ['workspace', 'user'],
    },
    late: PATCH_LATE,
    specific: [
      (doc, rng) => {
        // The secret's client is oauth2: its credentials must have exactly the three members.
        doc.data.attributes.credentials = rng.pick([
          {},
          { access_token: 'a' },
          { access_token: 'a', refresh_token: 'r', expires_in: 1, x: 1 },
        ]);
      },
      (doc, rng, w) => {
        toOne(
          doc,
          rng.pick(['auth-client', 'auth_client']),
          'auth-client',
          rng.pick([w.b.clients.oauth2.id, rng.uuid()]),
        );
      },
      (doc, _rng, w) => {
        toOne(doc, 'auth-client', 'auth-client', w.a.clients.oauth2.id);
        toOne(doc, 'auth_client', 'auth-client', w.a.clients.oauth2.id);
      },
      (doc, _rng, w) => {
        // A relationship of another type: 409 type_mismatch.
        toOne(doc, 'auth-client', 'user', w.a.clients.other.id);
      },
      (doc, rng, w) => {
        // Moved to the basic_auth client: the stored oauth2 credentials do not fit, nor these.
        toOne(doc, rng.pick(['auth-client', 'auth_client']), 'auth-client', w.a.clients.typed.id);
        if (rng.chance(0.5))
          doc.data.attributes.credentials = rng.pick([
            { username: 'u' },
            { username: 'u', password: 'p', x: 1 },
            {},
          ]);
      },
      ...BAD_TAGS,
    ],
  },
  'connect-session-create': {
    members: [
      NAME,
      { path: A('scopes'), kind: 'string-array' },
      { path: A('return_url'), kind: 'nullable-string', max: 2048, nul: true },
      { path: ['data', 'relationships', 'auth-client', 'data', 'id'], kind: 'uuid' },
    ],
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'attributes'],
      A('name'),
      ['data', 'relationships'],
      ['data', 'relationships', 'auth-client'],
      ['data', 'relationships', 'auth-client', 'data'],
    ],
    closed: [...CLOSED, ['data', 'relationships'], ['data', 'relationships', 'auth-client']],
    refused: {
      'data.attributes': ['authorize_url', 'status', 'error', 'expires_at'],
      'data.relationships': ['workspace', 'user', 'auth_client'],
    },
    late: [
      ...CREATE_LATE,
      (doc) => {
        doc.data.relationships['auth-client'].data.type = 'auth-secret';
      },
    ],
    specific: [
      (doc, rng, w) => {
        // Another tenant's auth-client, or none at all: 404.
        doc.data.relationships['auth-client'].data.id = rng.pick([w.b.clients.oauth2.id, rng.uuid()]);
      },
      (doc, _rng, w) => {
        // An `other` client cannot run an authorization-code flow: 422.
        doc.data.relationships['auth-client'].data.id = w.a.clients.other.id;
      },
      (doc, rng) => {
        doc.data.attributes.return_url = rng.pick([
          'https://10.0.0.1/done',
          'https://169.254.169.254/latest',
          'http://app.example.test/done',
          'https://u:p@app.example.test/done',
          'https://app.example.test/done#x',
          'javascript:alert(1)',
          'not a url',
        ]);
      },
      (doc, rng, w) => {
        // A secret of another workspace or tenant (404), or of another client (422).
        toOne(
          doc,
          'auth-secret',
          'auth-secret',
          rng.pick([w.a.secrets.ws2.id, w.b.secrets.ws1Oauth2.id, w.a.secrets.ws1Other.id, rng.uuid()]),
        );
      },
      (doc, rng) => {
        doc.data.attributes.scopes = [rng.pick(['has space', 'quote"', 'back\\slash', ''])];
      },
    ],
  },
  authcheck: {
    members: [
      { path: ['meta', 'checks', 'k', 'permission'], kind: 'string', max: 100, nul: true },
      { path: ['meta', 'checks', 'k', 'workspace'], kind: 'nullable-string', max: 100 },
    ],
    required: [['meta'], ['meta', 'checks'], ['meta', 'checks', 'k', 'permission']],
    closed: [[], ['meta'], ['meta', 'checks', 'k']],
    late: [
      (doc, rng) => {
        doc.meta.checks.k.permission = rng.pick([
          'workspaces.nope.get',
          'tenants.x.y',
          'workspaces.auth_secret.read',
        ]);
      },
    ],
    specific: [
      (doc) => {
        delete doc.meta.checks.k.workspace;
      },
      (doc) => {
        doc.meta.checks = {};
      },
      (doc) => {
        for (let i = 0; i < 101; i++) doc.meta.checks[`c${i}`] = { permission: 'tenants.user.get' };
      },
      (doc) => {
        doc.meta.checks['x'.repeat(101)] = { permission: 'tenants.user.get' };
      },
      (doc) => {
        doc.data = { type: 'authcheck' };
      },
    ],
  },
};
