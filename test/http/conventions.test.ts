// API.md §1: the conventions every endpoint follows — media types, authentication, ids,
// query parameters, pagination, links, sparse fieldsets, request ids, body limits.
// Note: every assert.ok here carries a message. Without one, Node 20 re-reads the source to
// build the message and, with tsx's source maps, can spin forever on a failure.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { parseApiKey } from '../../src/auth/api-key-token.js';
import {
  createApiKey,
  createTenant,
  createUser,
  createWorkspace,
  createWorld,
  pathOf,
  send,
  uniqueName,
  type World,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError, JSON_API_MEDIA_TYPE } from '../support/jsonapi-schema.js';
import { basicAuth } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const PUBLIC_URL = 'https://api.example.test';
const WWW_AUTHENTICATE = 'Basic realm="auth-secrets"';

describe('http: conventions (API.md §1)', () => {
  let t: TestApp;
  let world: World;
  let admin: string;

  before(async () => {
    t = await createTestApp({ PUBLIC_URL });
    world = await createWorld(t.prisma);
    admin = world.actors.admin.auth;
  });

  after(async () => {
    await t?.close();
  });

  const wsBody = () => ({ data: { type: 'workspace', attributes: { name: uniqueName('ws') } } });
  const createWs = (contentType: string) =>
    send(t.app, admin, {
      method: 'POST',
      path: `/v2/tenants/${world.tenantId}/workspaces`,
      body: wsBody(),
      contentType,
    });

  describe('media types', () => {
    it('accepts request bodies as application/vnd.api+json and as application/json', async () => {
      for (const type of [JSON_API_MEDIA_TYPE, 'application/json', 'application/json; charset=utf-8']) {
        const res = await createWs(type);
        assert.equal(res.status, 201, `${type}: ${res.text}`);
        assertJsonApiResponse(res);
        assert.equal(res.body.data.type, 'workspace');
      }
    });

    it('accepts the JSON:API media type with ext and profile parameters', async () => {
      const res = await createWs(
        `${JSON_API_MEDIA_TYPE}; profile="https://example.test/p"; ext="https://example.test/e"`,
      );
      assert.equal(res.status, 201, res.text);
      assertJsonApiResponse(res);
    });

    it('415 for the JSON:API media type with any other parameter', async () => {
      for (const type of [`${JSON_API_MEDIA_TYPE}; charset=utf-8`, `${JSON_API_MEDIA_TYPE}; version=1`]) {
        const before = await t.prisma.workspace.count({ where: { tenantId: world.tenantId } });
        expectError(await createWs(type), 415, 'unsupported_media_type');
        assert.equal(await t.prisma.workspace.count({ where: { tenantId: world.tenantId } }), before);
      }
    });

    it('415 for text/plain, form and missing-type bodies', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        expectError(await createWs(type), 415, 'unsupported_media_type');
      }
    });

    it('406 when Accept admits no JSON type; */*, application/json and JSON:API are fine', async () => {
      const get = (accept: string) =>
        request(t.app).get('/v2/users/me').set('Authorization', admin).set('Accept', accept);
      for (const accept of [
        'text/html',
        'application/xml, text/plain',
        `${JSON_API_MEDIA_TYPE}; charset=utf-8`,
      ]) {
        expectError(await get(accept), 406, 'not_acceptable');
      }
      for (const accept of [
        '*/*',
        'application/json',
        JSON_API_MEDIA_TYPE,
        'text/html, application/*;q=0.5',
      ]) {
        const res = await get(accept);
        assert.equal(res.status, 200, `${accept}: ${res.text}`);
        assertJsonApiResponse(res);
      }
    });

    it('answers with exactly application/vnd.api+json, no charset, and jsonapi.version 1.1', async () => {
      const responses = [
        await request(t.app).get('/v2/users/me').set('Authorization', admin),
        await request(t.app).get('/v2/permissions').set('Authorization', admin),
        await request(t.app).get('/v2/users/me'),
        await request(t.app).get('/v2/no-such-route').set('Authorization', admin),
        await send(t.app, admin, {
          method: 'POST',
          path: '/v2/authcheck',
          body: { meta: { checks: { a: { permission: 'tenants.user.get' } } } },
        }),
      ];
      for (const res of responses) {
        assert.equal(res.headers['content-type'], JSON_API_MEDIA_TYPE);
        assertJsonApiResponse(res);
        assert.equal(res.body.jsonapi?.version, '1.1', res.text);
      }
    });
  });

  describe('authentication', () => {
    const unauthorizedBodies: unknown[] = [];

    function expect401(res: request.Response) {
      expectError(res, 401, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], WWW_AUTHENTICATE);
      unauthorizedBodies.push(res.body);
    }

    it('401 with WWW-Authenticate for missing, malformed or wrong credentials, never saying which half', async () => {
      const { email, apiKey } = world.actors.member;
      const otherKey = world.actors.viewer.apiKey;
      const wrongSecret = `${apiKey.slice(0, -4)}AAAA`;
      const headers: (string | undefined)[] = [
        undefined,
        '',
        'Basic',
        'Basic !!!notbase64',
        `Basic ${Buffer.from(`${email}`).toString('base64')}`,
        basicAuth('nobody@example.test', apiKey), // wrong email, right key
        basicAuth(email, wrongSecret), // right email, wrong secret
        basicAuth(email, otherKey), // right email, another user's valid key
        basicAuth(email, 'ask_not-a-key'),
        `Bearer ${wrongSecret}`,
        'Bearer ',
        `Token ${apiKey}`,
      ];
      for (const header of headers) {
        expect401(await send(t.app, header, { method: 'GET', path: '/v2/users/me' }));
      }
      // Same document, whichever half was wrong.
      for (const body of unauthorizedBodies) assert.deepEqual(body, unauthorizedBodies[0]);
    });

    it('401 comes before any other check (authorization, query, body)', async () => {
      const wrong = basicAuth('nobody@example.test', world.actors.member.apiKey);
      expect401(
        await send(t.app, wrong, { method: 'GET', path: `/v2/workspaces/${world.workspaceId}?bogus=1` }),
      );
      expect401(
        await send(t.app, wrong, {
          method: 'POST',
          path: `/v2/tenants/${world.tenantId}/workspaces`,
          body: {},
        }),
      );
      expect401(await send(t.app, undefined, { method: 'DELETE', path: '/v2/workspaces/not-a-uuid' }));
    });

    it('accepts Basic email:key case-insensitively on the email, and Bearer key', async () => {
      const { email, apiKey, userId } = world.actors.member;
      for (const header of [
        basicAuth(email, apiKey),
        basicAuth(email.toUpperCase(), apiKey),
        `Bearer ${apiKey}`,
      ]) {
        const res = await send(t.app, header, { method: 'GET', path: '/v2/users/me' });
        assert.equal(res.status, 200, res.text);
        assertJsonApiResponse(res);
        assert.equal(res.body.data.id, userId);
        assert.equal(res.body.data.attributes.email, email);
      }
    });

    it('a revoked key stops working at once', async () => {
      const user = await createUser(t.prisma, world.tenantId, 'member');
      const second = await createApiKey(t.prisma, user.userId);
      const secondAuth = basicAuth(user.email, second);
      assert.equal((await send(t.app, secondAuth, { method: 'GET', path: '/v2/users/me' })).status, 200);
      const keyId = parseApiKey(second)?.keyId;
      const del = await send(t.app, user.auth, { method: 'DELETE', path: `/v2/users/me/api-keys/${keyId}` });
      assert.equal(del.status, 204, del.text);
      assertJsonApiResponse(del);
      expect401(await send(t.app, secondAuth, { method: 'GET', path: '/v2/users/me' }));
      expect401(await send(t.app, `Bearer ${second}`, { method: 'GET', path: '/v2/users/me' }));
      // The key that revoked it still works.
      assert.equal((await send(t.app, user.auth, { method: 'GET', path: '/v2/users/me' })).status, 200);
    });

    it('a key revoking itself is refused on its next request', async () => {
      const user = await createUser(t.prisma, world.tenantId, 'member');
      const keyId = parseApiKey(user.apiKey)?.keyId;
      const del = await send(t.app, user.auth, { method: 'DELETE', path: `/v2/users/me/api-keys/${keyId}` });
      assert.equal(del.status, 204, del.text);
      expect401(await send(t.app, user.auth, { method: 'GET', path: '/v2/users/me' }));
    });

    it('an expired key stops working', async () => {
      const user = await createUser(t.prisma, world.tenantId, 'member');
      assert.equal((await send(t.app, user.auth, { method: 'GET', path: '/v2/users/me' })).status, 200);
      const id = parseApiKey(user.apiKey)?.keyId as string;
      await t.prisma.apiKey.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect401(await send(t.app, user.auth, { method: 'GET', path: '/v2/users/me' }));
    });

    it('a key created with expires_at works until then', async () => {
      const user = await createUser(t.prisma, world.tenantId, 'member');
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const res = await send(t.app, user.auth, {
        method: 'POST',
        path: '/v2/users/me/api-keys',
        body: { data: { type: 'api-key', attributes: { name: 'short', expires_at: expiresAt } } },
      });
      assert.equal(res.status, 201, res.text);
      assertJsonApiResponse(res);
      assert.equal(res.body.data.attributes.expires_at, expiresAt);
      const fresh = basicAuth(user.email, res.body.data.attributes.key);
      assert.equal((await send(t.app, fresh, { method: 'GET', path: '/v2/users/me' })).status, 200);
      await t.prisma.apiKey.update({
        where: { id: res.body.data.id },
        data: { expiresAt: new Date(Date.now() - 1) },
      });
      expect401(await send(t.app, fresh, { method: 'GET', path: '/v2/users/me' }));
    });
  });

  describe('identifiers', () => {
    it('a malformed id in a path is 404, never 500', async () => {
      const T = world.tenantId;
      const W = world.workspaceId;
      const bad = ['not-a-uuid', '123', "1'%20OR%201=1", '00000000-0000-0000-0000-00000000000g', '%00'];
      for (const id of bad) {
        const paths: [string, string, unknown?][] = [
          ['GET', `/v2/tenants/${id}`],
          ['GET', `/v2/tenants/${id}/users`],
          ['GET', `/v2/users/${id}`],
          ['GET', `/v2/users/${id}/api-keys`],
          ['DELETE', `/v2/users/me/api-keys/${id}`],
          ['GET', `/v2/users/me/api-keys/${id}`],
          ['GET', `/v2/tenants/${id}/workspaces`],
          ['GET', `/v2/workspaces/${id}`],
          ['DELETE', `/v2/workspaces/${id}`],
          ['GET', `/v2/workspaces/${id}/memberships`],
          ['GET', `/v2/workspaces/${W}/memberships/${id}`],
          ['DELETE', `/v2/workspaces/${W}/memberships/${id}`],
          [
            'PATCH',
            `/v2/workspaces/${W}/memberships/${id}`,
            { data: { type: 'membership', id, attributes: { role: 'viewer' } } },
          ],
          ['GET', `/v2/tenants/${T}/roles/${id}`],
          ['DELETE', `/v2/tenants/${T}/roles/${id}`],
          [
            'PATCH',
            `/v2/tenants/${T}/roles/${id}`,
            { data: { type: 'role', id, attributes: { name: 'x' } } },
          ],
          ['GET', `/v2/permissions/${id}`],
        ];
        for (const [method, path, body] of paths) {
          const res = await send(t.app, admin, { method: method as 'GET', path, body });
          expectError(res, 404);
        }
      }
    });

    it('ids are UUID strings', async () => {
      const res = await send(t.app, admin, {
        method: 'GET',
        path: `/v2/workspaces/${world.workspaceId}/memberships`,
      });
      assert.equal(res.status, 200);
      assertJsonApiResponse(res);
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      for (const m of res.body.data) {
        assert.match(m.id, uuid);
        assert.match(m.relationships.user.data.id, uuid);
        assert.match(m.relationships.workspace.data.id, uuid);
      }
    });
  });

  describe('query parameters', () => {
    it('400 with source.parameter for unknown parameters, each one reported', async () => {
      const res = await send(t.app, admin, {
        method: 'GET',
        path: `/v2/tenants/${world.tenantId}/users?foo=1&sort=name&include=tenant&filter[nope]=x&page[number]=2`,
      });
      const errors = expectError(res, 400);
      assert.deepEqual(
        errors.map((e) => e.source?.parameter).sort(),
        ['filter[nope]', 'foo', 'include', 'page[number]', 'sort'].sort(),
      );
      for (const e of errors) assert.equal(e.status, '400');
    });

    it('400 for query parameters on routes that take none, and page[] on unpaginated routes', async () => {
      for (const path of ['/v2/users/me?x=1', `/v2/workspaces/${world.workspaceId}?page[size]=5`]) {
        const errors = expectError(await send(t.app, admin, { method: 'GET', path }), 400);
        assert.ok(errors[0]?.source?.parameter, `${path}: no source.parameter`);
      }
      const post = await send(t.app, admin, {
        method: 'POST',
        path: `/v2/tenants/${world.tenantId}/workspaces?dry_run=1`,
        body: wsBody(),
      });
      assert.equal(expectError(post, 400)[0]?.source?.parameter, 'dry_run');
    });

    it('page[size] must be an integer from 1 to 200', async () => {
      const base = `/v2/tenants/${world.tenantId}/workspaces`;
      for (const size of ['0', '201', 'abc', '-1', '1.5', '', '%201', '99999']) {
        const errors = expectError(
          await send(t.app, admin, { method: 'GET', path: `${base}?page[size]=${size}` }),
          400,
        );
        assert.equal(errors[0]?.source?.parameter, 'page[size]');
      }
      for (const size of ['1', '200']) {
        const res = await send(t.app, admin, { method: 'GET', path: `${base}?page[size]=${size}` });
        assert.equal(res.status, 200, res.text);
        assertJsonApiResponse(res);
      }
    });

    it('400 for a page[cursor] the service did not issue', async () => {
      const base = `/v2/tenants/${world.tenantId}/workspaces`;
      for (const cursor of ['abc', 'not a cursor', Buffer.from('x').toString('base64url')]) {
        const res = await send(t.app, admin, {
          method: 'GET',
          path: `${base}?page[cursor]=${encodeURIComponent(cursor)}`,
        });
        assert.equal(expectError(res, 400)[0]?.source?.parameter, 'page[cursor]');
      }
    });

    it('a repeated parameter is 400, not a crash', async () => {
      const res = await send(t.app, admin, {
        method: 'GET',
        path: `/v2/tenants/${world.tenantId}/workspaces?page[size]=1&page[size]=2`,
      });
      assert.equal(expectError(res, 400)[0]?.source?.parameter, 'page[size]');
    });

    it('accepts brackets raw and percent-encoded', async () => {
      const base = `/v2/tenants/${world.tenantId}/users`;
      const email = world.actors.viewer.email;
      const forms = [
        `${base}?filter[email]=${encodeURIComponent(email)}&page[size]=1`,
        `${base}?filter%5Bemail%5D=${encodeURIComponent(email)}&page%5Bsize%5D=1`,
        `${base}?filter%5bemail%5d=${encodeURIComponent(email)}&page%5bsize%5d=1`,
      ];
      for (const path of forms) {
        const res = await send(t.app, admin, { method: 'GET', path });
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        assertJsonApiResponse(res);
        assert.deepEqual(
          res.body.data.map((u: { id: string }) => u.id),
          [world.actors.viewer.userId],
        );
      }
    });
  });

  describe('pagination', () => {
    it('links.next walks every item exactly once and stops (page[size]=3, 7 items)', async () => {
      // A tenant of its own so the count is exact.
      const { tenantId, admin: a } = await createTenant(t.prisma);
      const created = new Set<string>();
      for (let i = 0; i < 7; i++) created.add(await createWorkspace(t.prisma, tenantId, a.userId));
      const seen: string[] = [];
      let path: string | undefined = `/v2/tenants/${tenantId}/workspaces?page[size]=3`;
      let pages = 0;
      while (path) {
        const res = await send(t.app, a.auth, { method: 'GET', path });
        assert.equal(res.status, 200, res.text);
        assertJsonApiResponse(res);
        pages += 1;
        assert.ok(res.body.data.length <= 3, `page of ${res.body.data.length}`);
        seen.push(...res.body.data.map((w: { id: string }) => w.id));
        const next: string | undefined = res.body.links?.next ?? undefined;
        if (next) {
          assert.ok(next.startsWith(`${PUBLIC_URL}/v2/tenants/${tenantId}/workspaces?`), next);
          assert.ok(!/[[\]]/.test(next), `brackets must be percent-encoded: ${next}`);
          // The page size is carried over.
          assert.match(next, /page%5Bsize%5D=3/);
        }
        path = next ? pathOf(next) : undefined;
        assert.ok(pages <= 4, 'pagination does not terminate');
      }
      assert.equal(pages, 3);
      assert.equal(seen.length, 7);
      assert.deepEqual(new Set(seen), created);
    });

    it('a cursor stays valid when items are inserted meanwhile', async () => {
      const { tenantId, admin: a } = await createTenant(t.prisma);
      const first: string[] = [];
      for (let i = 0; i < 4; i++) first.push(await createWorkspace(t.prisma, tenantId, a.userId));
      const page1 = await send(t.app, a.auth, {
        method: 'GET',
        path: `/v2/tenants/${tenantId}/workspaces?page[size]=2`,
      });
      assert.equal(page1.status, 200);
      const late = await createWorkspace(t.prisma, tenantId, a.userId);
      const seen = page1.body.data.map((w: { id: string }) => w.id);
      let next: string | undefined = page1.body.links.next;
      while (next) {
        const res = await send(t.app, a.auth, { method: 'GET', path: pathOf(next) });
        assert.equal(res.status, 200, res.text);
        assertJsonApiResponse(res);
        seen.push(...res.body.data.map((w: { id: string }) => w.id));
        next = res.body.links.next;
      }
      assert.deepEqual(seen, [...first, late]);
    });

    it('default page size is 50', async () => {
      const { tenantId, admin: a } = await createTenant(t.prisma);
      await t.prisma.user.createMany({
        data: Array.from({ length: 51 }, () => ({
          tenantId,
          email: `${uniqueName('bulk')}@example.test`,
          name: 'Bulk',
          tenantRole: 'member' as const,
        })),
      });
      const res = await send(t.app, a.auth, { method: 'GET', path: `/v2/tenants/${tenantId}/users` });
      assert.equal(res.status, 200);
      assertJsonApiResponse(res);
      assert.equal(res.body.data.length, 50);
      assert.ok(res.body.links.next, 'no links.next');
      const rest = await send(t.app, a.auth, { method: 'GET', path: pathOf(res.body.links.next) });
      assert.equal(rest.body.data.length, 2);
      assert.equal(rest.body.links.next, undefined);
    });
  });

  describe('links', () => {
    const collections = (w: World) => [
      `/v2/tenants/${w.tenantId}/users`,
      '/v2/users/me/api-keys',
      `/v2/users/${w.subject.userId}/api-keys`,
      `/v2/tenants/${w.tenantId}/workspaces`,
      `/v2/workspaces/${w.workspaceId}/memberships`,
      '/v2/permissions',
      `/v2/tenants/${w.tenantId}/roles`,
    ];

    it('every collection carries links.self: its own absolute URL under PUBLIC_URL', async () => {
      for (const path of collections(world)) {
        const res = await send(t.app, admin, { method: 'GET', path });
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        assertJsonApiResponse(res);
        assert.ok(Array.isArray(res.body.data), `${path}: data is not an array`);
        assert.equal(res.body.links?.self, `${PUBLIC_URL}${path}`);
      }
      const filtered = `/v2/tenants/${world.tenantId}/users?filter[email]=a%40b.test&page[size]=5`;
      const res = await send(t.app, admin, { method: 'GET', path: filtered });
      assert.equal(res.status, 200, res.text);
      assertJsonApiResponse(res);
      assert.equal(
        res.body.links.self,
        `${PUBLIC_URL}/v2/tenants/${world.tenantId}/users?filter%5Bemail%5D=a%40b.test&page%5Bsize%5D=5`,
      );
    });

    it('every resource links.self and relationship links.related resolves to a real route', async () => {
      const links = new Set<string>();
      for (const path of [...collections(world), '/v2/users/me', `/v2/tenants/${world.tenantId}`]) {
        const res = await send(t.app, admin, { method: 'GET', path });
        assert.equal(res.status, 200, res.text);
        const data = Array.isArray(res.body.data) ? res.body.data : [res.body.data];
        assert.ok(data.length > 0, `${path} returned no data to check`);
        for (const r of data) {
          assert.ok(r.links?.self, `${r.type} ${r.id} has no links.self`);
          links.add(r.links.self);
          for (const rel of Object.values(r.relationships ?? {}) as { links?: { related?: string } }[]) {
            assert.ok(rel.links?.related, `${r.type} ${r.id} has a relationship without links.related`);
            links.add(rel.links.related);
          }
        }
      }
      for (const link of links) {
        assert.ok(link.startsWith(`${PUBLIC_URL}/v2/`), link);
        const res = await send(t.app, admin, { method: 'GET', path: pathOf(link) });
        assert.equal(res.status, 200, `${link}: ${res.text}`);
        assertJsonApiResponse(res);
        assert.equal(res.body.data.links.self, link);
      }
    });

    it('without PUBLIC_URL, links are built from the request scheme and host', async () => {
      const plain = await createTestApp();
      try {
        const res = await request(plain.app)
          .get('/v2/users/me')
          .set('Authorization', admin)
          .set('Host', 'svc.local:8443');
        assert.equal(res.status, 200, res.text);
        assertJsonApiResponse(res);
        assert.equal(res.body.data.links.self, `http://svc.local:8443/v2/users/${world.actors.admin.userId}`);
        // A Host header that is not a plain host[:port] never reaches a link.
        const evil = await request(plain.app)
          .get('/v2/users/me')
          .set('Authorization', admin)
          .set('Host', 'evil.test/x?');
        if (evil.status === 200) {
          assertJsonApiResponse(evil);
          assert.ok(!JSON.stringify(evil.body).includes('evil.test'), evil.text);
        }
      } finally {
        await plain.close();
      }
    });
  });

  describe('sparse fieldsets', () => {
    it('fields[TYPE] limits attributes and relationships', async () => {
      const res = await send(t.app, admin, { method: 'GET', path: '/v2/users/me?fields[user]=email' });
      assert.equal(res.status, 200, res.text);
      assertJsonApiResponse(res);
      assert.deepEqual(res.body.data.attributes, { email: world.actors.admin.email });
      assert.equal(res.body.data.relationships, undefined);
      assert.equal(res.body.data.links.self, `${PUBLIC_URL}/v2/users/${world.actors.admin.userId}`);

      const rel = await send(t.app, admin, {
        method: 'GET',
        path: `/v2/workspaces/${world.workspaceId}/memberships?fields[membership]=role,user`,
      });
      assert.equal(rel.status, 200, rel.text);
      assertJsonApiResponse(rel);
      for (const m of rel.body.data) {
        assert.deepEqual(Object.keys(m.attributes), ['role']);
        assert.deepEqual(Object.keys(m.relationships), ['user']);
      }
    });

    it('fields[TYPE] works on every GET, and names of another type leave this one alone', async () => {
      const res = await send(t.app, admin, {
        method: 'GET',
        path: `/v2/tenants/${world.tenantId}?fields[user]=email`,
      });
      assert.equal(res.status, 200, res.text);
      assertJsonApiResponse(res);
      assert.ok(res.body.data.attributes.name, res.text);
      const ws = await send(t.app, admin, {
        method: 'GET',
        path: `/v2/workspaces/${world.workspaceId}?fields%5Bworkspace%5D=name`,
      });
      assert.equal(ws.status, 200, ws.text);
      assert.deepEqual(Object.keys(ws.body.data.attributes), ['name']);
    });

    it('400 for unknown types or fields in fields[TYPE]', async () => {
      for (const q of ['fields[user]=password', 'fields[nope]=x', 'fields[user]=email,secret_hash']) {
        const errors = expectError(
          await send(t.app, admin, { method: 'GET', path: `/v2/users/me?${q}` }),
          400,
        );
        assert.equal(errors[0]?.source?.parameter, q.split('=')[0]);
      }
    });
  });

  describe('request ids', () => {
    it('echoes a client X-Request-Id and generates one otherwise, on every response', async () => {
      const echoed = await send(t.app, admin, {
        method: 'GET',
        path: '/v2/users/me',
        headers: { 'X-Request-Id': 'client-id-123' },
      });
      assert.equal(echoed.headers['x-request-id'], 'client-id-123');
      const responses = [
        await send(t.app, admin, { method: 'GET', path: '/v2/users/me' }),
        await send(t.app, undefined, { method: 'GET', path: '/v2/users/me' }),
        await send(t.app, admin, { method: 'GET', path: '/v2/nowhere' }),
        await send(t.app, admin, { method: 'POST', path: '/v2/authcheck', body: '{' }),
        await request(t.app).get('/healthz'),
        await request(t.app).get('/v2/users/me').set('Authorization', admin).set('Accept', 'text/html'),
        await send(t.app, admin, {
          method: 'POST',
          path: '/v2/authcheck',
          body: '{}',
          contentType: 'text/plain',
        }),
      ];
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 401, 404, 400, 200, 406, 415],
      );
      const ids = responses.map((r) => r.headers['x-request-id']);
      for (const id of ids) assert.match(String(id), /^[A-Za-z0-9._:-]{8,128}$/);
      assert.equal(new Set(ids).size, ids.length);
    });
  });

  describe('body limit', () => {
    it('413 for a body over BODY_LIMIT_BYTES, as a JSON:API error, changing nothing', async () => {
      const small = await createTestApp({ BODY_LIMIT_BYTES: '2048' });
      try {
        const before = await t.prisma.workspace.count({ where: { tenantId: world.tenantId } });
        const big = {
          data: { type: 'workspace', attributes: { name: 'x' } },
          meta: { pad: 'y'.repeat(3000) },
        };
        for (const contentType of [JSON_API_MEDIA_TYPE, 'application/json']) {
          const res = await send(small.app, admin, {
            method: 'POST',
            path: `/v2/tenants/${world.tenantId}/workspaces`,
            body: big,
            contentType,
          });
          expectError(res, 413, 'payload_too_large');
        }
        assert.equal(await t.prisma.workspace.count({ where: { tenantId: world.tenantId } }), before);
        // Just under the limit is fine.
        const ok = await send(small.app, admin, {
          method: 'POST',
          path: `/v2/tenants/${world.tenantId}/workspaces`,
          body: { ...wsBody(), meta: { pad: 'y'.repeat(1500) } },
        });
        assert.equal(ok.status, 201, ok.text);
      } finally {
        await small.close();
      }
    });

    it('the default limit is 1 MiB', async () => {
      const res = await send(t.app, admin, {
        method: 'POST',
        path: `/v2/tenants/${world.tenantId}/workspaces`,
        body: { ...wsBody(), meta: { pad: 'y'.repeat(1024 * 1024) } },
      });
      expectError(res, 413, 'payload_too_large');
    });
  });

  describe('timestamps', () => {
    it('created_at and updated_at are RFC 3339 UTC on every resource', async () => {
      const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
      for (const path of [
        '/v2/users/me',
        `/v2/tenants/${world.tenantId}`,
        `/v2/workspaces/${world.workspaceId}`,
      ]) {
        const res = await send(t.app, admin, { method: 'GET', path });
        assertJsonApiResponse(res);
        assert.match(res.body.data.attributes.created_at, rfc3339Utc);
        assert.match(res.body.data.attributes.updated_at, rfc3339Utc);
      }
    });
  });
});
