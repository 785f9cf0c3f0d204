// Fuzz descriptions of the auth-client, auth-secret and authcheck body schemas.
import { deepValue } from './random.js';
import {
  A,
  CLOSED,
  CREATE_LATE,
  NAME,
  PATCH_LATE,
  PATCH_REQUIRED,
  type SchemaSpec,
  toOne,
} from './schema-spec.js';

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
        values: ['client_secret_basic', 'client_secret_post', 'none'],
        nul: true,
      },
      {
        path: A('oauth2', 'grant_type'),
        kind: 'enum',
        values: ['authorization_code', 'client_credentials'],
        nul: true,
      },
      { path: A('oauth2', 'revocation_url'), kind: 'nullable-string', max: 2048, nul: true },
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
    refused: {
      'data.attributes': ['client_secret_set'],
      'data.attributes.oauth2': ['client_secret_set', 'redirect_uri'],
    },
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
      // §10.1: protocol parameters cannot be extras; values are strings; numbers in range.
      (doc, rng) => {
        const member = rng.pick(['authorize_params', 'token_params', 'refresh_params']);
        doc.data.attributes.oauth2[member] = {
          [rng.pick(['grant_type', 'client_secret', 'redirect_uri', 'scope'])]: 'x',
        };
      },
      (doc, rng) => {
        doc.data.attributes.oauth2.token_params = { audience: rng.pick([1, null, true, ['x'], { a: 'b' }]) };
      },
      (doc, rng) => {
        const member = rng.pick(['default_expires_in', 'refresh_margin_seconds', 'refresh_every_seconds']);
        doc.data.attributes.oauth2[member] = rng.pick([-1, 1.5, '60', 10 ** 9, true]);
      },
      (doc) => {
        doc.data.attributes.oauth2.revocation_url = 'https://10.0.0.1/revoke';
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
    ],
  },
  'auth-secret-update': {
    members: [
      NAME,
      { path: A('state'), kind: 'enum', values: ['ready', 'error'], nul: true },
      { path: A('error'), kind: 'nullable-string', max: 2000, nul: true },
      { path: A('credentials'), kind: 'object' },
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
