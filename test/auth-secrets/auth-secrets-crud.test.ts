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
  pathOf,
  secretDocument,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import {
  leaksOf,
  marker,
  secretMarker,
  seenResponses,
  track,
  usedClientSecrets,
} from '../support/secrets.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';

const UNKNOWN_ID = '0190a3b4-0000-7000-8000-000000000000';

describe('auth-secrets: routes (API.md §4)', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  let oauthClient: JsonApiResource;
  let otherClient: JsonApiResource;
  const base = () => `/v2/workspaces/${ws}/secrets`;
  const get = async (path: string, auth = admin.auth) =>
    track(await http.get(path).set('Authorization', auth));
  const patch = async (id: string, data: Record<string, unknown>) =>
    track(
      await http
        .patch(`${base()}/${id}`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data }),
    );

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    oauthClient = await createClient(http, admin.auth, tenantId, oauth2ClientAttributes());
    otherClient = await createClient(http, admin.auth, tenantId, {
      name: marker('other'),
      auth_type: 'other',
    });
  });

  after(async () => {
    assert.deepEqual(leaksOf(usedClientSecrets, [...seenResponses, ...capturedLogs]), []);
    await t.close();
  });

  it("accepts the original description's create example (application/json, expires_in as a string)", async () => {
    const body = JSON.stringify({
      data: {
        type: 'auth-secret',
        attributes: {
          name: 'Auth secret',
          state: 'error',
          error: 'Something went technical wrong',
          credentials: {
            access_token: '{ACCESS_TOKEN}',
            refresh_token: '{REFRESH_TOKEN}',
            expires_in: '1000000',
          },
        },
        relationships: { 'auth-client': { data: { id: oauthClient.id, type: 'auth-client' } } },
      },
    });
    const before = Date.now();
    const res = track(
      await http
        .post(base())
        .set('Authorization', admin.auth)
        .set('Content-Type', 'application/json')
        .set('Accept', 'application/json')
        .send(body),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], JSONAPI);
    const data = res.body.data;
    assert.equal(res.headers.location, data.links.self);
    assert.match(data.links.self, new RegExp(`/v2/workspaces/${ws}/secrets/${data.id}$`));
    assert.equal(data.type, 'auth-secret');
    assert.deepEqual(Object.keys(data.attributes).sort(), [
      'created_at',
      'credentials',
      'description',
      'error',
      'expires_at',
      'name',
      'refreshed_at',
      'state',
      'tags',
      'updated_at',
    ]);
    // API.md §8.2 defaults.
    assert.equal(data.attributes.description, null);
    assert.deepEqual(data.attributes.tags, {});
    assert.equal(data.attributes.name, 'Auth secret');
    assert.equal(data.attributes.state, 'error');
    assert.equal(data.attributes.error, 'Something went technical wrong');
    assert.deepEqual(data.attributes.credentials, {
      access_token: '{ACCESS_TOKEN}',
      refresh_token: '{REFRESH_TOKEN}',
      expires_in: 1000000,
    });
    const expiresAt = Date.parse(data.attributes.expires_at);
    assert.ok(expiresAt >= before + 1_000_000_000 && expiresAt <= Date.now() + 1_000_000_000);
    assert.equal(data.attributes.refreshed_at, null);
    assert.equal(data.attributes.created_at, data.attributes.updated_at);
    assert.deepEqual(data.relationships.workspace.data, { type: 'workspace', id: ws });
    assert.deepEqual(data.relationships.user.data, { type: 'user', id: admin.userId });
    assert.deepEqual(data.relationships['auth-client'].data, { type: 'auth-client', id: oauthClient.id });
    // Every link resolves to a real route.
    for (const link of [
      data.links.self,
      data.relationships.workspace.links.related,
      data.relationships.user.links.related,
      data.relationships['auth-client'].links.related,
    ]) {
      const followed = await get(pathOf(link));
      assertJsonApiResponse(followed);
      assert.equal(followed.status, 200, link);
    }
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: data.id } });
    assert.equal(row.authType, 'oauth2');
    assert.equal(row.tenantId, tenantId);
  });

  it('creates `other` secrets with any JSON object; expires_at null; the alias auth_client works', async () => {
    const credentials = {
      api_key: marker('key'),
      nested: { list: [1, 'two', null, { deep: true }] },
      n: 1.5,
    };
    const res = track(
      await http
        .post(base())
        .set('Authorization', admin.auth)
        .send({
          data: {
            type: 'auth-secret',
            attributes: { name: marker('s'), state: 'ready', credentials },
            relationships: { auth_client: { data: { type: 'auth-client', id: otherClient.id } } },
          },
        }),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.data.attributes.credentials, credentials);
    assert.equal(res.body.data.attributes.expires_at, null);
    assert.equal(res.body.data.attributes.error, null);
    assert.equal(res.body.data.relationships['auth-client'].data.id, otherClient.id);
  });

  it("gets one secret; 404 for malformed, unknown and other workspaces' ids", async () => {
    const created = await createSecret(http, admin.auth, ws, oauthClient.id);
    const res = await get(`${base()}/${created.id}`);
    assertJsonApiResponse(res);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.id, created.id);
    assert.deepEqual(res.body.data.attributes.name, created.attributes.name);
    assert.equal(
      res.body.data.attributes.credentials.access_token,
      created.attributes.credentials.access_token,
    );

    const ws2 = await createWorkspace(t.prisma, tenantId, admin.userId);
    for (const path of [
      `${base()}/nope`,
      `${base()}/${UNKNOWN_ID}`,
      `/v2/workspaces/${ws2}/secrets/${created.id}`,
    ]) {
      expectError(await get(path), 404);
    }
  });

  describe('list', () => {
    let listWs: string;
    let secrets: JsonApiResource[];
    let other: JsonApiResource;
    let editor: { userId: string; auth: string };

    before(async () => {
      listWs = await createWorkspace(t.prisma, tenantId, admin.userId);
      const { createUser, addMember } = await import('../support/factories.js');
      editor = await createUser(t.prisma, tenantId, 'member');
      await addMember(t.prisma, listWs, editor.userId, 'editor');
      secrets = [];
      for (let i = 0; i < 4; i++) secrets.push(await createSecret(http, admin.auth, listWs, oauthClient.id));
      secrets.push(
        await createSecret(http, editor.auth, listWs, oauthClient.id, { state: 'error', error: 'boom' }),
      );
      other = await createSecret(http, admin.auth, listWs, otherClient.id, {
        credentials: { token: secretMarker('credential') },
      });
    });

    const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((d) => d.id);

    it("lists the workspace's secrets in creation order with cursor pagination", async () => {
      const seen: string[] = [];
      let next: string | undefined = `/v2/workspaces/${listWs}/secrets?page[size]=4`;
      let pages = 0;
      while (next) {
        const res = await get(next);
        assertJsonApiResponse(res);
        assert.equal(res.status, 200);
        assert.ok(res.body.links.self);
        seen.push(...ids(res));
        next = res.body.links.next ? pathOf(res.body.links.next) : undefined;
        pages++;
      }
      assert.equal(pages, 2);
      assert.deepEqual(
        seen,
        [...secrets, other].map((s) => s.id),
      );
      // Brackets in links are percent-encoded; raw or encoded brackets both work on input.
      const encoded = await get(`/v2/workspaces/${listWs}/secrets?page%5Bsize%5D=2`);
      assert.equal(encoded.body.data.length, 2);
      assert.match(encoded.body.links.next, /page%5Bcursor%5D=/);
    });

    it('filters by user, auth_client and state', async () => {
      const byUser = await get(`/v2/workspaces/${listWs}/secrets?filter[user]=${editor.userId}`);
      assertJsonApiResponse(byUser);
      assert.deepEqual(ids(byUser), [secrets[4]?.id]);
      const byClient = await get(`/v2/workspaces/${listWs}/secrets?filter[auth_client]=${otherClient.id}`);
      assert.deepEqual(ids(byClient), [other.id]);
      const byState = await get(`/v2/workspaces/${listWs}/secrets?filter[state]=error`);
      assert.deepEqual(ids(byState), [secrets[4]?.id]);
      const combined = await get(
        `/v2/workspaces/${listWs}/secrets?filter[state]=ready&filter[auth_client]=${oauthClient.id}&filter[user]=${admin.userId}`,
      );
      assert.deepEqual(
        ids(combined),
        secrets.slice(0, 4).map((s) => s.id),
      );
      const none = await get(`/v2/workspaces/${listWs}/secrets?filter[user]=${UNKNOWN_ID}`);
      assertJsonApiResponse(none);
      assert.deepEqual(none.body.data, []);
    });

    it('rejects bad query parameters with source.parameter (400)', async () => {
      const res = await get(
        `/v2/workspaces/${listWs}/secrets?filter[user]=nope&filter[state]=done&filter[nope]=x&page[size]=500&include=tenant&sort=name`,
      );
      const errors = expectError(res, 400);
      assert.deepEqual(errors.map((e) => e.source?.parameter).sort(), [
        'filter[nope]',
        'filter[state]',
        'filter[user]',
        'include',
        'page[size]',
        'sort',
      ]);
      expectError(await get(`/v2/workspaces/${listWs}/secrets?page[cursor]=garbage!`), 400);
    });

    it('includes auth-client, user and workspace, batch-loaded and de-duplicated', async () => {
      const res = await get(`/v2/workspaces/${listWs}/secrets?include=auth-client,user,workspace`);
      assertJsonApiResponse(res);
      assert.equal(res.status, 200);
      const included = res.body.included as JsonApiResource[];
      const keys = included.map((r) => `${r.type}:${r.id}`).sort();
      assert.deepEqual(
        keys,
        [
          `auth-client:${oauthClient.id}`,
          `auth-client:${otherClient.id}`,
          `user:${admin.userId}`,
          `user:${editor.userId}`,
          `workspace:${listWs}`,
        ].sort(),
      );
      const client = included.find((r) => r.id === oauthClient.id);
      assert.equal(client?.attributes.oauth2.client_secret_set, true);
      assert.ok(client && !('client_secret' in client.attributes.oauth2));
      const one = await get(`/v2/workspaces/${listWs}/secrets/${other.id}?include=auth-client`);
      assertJsonApiResponse(one);
      assert.deepEqual(
        (one.body.included as JsonApiResource[]).map((r) => r.id),
        [otherClient.id],
      );
    });

    it('supports sparse fieldsets', async () => {
      const res = await get(
        `/v2/workspaces/${listWs}/secrets/${other.id}?fields[auth-secret]=name,credentials`,
      );
      assertJsonApiResponse(res);
      assert.deepEqual(Object.keys(res.body.data.attributes).sort(), ['credentials', 'name']);
      assert.equal(res.body.data.relationships, undefined);
      expectError(await get(`/v2/workspaces/${listWs}/secrets?fields[auth-secret]=secret_sauce`), 400);
    });
  });

  describe('expiry', () => {
    it('reports expires_in as the whole seconds left, never negative; expires_at is the stored truth', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id, {
        credentials: oauth2Credentials(3600),
      });
      assert.equal(created.attributes.credentials.expires_in, 3600);
      const expiresAt = Date.parse(created.attributes.expires_at);

      const soon = new Date(Date.now() + 100_500);
      await t.prisma.authSecret.update({ where: { id: created.id }, data: { expiresAt: soon } });
      const res = await get(`${base()}/${created.id}`);
      assertJsonApiResponse(res);
      const left = res.body.data.attributes.credentials.expires_in;
      assert.ok(Number.isInteger(left) && left <= 100 && left >= 98, String(left));
      assert.equal(res.body.data.attributes.expires_at, soon.toISOString());

      await t.prisma.authSecret.update({
        where: { id: created.id },
        data: { expiresAt: new Date(Date.now() - 60_000) },
      });
      const expired = await get(`${base()}/${created.id}`);
      assert.equal(expired.body.data.attributes.credentials.expires_in, 0);
      assert.ok(expiresAt > Date.now());
    });
  });

  describe('patch', () => {
    it('changes only the members sent', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id);
      await new Promise((r) => setTimeout(r, 5));
      const name = marker('renamed');
      const res = await patch(created.id, { type: 'auth-secret', id: created.id, attributes: { name } });
      assertJsonApiResponse(res);
      assert.equal(res.status, 200);
      const a = res.body.data.attributes;
      assert.equal(a.name, name);
      assert.equal(a.state, created.attributes.state);
      assert.equal(a.credentials.access_token, created.attributes.credentials.access_token);
      assert.equal(a.expires_at, created.attributes.expires_at);
      assert.equal(a.created_at, created.attributes.created_at);
      assert.ok(Date.parse(a.updated_at) > Date.parse(created.attributes.updated_at));

      const stateRes = await patch(created.id, {
        type: 'auth-secret',
        id: created.id,
        attributes: { state: 'error', error: 'token revoked' },
      });
      assert.equal(stateRes.body.data.attributes.state, 'error');
      assert.equal(stateRes.body.data.attributes.error, 'token revoked');
      const cleared = await patch(created.id, {
        type: 'auth-secret',
        id: created.id,
        attributes: { state: 'ready', error: null },
      });
      assert.equal(cleared.body.data.attributes.error, null);
      assert.equal(cleared.body.data.attributes.name, name);

      const empty = await patch(created.id, { type: 'auth-secret', id: created.id });
      assertJsonApiResponse(empty);
      assert.equal(empty.status, 200);
      assert.equal(empty.body.data.attributes.updated_at, cleared.body.data.attributes.updated_at);
    });

    it('replaces credentials (normalising expires_in)', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id);
      const credentials = oauth2Credentials('7200');
      const res = await patch(created.id, {
        type: 'auth-secret',
        id: created.id,
        attributes: { credentials },
      });
      assertJsonApiResponse(res);
      assert.deepEqual(res.body.data.attributes.credentials, { ...credentials, expires_in: 7200 });
      const got = await get(`${base()}/${created.id}`);
      assert.equal(got.body.data.attributes.credentials.refresh_token, credentials.refresh_token);
    });

    it('re-validates the credentials when the auth-client changes type', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id);
      const { access_token, refresh_token } = created.attributes.credentials;
      // oauth2 → other: the credentials as shown become the `other` credentials.
      const toOther = await patch(created.id, {
        type: 'auth-secret',
        id: created.id,
        relationships: { 'auth-client': { data: { type: 'auth-client', id: otherClient.id } } },
      });
      assertJsonApiResponse(toOther);
      assert.equal(toOther.status, 200);
      assert.equal(toOther.body.data.relationships['auth-client'].data.id, otherClient.id);
      assert.equal(toOther.body.data.attributes.expires_at, null);
      assert.equal(toOther.body.data.attributes.credentials.access_token, access_token);
      assert.equal(typeof toOther.body.data.attributes.credentials.expires_in, 'number');
      assert.equal(
        (await t.prisma.authSecret.findUniqueOrThrow({ where: { id: created.id } })).authType,
        'other',
      );

      // other → oauth2 with credentials that fit: accepted (the alias name works here too).
      const back = await patch(created.id, {
        type: 'auth-secret',
        id: created.id,
        relationships: { auth_client: { data: { type: 'auth-client', id: oauthClient.id } } },
      });
      assertJsonApiResponse(back);
      assert.equal(back.status, 200);
      assert.deepEqual(Object.keys(back.body.data.attributes.credentials).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
      ]);
      assert.equal(back.body.data.attributes.credentials.refresh_token, refresh_token);

      // other → oauth2 with credentials that do not fit: 422, nothing changes.
      const loose = await createSecret(http, admin.auth, ws, otherClient.id, {
        credentials: { api_key: 'k' },
      });
      const before = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: loose.id } });
      const mismatch = await patch(loose.id, {
        type: 'auth-secret',
        id: loose.id,
        relationships: { 'auth-client': { data: { type: 'auth-client', id: oauthClient.id } } },
      });
      const errors = expectError(mismatch, 422, 'credentials_mismatch');
      assert.equal(errors[0]?.source?.pointer, '/data/relationships/auth-client/data');
      assert.deepEqual(await t.prisma.authSecret.findUniqueOrThrow({ where: { id: loose.id } }), before);

      // ... and with new credentials in the same request it works; they are checked against the new type.
      const bad = await patch(loose.id, {
        type: 'auth-secret',
        id: loose.id,
        attributes: { credentials: { api_key: 'k' } },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: oauthClient.id } } },
      });
      const badErrors = expectError(bad, 422);
      assert.ok(badErrors.some((e) => e.source?.pointer === '/data/attributes/credentials/api_key'));
      const good = await patch(loose.id, {
        type: 'auth-secret',
        id: loose.id,
        attributes: { credentials: oauth2Credentials(60) },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: oauthClient.id } } },
      });
      assertJsonApiResponse(good);
      assert.equal(good.status, 200);
      assert.equal(good.body.data.attributes.credentials.expires_in, 60);
    });

    it('checks type, id and the auth-client relationship', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id);
      expectError(await patch(created.id, { type: 'auth-client', id: created.id }), 409, 'type_mismatch');
      expectError(await patch(created.id, { type: 'auth-secret', id: UNKNOWN_ID }), 409, 'id_mismatch');
      expectError(await patch(created.id, { type: 'auth-secret' }), 400);
      expectError(await patch(UNKNOWN_ID, { type: 'auth-secret', id: UNKNOWN_ID }), 404);
      const wrongRelType = await patch(created.id, {
        type: 'auth-secret',
        id: created.id,
        relationships: { 'auth-client': { data: { type: 'user', id: oauthClient.id } } },
      });
      expectError(wrongRelType, 409, 'type_mismatch');
      const foreign = await createTenant(t.prisma);
      const theirs = await createClient(http, foreign.admin.auth, foreign.tenantId, oauth2ClientAttributes());
      const notFound = expectError(
        await patch(created.id, {
          type: 'auth-secret',
          id: created.id,
          relationships: { 'auth-client': { data: { type: 'auth-client', id: theirs.id } } },
        }),
        404,
      );
      assert.equal(notFound[0]?.source?.pointer, '/data/relationships/auth-client/data');
      const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: created.id } });
      assert.equal(row.authClientId, oauthClient.id);
    });
  });

  describe('delete', () => {
    it('deletes (204) into the trash; the secret is gone from every route; a second delete is 404', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id);
      const res = track(await http.delete(`${base()}/${created.id}`).set('Authorization', admin.auth));
      assertJsonApiResponse(res);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      expectError(await get(`${base()}/${created.id}`), 404);
      expectError(track(await http.delete(`${base()}/${created.id}`).set('Authorization', admin.auth)), 404);
      expectError(track(await http.delete(`${base()}/not-a-uuid`).set('Authorization', admin.auth)), 404);
      // In the workspace's trash (API.md §9.2), restorable until the retention purge.
      const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: created.id } });
      assert.ok(row.deletedAt instanceof Date);
    });
  });

  it("refuses a create whose auth-client is another tenant's (404 with a pointer)", async () => {
    const foreign = await createTenant(t.prisma);
    const theirs = await createClient(http, foreign.admin.auth, foreign.tenantId, oauth2ClientAttributes());
    const before = await t.prisma.authSecret.count({ where: { workspaceId: ws } });
    const res = track(
      await http.post(base()).set('Authorization', admin.auth).send(secretDocument(theirs.id)),
    );
    const errors = expectError(res, 404);
    assert.equal(errors[0]?.source?.pointer, '/data/relationships/auth-client/data');
    assert.equal(await t.prisma.authSecret.count({ where: { workspaceId: ws } }), before);
  });
});
