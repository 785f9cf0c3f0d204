// GET /v2/credential-schemas and GET /v2/credential-schemas/{name} (API.md §8.3): the built-in
// catalogue as JSON:API resources, readable by any authenticated caller of any tenant.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import {
  type Actor,
  createTenant,
  createUser,
  type Http,
  httpFor,
  type JsonApiResource,
  pathOf,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('credential schemas: the built-in catalogue (API.md §8.3)', () => {
  let t: TestApp;
  let http: Http;
  let admin: Actor;
  let member: Actor;
  let otherTenantAdmin: Actor;

  const get = async (path: string, auth = member.auth) =>
    track(await http.get(path).set('Authorization', auth));

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    const tenant = await createTenant(t.prisma);
    admin = tenant.admin;
    member = await createUser(t.prisma, tenant.tenantId, 'member');
    otherTenantAdmin = (await createTenant(t.prisma)).admin;
  });

  after(async () => {
    await t.close();
  });

  it('lists at least api_key, basic_auth, bearer_token and aws_access_key, each a closed object schema', async () => {
    const res = await get('/v2/credential-schemas');
    assert.equal(res.status, 200);
    assertJsonApiResponse(res);
    const items = res.body.data as JsonApiResource[];
    const byName = new Map(items.map((s) => [s.id, s]));
    for (const name of ['api_key', 'basic_auth', 'bearer_token', 'aws_access_key']) {
      const s = byName.get(name);
      assert.ok(s, `${name} is listed`);
      assert.equal(s.type, 'credential-schema');
      assert.equal(typeof s.attributes.title, 'string');
      assert.equal(s.attributes.schema.type, 'object');
      assert.equal(s.attributes.schema.additionalProperties, false, `${name} is closed`);
      for (const member of Object.values(s.attributes.schema.properties) as {
        type: string;
        minLength: number;
      }[]) {
        assert.deepEqual([member.type, member.minLength], ['string', 1], `${name}: non-empty strings`);
      }
      assert.equal(s.links?.self, `${new URL(res.body.links.self).origin}/v2/credential-schemas/${name}`);
    }
    const required = (name: string) => byName.get(name)?.attributes.schema.required;
    assert.deepEqual(required('api_key'), ['api_key']);
    assert.deepEqual(required('basic_auth'), ['username', 'password']);
    assert.deepEqual(required('bearer_token'), ['token']);
    assert.deepEqual(required('aws_access_key'), ['access_key_id', 'secret_access_key']);
    assert.deepEqual(Object.keys(byName.get('aws_access_key')?.attributes.schema.properties).sort(), [
      'access_key_id',
      'region',
      'secret_access_key',
      'session_token',
    ]);
    assert.match(res.body.links.self, /^http:\/\/[^/]+\/v2\/credential-schemas$/);
  });

  it('GET one by name: the same resource, its links.self resolves', async () => {
    const list = await get('/v2/credential-schemas');
    const listed = (list.body.data as JsonApiResource[]).find((s) => s.id === 'basic_auth');
    const res = await get(pathOf(listed?.links?.self));
    assert.equal(res.status, 200);
    assertJsonApiResponse(res);
    // supertest listens on a new port per request: the links' paths are what must agree.
    assert.deepEqual({ ...res.body.data, links: {} }, { ...listed, links: {} });
    assert.equal(pathOf(res.body.data.links.self), '/v2/credential-schemas/basic_auth');
  });

  it('is the same for every authenticated caller, of any tenant and role', async () => {
    const bodies = [];
    for (const auth of [admin.auth, member.auth, otherTenantAdmin.auth]) {
      const res = await get('/v2/credential-schemas/aws_access_key', auth);
      assert.equal(res.status, 200);
      assertJsonApiResponse(res);
      // supertest listens on a new port per request: compare the links' paths.
      bodies.push({ ...res.body.data, links: { self: pathOf(res.body.data.links.self) } });
    }
    assert.deepEqual(bodies[0], bodies[1]);
    assert.deepEqual(bodies[0], bodies[2]);
  });

  it('sparse fieldsets: fields[credential-schema]', async () => {
    const res = await get('/v2/credential-schemas?fields[credential-schema]=title');
    assert.equal(res.status, 200);
    assertJsonApiResponse(res);
    for (const s of res.body.data as JsonApiResource[])
      assert.deepEqual(Object.keys(s.attributes), ['title']);
    const bad = expectError(await get('/v2/credential-schemas/api_key?fields[credential-schema]=nope'), 400);
    assert.equal(bad[0]?.source?.parameter, 'fields[credential-schema]');
  });

  it('unknown names → 404; unknown query parameters → 400 with source.parameter; no authentication → 401', async () => {
    for (const name of ['nope', 'API_KEY', '__proto__', 'constructor', 'api_key%20', 'oauth2']) {
      expectError(await get(`/v2/credential-schemas/${name}`), 404, 'not_found');
    }
    for (const query of ['page[size]=5', 'filter[name]=api_key', 'sort=title', 'include=tenant']) {
      const errors = expectError(await get(`/v2/credential-schemas?${query}`), 400);
      assert.equal(errors[0]?.source?.parameter, query.split('=')[0]);
    }
    const res = track(await http.get('/v2/credential-schemas'));
    expectError(res, 401, 'unauthorized');
    assert.equal(res.headers['www-authenticate'], 'Basic realm="auth-secrets"');
  });
});
