// The 403/404 matrix of API.md §2/§4 for the auth-secret routes (refresh has its own tests), for
// every built-in workspace role, tenant admins, non-members, scoped keys and other tenants.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import {
  type Actor,
  addMember,
  createApiKey,
  createClient,
  createSecret,
  createTenant,
  createUser,
  createWorkspace,
  type Http,
  httpFor,
  JSONAPI,
  type JsonApiResource,
  oauth2ClientAttributes,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { basicAuth, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { AUTH_SECRET_ROWS, CALLERS, type SecretRow } from './auth-secret-permission-rows.js';

/** Who holds workspaces.auth_secret.reveal in the workspace (the scoped key: only get). */
const REVEALS: Record<string, boolean> = {
  owner: true,
  editor: true,
  connector: true,
  viewer: false,
  'tenant admin (no membership)': true,
  'editor with a key scoped to auth_secret.get': false,
};

describe('auth-secrets: permissions and isolation', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  let client: JsonApiResource;
  const callers: Partial<Record<string, Actor>> = {};

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    client = await createClient(http, admin.auth, tenantId, oauth2ClientAttributes());
    for (const role of ['owner', 'editor', 'connector', 'viewer']) {
      const user = await createUser(t.prisma, tenantId, 'member');
      await addMember(t.prisma, ws, user.userId, role);
      callers[role] = user;
    }
    callers['tenant admin (no membership)'] = await createUser(t.prisma, tenantId, 'admin');
    callers['tenant member without membership'] = await createUser(t.prisma, tenantId, 'member');
    callers["another tenant's admin"] = (await createTenant(t.prisma)).admin;
    const scopedUser = await createUser(t.prisma, tenantId, 'member');
    await addMember(t.prisma, ws, scopedUser.userId, 'editor');
    const key = await createApiKey(t.prisma, scopedUser.userId, ['workspaces.auth_secret.get']);
    callers['editor with a key scoped to auth_secret.get'] = {
      ...scopedUser,
      apiKey: key,
      auth: basicAuth(scopedUser.email, key),
    };
  });

  after(() => t.close());

  async function trash(secretId: string) {
    const res = track(
      await http.delete(`/v2/workspaces/${ws}/secrets/${secretId}`).set('Authorization', admin.auth),
    );
    assert.equal(res.status, 204, res.text);
  }

  async function call(row: SecretRow, auth: string, secretId: string) {
    const r = await row.prepare({ workspaceId: ws, secretId, clientId: client.id });
    const req =
      r.method === 'GET'
        ? http.get(r.path)
        : r.method === 'POST'
          ? http.post(r.path)
          : r.method === 'PATCH'
            ? http.patch(r.path)
            : http.delete(r.path);
    req.set('Authorization', auth);
    return track(
      await (r.body === undefined ? req : req.set('Content-Type', JSONAPI).send(r.body as object)),
    );
  }

  for (const caller of CALLERS) {
    const expected = (row: SecretRow) => row.expected[caller];
    it(`${caller}: ${AUTH_SECRET_ROWS.map((r) => `${r.variant} ${expected(r)}`).join(', ')}`, async () => {
      const actor = callers[caller];
      assert.ok(actor);
      for (const row of AUTH_SECRET_ROWS) {
        const route = row.variant;
        // A fresh secret per route, so that delete and patch act on something that exists.
        const secret = await createSecret(http, admin.auth, ws, client.id);
        if (row.trashed) await trash(secret.id);
        const before = await t.prisma.authSecret.findUnique({ where: { id: secret.id } });
        const count = await t.prisma.authSecret.count({ where: { workspaceId: ws } });
        const res = await call(row, actor.auth, secret.id);
        if (expected(row) >= 400) {
          const errors = expectError(res, expected(row), expected(row) === 403 ? 'forbidden' : undefined);
          assert.ok(!JSON.stringify(errors).includes(secret.attributes.credentials.access_token));
          assert.deepEqual(
            await t.prisma.authSecret.findUnique({ where: { id: secret.id } }),
            before,
            `${route} changed the secret`,
          );
          assert.equal(
            await t.prisma.authSecret.count({ where: { workspaceId: ws } }),
            count,
            `${route} changed the count`,
          );
        } else {
          assertJsonApiResponse(res);
          assert.equal(res.status, expected(row), `${caller} ${route}: ${res.text}`);
          // API.md §8.1: credentials only for callers with reveal (auth-secrets-reveal.test.ts has the rest);
          // the version list and the trash are metadata only, for everyone (§9.1, §9.2).
          const metadataOnly = ['list versions', 'list trash', 'get trashed'].includes(route);
          for (const item of [res.body.data ?? []].flat()) {
            assert.equal(
              'credentials' in item.attributes,
              !metadataOnly && REVEALS[caller],
              `${caller} ${route} credentials`,
            );
          }
        }
      }
    });
  }

  it('includes only what the caller could read directly (scoped keys)', async () => {
    const secret = await createSecret(http, admin.auth, ws, client.id);
    const scoped = callers['editor with a key scoped to auth_secret.get'] as Actor;
    const path = `/v2/workspaces/${ws}/secrets/${secret.id}`;
    for (const include of ['user', 'auth-client', 'workspace']) {
      const errors = expectError(
        track(await http.get(`${path}?include=${include}`).set('Authorization', scoped.auth)),
        403,
      );
      assert.equal(errors[0]?.source?.parameter, 'include');
      expectError(
        track(
          await http.get(`/v2/workspaces/${ws}/secrets?include=${include}`).set('Authorization', scoped.auth),
        ),
        403,
      );
    }
    // Viewers hold all three read permissions.
    const viewer = callers.viewer as Actor;
    const res = track(
      await http.get(`${path}?include=user,auth-client,workspace`).set('Authorization', viewer.auth),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 200);
    assert.equal(res.body.included.length, 3);
  });

  it('requires authentication (401 with WWW-Authenticate) on every route', async () => {
    const secret = await createSecret(http, admin.auth, ws, client.id);
    for (const row of AUTH_SECRET_ROWS) {
      const res = await call(row, 'Basic bm9ib2R5QGV4YW1wbGUudGVzdDpub3Bl', secret.id);
      expectError(res, 401, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], 'Basic realm="auth-secrets"');
    }
  });

  it('never reaches a secret through another workspace, even one the caller can use', async () => {
    const ws2 = await createWorkspace(t.prisma, tenantId, admin.userId);
    const secret = await createSecret(http, admin.auth, ws, client.id);
    const path = `/v2/workspaces/${ws2}/secrets/${secret.id}`;
    expectError(track(await http.get(path).set('Authorization', admin.auth)), 404);
    expectError(
      track(
        await http
          .patch(path)
          .set('Authorization', admin.auth)
          .send({ data: { type: 'auth-secret', id: secret.id, attributes: { name: 'x' } } }),
      ),
      404,
    );
    expectError(track(await http.delete(path).set('Authorization', admin.auth)), 404);
    const list = track(await http.get(`/v2/workspaces/${ws2}/secrets`).set('Authorization', admin.auth));
    assertJsonApiResponse(list);
    assert.deepEqual(list.body.data, []);
    const filtered = track(
      await http
        .get(`/v2/workspaces/${ws2}/secrets?filter[auth_client]=${client.id}`)
        .set('Authorization', admin.auth),
    );
    assert.deepEqual(filtered.body.data, []);
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: secret.id } });
    assert.equal(row.name, secret.attributes.name);
  });

  it('is 404 for a workspace of another tenant, and for malformed workspace ids', async () => {
    const foreign = await createTenant(t.prisma);
    const foreignWs = await createWorkspace(t.prisma, foreign.tenantId, foreign.admin.userId);
    const foreignClient = await createClient(
      http,
      foreign.admin.auth,
      foreign.tenantId,
      oauth2ClientAttributes(),
    );
    const foreignSecret = await createSecret(http, foreign.admin.auth, foreignWs, foreignClient.id);
    expectError(
      track(await http.get(`/v2/workspaces/${foreignWs}/secrets`).set('Authorization', admin.auth)),
      404,
    );
    expectError(
      track(
        await http
          .get(`/v2/workspaces/${foreignWs}/secrets/${foreignSecret.id}`)
          .set('Authorization', admin.auth),
      ),
      404,
    );
    expectError(
      track(
        await http.get(`/v2/workspaces/${ws}/secrets/${foreignSecret.id}`).set('Authorization', admin.auth),
      ),
      404,
    );
    expectError(
      track(await http.get('/v2/workspaces/not-a-uuid/secrets').set('Authorization', admin.auth)),
      404,
    );
  });
});
