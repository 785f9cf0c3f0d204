import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type request from 'supertest';
import { authClientAad } from '../../src/crypto/aad.js';
import { DecryptionError, open } from '../../src/crypto/envelope.js';
import { openClientSecret } from '../../src/modules/auth-clients/client-secret.js';
import {
  type Actor,
  createApiKey,
  createClient,
  createSecret,
  createTenant,
  createUser,
  createWorkspace,
  type Http,
  httpFor,
  JSONAPI,
  oauth2ClientAttributes,
  pathOf,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { basicAuth, marker, secretMarker, seenResponses, track } from '../support/secrets.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';

describe('auth-clients (API.md §3)', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let member: Actor;
  let otherTenant: { tenantId: string; admin: Actor };
  const clientSecrets: string[] = [];
  const base = () => `/v2/tenants/${tenantId}/auth-clients`;

  const post = async (
    attributes: Record<string, unknown>,
    auth = admin.auth,
    extra: Record<string, unknown> = {},
  ) =>
    track(
      await http
        .post(base())
        .set('Authorization', auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-client', attributes, ...extra } }),
    );
  const patch = async (id: string, data: Record<string, unknown>, auth = admin.auth) =>
    track(
      await http
        .patch(`${base()}/${id}`)
        .set('Authorization', auth)
        .set('Content-Type', JSONAPI)
        .send({ data }),
    );
  const newOAuth2 = (overrides: Record<string, unknown> = {}) => {
    const attrs = oauth2ClientAttributes(overrides);
    clientSecrets.push(attrs.oauth2.client_secret as string);
    return attrs;
  };

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    member = await createUser(t.prisma, tenantId, 'member');
    otherTenant = await createTenant(t.prisma);
  });

  after(async () => {
    // No client_secret ever reaches a response or a log line.
    const haystacks = [...seenResponses, ...capturedLogs];
    for (const secret of clientSecrets) {
      assert.ok(
        !haystacks.some((h) => h.includes(secret)),
        'a client_secret leaked into a response or log line',
      );
    }
    await t.close();
  });

  describe('create', () => {
    it('creates an oauth2 client; client_secret is write-only', async () => {
      const attrs = newOAuth2({
        scopes: ['read', 'write'],
        authorize_url: 'https://auth.example.test/authorize',
      });
      const res = await post(attrs);
      assertJsonApiResponse(res);
      assert.equal(res.status, 201);
      assert.equal(res.headers['content-type'], JSONAPI);
      const data = res.body.data;
      assert.equal(res.headers.location, data.links.self);
      assert.equal(data.type, 'auth-client');
      assert.deepEqual(Object.keys(data.attributes).sort(), [
        'auth_type',
        'created_at',
        'credentials_schema',
        'name',
        'oauth2',
        'updated_at',
      ]);
      assert.equal(data.attributes.name, attrs.name);
      assert.equal(data.attributes.auth_type, 'oauth2');
      assert.deepEqual(data.attributes.oauth2, {
        client_id: attrs.oauth2.client_id,
        client_secret_set: true,
        token_url: 'https://auth.example.test/oauth/token',
        authorize_url: 'https://auth.example.test/authorize',
        scopes: ['read', 'write'],
        auth_method: 'client_secret_basic',
        // The §10.1 members with their defaults (test/auth-clients/oauth2-settings.test.ts sets them).
        grant_type: 'authorization_code',
        authorize_params: {},
        token_params: {},
        refresh_params: {},
        default_expires_in: null,
        refresh_margin_seconds: null,
        refresh_every_seconds: null,
        revocation_url: null,
        redirect_uri: `${new URL(data.links.self).origin}/v2/oauth/callback`,
      });
      assert.ok(!res.text.includes(attrs.oauth2.client_secret as string));
      assert.equal(data.relationships.tenant.data.id, tenantId);
      const tenantRes = await http
        .get(pathOf(data.relationships.tenant.links.related))
        .set('Authorization', admin.auth);
      assertJsonApiResponse(tenantRes);
      assert.equal(tenantRes.status, 200);
      const self = track(await http.get(pathOf(data.links.self)).set('Authorization', admin.auth));
      assertJsonApiResponse(self);
      assert.equal(self.status, 200);
      // supertest listens on a new port per request: redirect_uri's origin follows the request.
      const samePath = (a: { oauth2: { redirect_uri: string } }) => ({
        ...a,
        oauth2: { ...a.oauth2, redirect_uri: new URL(a.oauth2.redirect_uri).pathname },
      });
      assert.deepEqual(samePath(self.body.data.attributes), samePath(data.attributes));
    });

    it('creates an `other` client with oauth2 null, and accepts an explicit oauth2: null', async () => {
      for (const attributes of [
        { name: marker('other'), auth_type: 'other' },
        { name: marker('other'), auth_type: 'other', oauth2: null },
      ]) {
        const res = await post(attributes);
        assertJsonApiResponse(res);
        assert.equal(res.status, 201);
        assert.equal(res.body.data.attributes.auth_type, 'other');
        assert.equal(res.body.data.attributes.oauth2, null);
      }
    });

    it('accepts application/json and client_secret_post', async () => {
      const attrs = newOAuth2({ auth_method: 'client_secret_post' });
      const res = track(
        await http
          .post(base())
          .set('Authorization', admin.auth)
          .set('Content-Type', 'application/json')
          .send({ data: { type: 'auth-client', attributes: attrs } }),
      );
      assertJsonApiResponse(res);
      assert.equal(res.status, 201);
      assert.equal(res.body.data.attributes.oauth2.auth_method, 'client_secret_post');
    });

    it('reports every problem with its pointer (422)', async () => {
      const res = await post({
        name: '',
        auth_type: 'oauth2',
        oauth2: {
          client_id: '',
          token_url: 'not a url',
          scopes: ['ok', 'ok', 'has space'],
          auth_method: 'x',
          extra: 1,
        },
      });
      const errors = expectError(res, 422);
      const pointers = errors.map((e) => e.source?.pointer).sort();
      for (const p of [
        '/data/attributes/name',
        '/data/attributes/oauth2/client_id',
        '/data/attributes/oauth2/client_secret',
        '/data/attributes/oauth2/token_url',
        '/data/attributes/oauth2/scopes',
        '/data/attributes/oauth2/scopes/2',
        '/data/attributes/oauth2/auth_method',
        '/data/attributes/oauth2/extra',
      ]) {
        assert.ok(pointers.includes(p), `missing ${p} in ${pointers.join(', ')}`);
      }
    });

    it('requires oauth2 settings for oauth2 clients and refuses them for `other` clients', async () => {
      const missing = expectError(
        await post({ name: marker('c'), auth_type: 'oauth2' }),
        422,
        'missing_member',
      );
      assert.equal(missing[0]?.source?.pointer, '/data/attributes/oauth2');
      const extra = expectError(
        await post({ name: marker('c'), auth_type: 'other', oauth2: { client_id: 'x' } }),
        422,
      );
      assert.equal(extra[0]?.source?.pointer, '/data/attributes/oauth2');
      const badType = expectError(await post({ name: marker('c'), auth_type: 'basic' }), 422);
      assert.equal(badType[0]?.source?.pointer, '/data/attributes/auth_type');
      const typeAttr = expectError(await post({ name: marker('c'), type: 'oauth2' }), 422);
      assert.ok(typeAttr.some((e) => e.source?.pointer === '/data/attributes/type'));
    });

    it('requires https token URLs; loopback http only when allowed', async () => {
      const cases: [string, string][] = [
        ['http://auth.example.test/token', 'insecure_url'],
        ['ftp://auth.example.test/token', 'insecure_url'],
        ['https://user:pass@auth.example.test/token', 'invalid_url'],
        ['https://auth.example.test/token#frag', 'invalid_url'],
      ];
      for (const [url, code] of cases) {
        const errors = expectError(await post(newOAuth2({ token_url: url })), 422, code);
        assert.equal(errors[0]?.source?.pointer, '/data/attributes/oauth2/token_url');
      }
      const authorize = expectError(
        await post(newOAuth2({ authorize_url: 'http://auth.example.test/a' })),
        422,
        'insecure_url',
      );
      assert.equal(authorize[0]?.source?.pointer, '/data/attributes/oauth2/authorize_url');
      for (const url of ['http://127.0.0.1:8080/token', 'http://localhost:9/token', 'http://[::1]/token']) {
        const res = await post(newOAuth2({ token_url: url }));
        assertJsonApiResponse(res);
        assert.equal(res.status, 201, url);
        assert.equal(res.body.data.attributes.oauth2.token_url, url);
      }
      const strict = await createTestApp({ OAUTH_ALLOW_LOOPBACK_HTTP: 'false' });
      try {
        const res = track(
          await httpFor(strict)
            .post(base())
            .set('Authorization', admin.auth)
            .send({
              data: {
                type: 'auth-client',
                attributes: newOAuth2({ token_url: 'http://127.0.0.1:8080/token' }),
              },
            }),
        );
        const errors = expectError(res, 422, 'insecure_url');
        assert.match(errors[0]?.detail ?? '', /OAUTH_ALLOW_LOOPBACK_HTTP/);
      } finally {
        await strict.close();
      }
    });

    it('refuses a duplicate name (409), a wrong type (409) and a client-generated id (403)', async () => {
      const attrs = newOAuth2();
      await createClient(http, admin.auth, tenantId, attrs);
      expectError(await post({ ...attrs, oauth2: { ...attrs.oauth2 } }), 409, 'name_taken');
      const wrongType = track(
        await http
          .post(base())
          .set('Authorization', admin.auth)
          .send({ data: { type: 'auth-secret', attributes: newOAuth2() } }),
      );
      expectError(wrongType, 409, 'type_mismatch');
      expectError(
        await post(newOAuth2(), admin.auth, { id: '0190a3b4-0000-7000-8000-000000000000' }),
        403,
        'client_generated_id',
      );
    });
  });

  describe('list and get', () => {
    let ids: string[];
    let listTenant: { tenantId: string; admin: Actor };
    before(async () => {
      listTenant = await createTenant(t.prisma);
      ids = [];
      for (let i = 0; i < 3; i++)
        ids.push((await createClient(http, listTenant.admin.auth, listTenant.tenantId, newOAuth2())).id);
      ids.push(
        (
          await createClient(http, listTenant.admin.auth, listTenant.tenantId, {
            name: marker('o'),
            auth_type: 'other',
          })
        ).id,
      );
    });

    it("pages through the tenant's clients with cursor links", async () => {
      const seen: string[] = [];
      let next: string | undefined = `/v2/tenants/${listTenant.tenantId}/auth-clients?page[size]=3`;
      while (next) {
        const res: request.Response = track(await http.get(next).set('Authorization', listTenant.admin.auth));
        assertJsonApiResponse(res);
        assert.equal(res.status, 200);
        assert.ok(res.body.links.self);
        seen.push(...res.body.data.map((d: { id: string }) => d.id));
        for (const d of res.body.data) assert.ok(!('client_secret' in (d.attributes.oauth2 ?? {})));
        next = res.body.links.next ? pathOf(res.body.links.next) : undefined;
      }
      assert.deepEqual(seen, ids);
    });

    it('filters by auth_type and name; unknown parameters are 400', async () => {
      const res = track(
        await http
          .get(`/v2/tenants/${listTenant.tenantId}/auth-clients?filter[auth_type]=other`)
          .set('Authorization', listTenant.admin.auth),
      );
      assertJsonApiResponse(res);
      assert.deepEqual(
        res.body.data.map((d: { id: string }) => d.id),
        [ids[3]],
      );
      const bad = track(
        await http
          .get(`/v2/tenants/${listTenant.tenantId}/auth-clients?filter[auth_type]=x&foo=1`)
          .set('Authorization', listTenant.admin.auth),
      );
      const errors = expectError(bad, 400);
      assert.deepEqual(errors.map((e) => e.source?.parameter).sort(), ['filter[auth_type]', 'foo']);
    });

    it('supports sparse fieldsets', async () => {
      const res = track(
        await http
          .get(`/v2/tenants/${listTenant.tenantId}/auth-clients/${ids[0]}?fields[auth-client]=name`)
          .set('Authorization', listTenant.admin.auth),
      );
      assertJsonApiResponse(res);
      assert.deepEqual(Object.keys(res.body.data.attributes), ['name']);
    });

    it("is 404 for malformed ids, unknown ids and other tenants' clients", async () => {
      for (const path of [
        `/v2/tenants/${listTenant.tenantId}/auth-clients/not-a-uuid`,
        `/v2/tenants/${listTenant.tenantId}/auth-clients/0190a3b4-0000-7000-8000-000000000000`,
        `${base()}/${ids[0]}`,
      ]) {
        expectError(track(await http.get(path).set('Authorization', admin.auth)), 404);
      }
      // The other tenant's admin cannot reach this tenant's clients at all.
      expectError(
        track(
          await http.get(`/v2/tenants/${listTenant.tenantId}/auth-clients`).set('Authorization', admin.auth),
        ),
        404,
      );
    });
  });

  describe('patch', () => {
    it('renames and merges oauth2 members; auth_type is immutable', async () => {
      const created = await createClient(http, admin.auth, tenantId, newOAuth2({ scopes: ['a'] }));
      const before = await t.prisma.authClient.findUniqueOrThrow({ where: { id: created.id } });
      const newSecret = secretMarker('rotated-client-secret');
      clientSecrets.push(newSecret);
      const res = await patch(created.id, {
        type: 'auth-client',
        id: created.id,
        attributes: {
          name: marker('renamed'),
          auth_type: 'oauth2',
          oauth2: {
            scopes: ['b', 'c'],
            client_secret: newSecret,
            auth_method: 'client_secret_post',
            authorize_url: null,
          },
        },
      });
      assertJsonApiResponse(res);
      assert.equal(res.status, 200);
      const o = res.body.data.attributes.oauth2;
      assert.deepEqual(o.scopes, ['b', 'c']);
      assert.equal(o.auth_method, 'client_secret_post');
      assert.equal(o.client_id, created.attributes.oauth2.client_id);
      assert.equal(o.token_url, created.attributes.oauth2.token_url);
      assert.equal(o.client_secret_set, true);
      const row = await t.prisma.authClient.findUniqueOrThrow({ where: { id: created.id } });
      assert.equal(openClientSecret(t.keyRing, row, row.clientSecretSealed as Uint8Array), newSecret);
      assert.notDeepEqual(row.clientSecretSealed, before.clientSecretSealed);

      const immutable = expectError(
        await patch(created.id, { type: 'auth-client', id: created.id, attributes: { auth_type: 'other' } }),
        409,
        'auth_type_immutable',
      );
      assert.equal(immutable[0]?.source?.pointer, '/data/attributes/auth_type');
      const unchanged = await t.prisma.authClient.findUniqueOrThrow({ where: { id: created.id } });
      assert.equal(unchanged.authType, 'oauth2');
    });

    it('checks type and id (409), and 404s before looking at the document', async () => {
      const created = await createClient(http, admin.auth, tenantId, newOAuth2());
      expectError(
        await patch(created.id, { type: 'auth-secret', id: created.id, attributes: {} }),
        409,
        'type_mismatch',
      );
      expectError(
        await patch(created.id, {
          type: 'auth-client',
          id: '0190a3b4-0000-7000-8000-000000000000',
          attributes: {},
        }),
        409,
        'id_mismatch',
      );
      expectError(
        await patch('0190a3b4-0000-7000-8000-000000000000', {
          type: 'auth-client',
          id: '0190a3b4-0000-7000-8000-000000000000',
        }),
        404,
      );
      expectError(await patch(created.id, { type: 'auth-client' }), 400);
    });

    it('refuses oauth2 settings on `other` clients, null settings on oauth2 ones, and insecure URLs', async () => {
      const other = await createClient(http, admin.auth, tenantId, { name: marker('o'), auth_type: 'other' });
      expectError(
        await patch(other.id, {
          type: 'auth-client',
          id: other.id,
          attributes: { oauth2: { client_id: 'x' } },
        }),
        422,
        'oauth2_not_allowed',
      );
      const oauth = await createClient(http, admin.auth, tenantId, newOAuth2());
      expectError(
        await patch(oauth.id, { type: 'auth-client', id: oauth.id, attributes: { oauth2: null } }),
        422,
        'oauth2_required',
      );
      expectError(
        await patch(oauth.id, {
          type: 'auth-client',
          id: oauth.id,
          attributes: { oauth2: { token_url: 'http://evil.example/t' } },
        }),
        422,
        'insecure_url',
      );
      const row = await t.prisma.authClient.findUniqueOrThrow({ where: { id: oauth.id } });
      assert.equal(row.tokenUrl, 'https://auth.example.test/oauth/token');
    });

    it('refuses a name another client has (409)', async () => {
      const a = await createClient(http, admin.auth, tenantId, newOAuth2());
      const b = await createClient(http, admin.auth, tenantId, newOAuth2());
      expectError(
        await patch(b.id, { type: 'auth-client', id: b.id, attributes: { name: a.attributes.name } }),
        409,
        'name_taken',
      );
    });
  });

  describe('delete', () => {
    it('deletes an unused client (204) and refuses one with secrets (409)', async () => {
      const unused = await createClient(http, admin.auth, tenantId, newOAuth2());
      const del = track(await http.delete(`${base()}/${unused.id}`).set('Authorization', admin.auth));
      assertJsonApiResponse(del);
      assert.equal(del.status, 204);
      expectError(track(await http.get(`${base()}/${unused.id}`).set('Authorization', admin.auth)), 404);

      const used = await createClient(http, admin.auth, tenantId, newOAuth2());
      const ws = await createWorkspace(t.prisma, tenantId, admin.userId);
      const secret = await createSecret(http, admin.auth, ws, used.id);
      expectError(
        track(await http.delete(`${base()}/${used.id}`).set('Authorization', admin.auth)),
        409,
        'auth_client_in_use',
      );
      assert.ok(await t.prisma.authClient.findUnique({ where: { id: used.id } }));
      const delSecret = track(
        await http.delete(`/v2/workspaces/${ws}/secrets/${secret.id}`).set('Authorization', admin.auth),
      );
      assert.equal(delSecret.status, 204);
      const delClient = track(await http.delete(`${base()}/${used.id}`).set('Authorization', admin.auth));
      assertJsonApiResponse(delClient);
      assert.equal(delClient.status, 204);
    });

    it("is 404 for another tenant's client", async () => {
      const theirs = await createClient(http, otherTenant.admin.auth, otherTenant.tenantId, newOAuth2());
      expectError(track(await http.delete(`${base()}/${theirs.id}`).set('Authorization', admin.auth)), 404);
      assert.ok(await t.prisma.authClient.findUnique({ where: { id: theirs.id } }));
    });
  });

  describe('permissions', () => {
    it('tenant members may read but not write; scoped keys only what their scopes allow', async () => {
      const c = await createClient(http, admin.auth, tenantId, newOAuth2());
      const list = track(await http.get(base()).set('Authorization', member.auth));
      assertJsonApiResponse(list);
      assert.equal(list.status, 200);
      const one = track(await http.get(`${base()}/${c.id}`).set('Authorization', member.auth));
      assertJsonApiResponse(one);
      assert.equal(one.status, 200);
      expectError(await post(newOAuth2(), member.auth), 403, 'forbidden');
      expectError(
        await patch(c.id, { type: 'auth-client', id: c.id, attributes: { name: 'x' } }, member.auth),
        403,
      );
      expectError(track(await http.delete(`${base()}/${c.id}`).set('Authorization', member.auth)), 403);

      const scopedKey = await createApiKey(t.prisma, admin.userId, ['tenants.auth_client.get']);
      const scoped = basicAuth(admin.email, scopedKey);
      const scopedList = track(await http.get(base()).set('Authorization', scoped));
      assert.equal(scopedList.status, 200);
      expectError(await post(newOAuth2(), scoped), 403);
      expectError(track(await http.delete(`${base()}/${c.id}`).set('Authorization', scoped)), 403);
    });

    it('other tenants get 404 on every route; no credentials get 401', async () => {
      const c = await createClient(http, admin.auth, tenantId, newOAuth2());
      const outsider = otherTenant.admin.auth;
      expectError(track(await http.get(base()).set('Authorization', outsider)), 404);
      expectError(track(await http.get(`${base()}/${c.id}`).set('Authorization', outsider)), 404);
      expectError(await post(newOAuth2(), outsider), 404);
      expectError(
        await patch(c.id, { type: 'auth-client', id: c.id, attributes: { name: 'x' } }, outsider),
        404,
      );
      expectError(track(await http.delete(`${base()}/${c.id}`).set('Authorization', outsider)), 404);
      const anon = track(await http.get(base()));
      expectError(anon, 401);
      assert.ok(await t.prisma.authClient.findUnique({ where: { id: c.id } }));
    });
  });

  describe('encryption at rest', () => {
    it('stores the client secret sealed and bound to its row', async () => {
      const attrsA = newOAuth2();
      const a = await createClient(http, admin.auth, tenantId, attrsA);
      const b = await createClient(http, admin.auth, tenantId, newOAuth2());
      const rows = await t.prisma.$queryRaw<{ id: string; row: string; sealed: Buffer }[]>`
        SELECT id::text, row_to_json(c)::text AS row, client_secret_sealed AS sealed FROM auth_clients c WHERE id IN (${a.id}::uuid, ${b.id}::uuid)`;
      assert.equal(rows.length, 2);
      for (const r of rows) {
        for (const secret of clientSecrets) {
          assert.ok(!r.row.includes(secret), 'plaintext client secret in the row');
          assert.ok(
            !Buffer.from(r.sealed).includes(Buffer.from(secret)),
            'plaintext client secret in the sealed bytes',
          );
        }
      }
      const rowA = rows.find((r) => r.id === a.id);
      assert.ok(rowA);
      assert.equal(
        open(t.keyRing, rowA.sealed, authClientAad({ tenantId, id: a.id })).toString(),
        attrsA.oauth2.client_secret,
      );
      // A ciphertext copied into another row does not open there.
      assert.throws(
        () => open(t.keyRing, rowA.sealed, authClientAad({ tenantId, id: b.id })),
        (err: unknown) => err instanceof DecryptionError && err.code === 'decryption_failed',
      );
    });
  });
});
