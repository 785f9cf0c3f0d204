// Bad input across the auth-secret and auth-client routes: every malformed document gets a 4xx
// JSON:API error (never a 5xx) and changes nothing in the database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import {
  type Actor,
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
  type Http,
  httpFor,
  JSONAPI,
  type JsonApiResource,
  oauth2ClientAttributes,
  oauth2Credentials,
} from '../support/factories.js';
import { expectError } from '../support/jsonapi-schema.js';
import { track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UNKNOWN_ID = '0190a3b4-0000-7000-8000-000000000000';

/** Credentials nested `depth` levels deep, built without recursion. */
function deep(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { n: value };
  return value;
}

/** A JSON text nested `depth` levels deep, for depths JSON.stringify could not produce. */
const deepJson = (depth: number) => `${'{"n":'.repeat(depth - 1)}{"leaf":true}${'}'.repeat(depth - 1)}`;

/**
 * Absurdly deep documents are refused by the app-wide JSON depth guard (400 json_too_deep,
 * src/security/request-limits.ts) before any route runs; without it, by the member's own check (422).
 */
const DEEP = [400, 422] as const;

interface Case {
  name: string;
  method: 'post' | 'patch';
  /** An object is sent as JSON; a string is sent verbatim. */
  body: unknown;
  /** Several statuses: see DEEP. */
  status: number | readonly number[];
  code?: string;
  pointer?: string;
  contentType?: string;
  /** PATCH: which secret the URL names (default: target). */
  path?: 'other';
}

describe('auth-secrets: malformed input', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  let oauthClient: JsonApiResource;
  let otherClient: JsonApiResource;
  let foreignClient: JsonApiResource;
  let target: JsonApiResource;
  let otherTarget: JsonApiResource;

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    oauthClient = await createClient(http, admin.auth, tenantId, oauth2ClientAttributes());
    otherClient = await createClient(http, admin.auth, tenantId, {
      name: 'other client',
      auth_type: 'other',
    });
    const foreign = await createTenant(t.prisma);
    foreignClient = await createClient(http, foreign.admin.auth, foreign.tenantId, oauth2ClientAttributes());
    target = await createSecret(http, admin.auth, ws, oauthClient.id);
    otherTarget = await createSecret(http, admin.auth, ws, otherClient.id, { credentials: { api_key: 'k' } });
  });

  after(() => t.close());

  const rel = (id: string, type = 'auth-client') => ({ 'auth-client': { data: { type, id } } });
  const create = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    data: {
      type: 'auth-secret',
      attributes: { name: 'n', state: 'ready', credentials: oauth2Credentials(), ...attributes },
      relationships: rel(oauthClient.id),
      ...extra,
    },
  });
  const createOther = (credentials: unknown) => ({
    data: {
      type: 'auth-secret',
      attributes: { name: 'n', state: 'ready', credentials },
      relationships: rel(otherClient.id),
    },
  });
  const update = (extra: Record<string, unknown>, id = target.id) => ({
    data: { type: 'auth-secret', id, ...extra },
  });
  const creds = (c: Record<string, unknown>) => create({ credentials: c });

  // Built inside the test: the documents need the ids created in before().
  const buildCases = (): Case[] => [
    { name: 'invalid JSON', method: 'post', body: '{"data": {', status: 400, code: 'invalid_json' },
    { name: 'a JSON array', method: 'post', body: '[]', status: 400 },
    { name: 'a JSON string', method: 'post', body: '"data"', status: 400 },
    { name: 'an empty object', method: 'post', body: {}, status: 400, pointer: '/data' },
    { name: 'data null', method: 'post', body: { data: null }, status: 400 },
    { name: 'data an array', method: 'post', body: { data: [create({}).data] }, status: 400 },
    { name: 'no data.type', method: 'post', body: { data: { attributes: {} } }, status: 400 },
    { name: 'an unknown top-level member', method: 'post', body: { ...create({}), foo: 1 }, status: 400 },
    { name: 'data.lid', method: 'post', body: create({}, { lid: 'x' }), status: 400 },
    {
      name: 'the wrong type',
      method: 'post',
      body: { data: { ...create({}).data, type: 'auth-client' } },
      status: 409,
    },
    { name: 'a client-generated id', method: 'post', body: create({}, { id: UNKNOWN_ID }), status: 403 },
    {
      name: 'no name',
      method: 'post',
      body: create({ name: undefined }),
      status: 422,
      pointer: '/data/attributes/name',
    },
    {
      name: 'an empty name',
      method: 'post',
      body: create({ name: '' }),
      status: 422,
      pointer: '/data/attributes/name',
    },
    { name: 'a blank name', method: 'post', body: create({ name: '   ' }), status: 422 },
    { name: 'a 201-character name', method: 'post', body: create({ name: 'x'.repeat(201) }), status: 422 },
    { name: 'a NUL in the name', method: 'post', body: create({ name: 'a\u0000b' }), status: 422 },
    { name: 'a numeric name', method: 'post', body: create({ name: 5 }), status: 422 },
    {
      name: 'an unknown state',
      method: 'post',
      body: create({ state: 'done' }),
      status: 422,
      pointer: '/data/attributes/state',
    },
    { name: 'no state', method: 'post', body: create({ state: undefined }), status: 422 },
    {
      name: 'a 2001-character error',
      method: 'post',
      body: create({ error: 'e'.repeat(2001) }),
      status: 422,
    },
    {
      name: 'an object error',
      method: 'post',
      body: create({ error: { a: 1 } }),
      status: 422,
      pointer: '/data/attributes/error',
    },
    {
      name: 'a read-only attribute',
      method: 'post',
      body: create({ expires_at: '2030-01-01T00:00:00Z' }),
      status: 422,
    },
    { name: 'no credentials', method: 'post', body: create({ credentials: undefined }), status: 422 },
    { name: 'string credentials', method: 'post', body: create({ credentials: 'token' }), status: 422 },
    { name: 'array credentials', method: 'post', body: create({ credentials: [] }), status: 422 },
    { name: 'null credentials', method: 'post', body: create({ credentials: null }), status: 422 },
    {
      name: 'oauth2 credentials without refresh_token',
      method: 'post',
      body: creds({ access_token: 'a', expires_in: 1 }),
      status: 422,
      pointer: '/data/attributes/credentials/refresh_token',
    },
    {
      name: 'oauth2 credentials with an extra member',
      method: 'post',
      body: creds({ ...oauth2Credentials(), scope: 'x' }),
      status: 422,
      pointer: '/data/attributes/credentials/scope',
    },
    { name: 'a negative expires_in', method: 'post', body: creds({ ...oauth2Credentials(-1) }), status: 422 },
    {
      name: 'a fractional expires_in',
      method: 'post',
      body: creds({ ...oauth2Credentials(1.5) }),
      status: 422,
    },
    {
      name: 'a non-numeric expires_in',
      method: 'post',
      body: creds({ ...oauth2Credentials('12abc') }),
      status: 422,
    },
    {
      name: 'an 11-digit expires_in',
      method: 'post',
      body: creds({ ...oauth2Credentials('99999999999') }),
      status: 422,
    },
    {
      name: 'an expires_in beyond int32',
      method: 'post',
      body: creds({ ...oauth2Credentials('4294967295') }),
      status: 422,
    },
    {
      name: 'a boolean expires_in',
      method: 'post',
      body: creds({ ...oauth2Credentials(true as never) }),
      status: 422,
    },
    {
      name: 'a huge access_token',
      method: 'post',
      body: creds({ ...oauth2Credentials(), access_token: 'a'.repeat(20000) }),
      status: 422,
    },
    {
      name: 'no relationships',
      method: 'post',
      body: { data: { ...create({}).data, relationships: undefined } },
      status: 422,
    },
    {
      name: 'no auth-client relationship',
      method: 'post',
      body: { data: { ...create({}).data, relationships: {} } },
      status: 422,
    },
    {
      name: 'a null auth-client',
      method: 'post',
      body: { data: { ...create({}).data, relationships: { 'auth-client': { data: null } } } },
      status: 422,
    },
    {
      name: 'a malformed auth-client id',
      method: 'post',
      body: { data: { ...create({}).data, relationships: rel('not-a-uuid') } },
      status: 422,
    },
    {
      name: 'an auth-client relationship of the wrong type',
      method: 'post',
      body: { data: { ...create({}).data, relationships: rel(UNKNOWN_ID, 'user') } },
      status: 409,
    },
    {
      name: 'an unknown auth-client',
      method: 'post',
      body: { data: { ...create({}).data, relationships: rel(UNKNOWN_ID) } },
      status: 404,
      pointer: '/data/relationships/auth-client/data',
    },
    {
      name: 'both relationship names',
      method: 'post',
      body: {
        data: {
          ...create({}).data,
          relationships: {
            ...rel(UNKNOWN_ID),
            auth_client: { data: { type: 'auth-client', id: UNKNOWN_ID } },
          },
        },
      },
      status: 422,
      code: 'ambiguous_relationship',
    },
    {
      name: 'a read-only user relationship',
      method: 'post',
      body: {
        data: {
          ...create({}).data,
          relationships: { ...rel(UNKNOWN_ID), user: { data: { type: 'user', id: UNKNOWN_ID } } },
        },
      },
      status: 422,
      pointer: '/data/relationships/user',
    },
    {
      name: '`other` credentials 17 levels deep',
      method: 'post',
      body: createOther(deep(17)),
      status: 422,
      code: 'credentials_too_deep',
    },
    {
      name: '`other` credentials 100,000 levels deep',
      method: 'post',
      body: JSON.stringify(createOther('__DEEP__')).replace('"__DEEP__"', deepJson(100_000)),
      status: DEEP,
      code: 'credentials_too_deep',
    },
    {
      name: '`other` credentials of 100 KiB',
      method: 'post',
      body: createOther({ blob: 'x'.repeat(100 * 1024) }),
      status: 422,
      code: 'credentials_too_large',
    },
    {
      name: 'deeply nested arrays where a name belongs',
      method: 'post',
      body: JSON.stringify(create({ name: '__DEEP__' })).replace(
        '"__DEEP__"',
        `${'['.repeat(200_000)}${']'.repeat(200_000)}`,
      ),
      status: DEEP,
    },
    {
      name: 'a body over the 1 MiB limit',
      method: 'post',
      body: createOther({ blob: 'x'.repeat(1100 * 1024) }),
      status: 413,
    },
    {
      name: 'a text/plain body',
      method: 'post',
      body: '{"data":{}}',
      contentType: 'text/plain',
      status: 415,
    },
    {
      name: 'a JSON:API media type with a charset',
      method: 'post',
      body: '{"data":{}}',
      contentType: `${JSONAPI}; charset=utf-8`,
      status: 415,
    },
    // PATCH
    {
      name: 'PATCH without data.id',
      method: 'patch',
      body: { data: { type: 'auth-secret', attributes: {} } },
      status: 400,
    },
    {
      name: 'PATCH with another id',
      method: 'patch',
      body: update({}, UNKNOWN_ID),
      status: 409,
      code: 'id_mismatch',
    },
    {
      name: 'PATCH with the wrong type',
      method: 'patch',
      body: { data: { type: 'auth-client', id: '' } },
      status: 409,
    },
    { name: 'PATCH a null name', method: 'patch', body: update({ attributes: { name: null } }), status: 422 },
    {
      name: 'PATCH an unknown state',
      method: 'patch',
      body: update({ attributes: { state: 'gone' } }),
      status: 422,
    },
    {
      name: 'PATCH credentials that do not fit oauth2',
      method: 'patch',
      body: update({ attributes: { credentials: { token: 'x' } } }),
      status: 422,
    },
    {
      name: 'PATCH credentials 10,000 levels deep',
      method: 'patch',
      body: JSON.stringify(update({ attributes: { credentials: '__D__' } })).replace(
        '"__D__"',
        deepJson(10_000),
      ),
      status: DEEP,
      code: 'credentials_too_deep',
    },
    {
      name: 'PATCH to a foreign auth-client',
      method: 'patch',
      body: update({
        relationships: { 'auth-client': { data: { type: 'auth-client', id: '__FOREIGN__' } } },
      }),
      status: 404,
    },
    {
      name: 'PATCH to an auth-client the stored credentials do not fit',
      method: 'patch',
      body: update(
        { relationships: { 'auth-client': { data: { type: 'auth-client', id: '__OAUTH__' } } } },
        '__OTHER_TARGET__',
      ),
      status: 422,
      code: 'credentials_mismatch',
      path: 'other',
    },
    {
      name: "PATCH in the original description's shape (auth-client outside relationships)",
      method: 'patch',
      body: update({
        attributes: { name: 'x' },
        'auth-client': { data: { type: 'auth-client', id: '__OAUTH__' } },
      }),
      status: 400,
    },
    {
      name: 'PATCH a read-only workspace relationship',
      method: 'patch',
      body: update({ relationships: { workspace: {} } }),
      status: 422,
    },
  ];

  it('answers 60+ malformed documents with 4xx errors and changes nothing', async function () {
    this.timeout(60_000);
    const cases = buildCases();
    assert.ok(cases.length >= 60, `only ${cases.length} cases`);
    const snapshot = async () => ({
      rows: await t.prisma.authSecret.findMany({ where: { tenantId }, orderBy: { id: 'asc' } }),
      clients: await t.prisma.authClient.findMany({ where: { tenantId }, orderBy: { id: 'asc' } }),
    });
    const before = await snapshot();
    const substitute = (text: string) =>
      text
        .replaceAll('__FOREIGN__', foreignClient.id)
        .replaceAll('__OAUTH__', oauthClient.id)
        .replaceAll('__OTHER_TARGET__', otherTarget.id);
    for (const c of cases) {
      const raw = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      const body = substitute(raw);
      const id = c.path === 'other' ? otherTarget.id : target.id;
      const path =
        c.method === 'post' ? `/v2/workspaces/${ws}/secrets` : `/v2/workspaces/${ws}/secrets/${id}`;
      const res = track(
        await http[c.method](path)
          .set('Authorization', admin.auth)
          .set('Content-Type', c.contentType ?? JSONAPI)
          .send(body),
      );
      assert.ok(res.status < 500, `${c.name}: got ${res.status} ${res.text.slice(0, 300)}`);
      const allowed: readonly number[] = typeof c.status === 'number' ? [c.status] : c.status;
      assert.ok(
        allowed.includes(res.status),
        `${c.name}: got ${res.status}, expected ${allowed.join(' or ')}`,
      );
      const errors = expectError(
        res,
        res.status,
        res.status === 422 || allowed.length === 1 ? c.code : undefined,
      );
      if (c.pointer) {
        assert.ok(
          errors.some((e) => e.source?.pointer === c.pointer),
          `${c.name}: expected pointer ${c.pointer} in ${JSON.stringify(errors)}`,
        );
      }
      if (res.status === 422) {
        for (const e of errors) assert.ok(e.source?.pointer, `${c.name}: every 422 names its member`);
      }
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('keeps answering afterwards (the deep documents did not hurt the process)', async () => {
    const res = track(
      await http.get(`/v2/workspaces/${ws}/secrets/${target.id}`).set('Authorization', admin.auth),
    );
    assert.equal(res.status, 200);
    assert.equal(
      res.body.data.attributes.credentials.access_token,
      target.attributes.credentials.access_token,
    );
  });

  it('accepts `other` credentials at the limits: 16 levels deep, just under 64 KiB', async () => {
    const atDepth = await createSecret(http, admin.auth, ws, otherClient.id, { credentials: deep(16) });
    assert.deepEqual(atDepth.attributes.credentials, deep(16));
    const big = { blob: 'x'.repeat(64 * 1024 - 20) };
    const atSize = await createSecret(http, admin.auth, ws, otherClient.id, { credentials: big });
    assert.equal(atSize.attributes.credentials.blob.length, big.blob.length);
  });

  it('answers malformed auth-client documents with 4xx and changes nothing', async () => {
    const base = `/v2/tenants/${tenantId}/auth-clients`;
    const before = await t.prisma.authClient.findMany({ where: { tenantId }, orderBy: { id: 'asc' } });
    const bodies: [string, unknown, number | readonly number[]][] = [
      ['invalid JSON', '{', 400],
      ['no attributes', { data: { type: 'auth-client' } }, 422],
      [
        'oauth2 as a string',
        { data: { type: 'auth-client', attributes: { name: 'x', auth_type: 'oauth2', oauth2: 's' } } },
        422,
      ],
      [
        'deep oauth2',
        JSON.stringify({
          data: { type: 'auth-client', attributes: { name: 'x', auth_type: 'oauth2', oauth2: '__D__' } },
        }).replace('"__D__"', deepJson(50_000)),
        DEEP,
      ],
      [
        'scopes deeply nested',
        JSON.stringify({
          data: { type: 'auth-client', attributes: oauth2ClientAttributes({ scopes: '__D__' }) },
        }).replace('"__D__"', `[${'['.repeat(50_000)}${']'.repeat(50_000)}]`),
        DEEP,
      ],
      [
        'a NUL in client_id',
        { data: { type: 'auth-client', attributes: oauth2ClientAttributes({ client_id: 'a\u0000' }) } },
        422,
      ],
      [
        'a token_url with a NUL',
        {
          data: {
            type: 'auth-client',
            attributes: oauth2ClientAttributes({ token_url: 'https://a/\u0000' }),
          },
        },
        422,
      ],
      [
        'a 3000-character token_url',
        {
          data: {
            type: 'auth-client',
            attributes: oauth2ClientAttributes({ token_url: `https://a.test/${'x'.repeat(3000)}` }),
          },
        },
        422,
      ],
    ];
    for (const [name, body, status] of bodies) {
      const res = track(
        await http
          .post(base)
          .set('Authorization', admin.auth)
          .set('Content-Type', 'application/json')
          .send(typeof body === 'string' ? body : JSON.stringify(body)),
      );
      const allowed: readonly number[] = typeof status === 'number' ? [status] : status;
      assert.ok(allowed.includes(res.status), `${name}: got ${res.status}`);
      expectError(res, res.status);
    }
    assert.deepEqual(
      await t.prisma.authClient.findMany({ where: { tenantId }, orderBy: { id: 'asc' } }),
      before,
    );
  });
});
