// Provider quirks and the §10 refresh features against a real OAuth2 server (oauth2-mock-server,
// test/support/mock-oauth-provider.ts) through the HTTP API on PostgreSQL: extra parameters, public
// clients, missing expires_in, client credentials (create, on demand, worker), min_validity,
// renewal timing (10-minute tokens, per-client margin, keep-alive) and revocation on purge.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'mocha';
import request from 'supertest';
import { generateKeySpec } from '../../src/crypto/key-ring.js';
import {
  createWorkspace,
  createWorld,
  type Http,
  httpFor,
  JSONAPI,
  type World,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { MockOAuthProvider } from '../support/mock-oauth-provider.js';
import { marker, secretMarker, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createIsolatedDatabase, type IsolatedDatabase } from './helpers/isolated-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('refresh: provider quirks and OAuth connections (API.md §10)', function () {
  this.timeout(30_000);
  let db: IsolatedDatabase | undefined;
  let t: TestApp;
  let http: Http;
  let world: World;
  let provider: MockOAuthProvider;
  // Named, so a second app on the suite's database (DELETED_SECRET_RETENTION_DAYS=0) opens its secrets.
  const env = { REFRESH_COALESCE_SECONDS: '0', ENCRYPTION_KEYS: generateKeySpec('quirks') };
  const admin = () => world.actors.owner.auth;
  const secrets = () => `/v2/workspaces/${world.workspaceId}/secrets`;

  async function newClient(oauth2: Record<string, unknown>) {
    const res = track(
      await http
        .post(`/v2/tenants/${world.tenantId}/auth-clients`)
        .set('Authorization', world.actors.admin.auth)
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'auth-client',
            attributes: {
              name: marker('client'),
              auth_type: 'oauth2',
              oauth2: {
                client_id: marker('client-id'),
                client_secret: secretMarker('client-secret'),
                token_url: provider.tokenUrl,
                ...oauth2,
              },
            },
          },
        }),
    );
    assert.equal(res.status, 201, res.text);
    return res.body.data.id as string;
  }

  async function newSecret(clientId: string, credentials?: Record<string, unknown>) {
    return track(
      await http
        .post(secrets())
        .set('Authorization', admin())
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'auth-secret',
            attributes: {
              name: marker('secret'),
              state: 'ready',
              ...(credentials ? { credentials } : {}),
            },
            relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
          },
        }),
    );
  }

  const tokens = (expiresIn = 3600) => ({
    access_token: secretMarker('access-token'),
    refresh_token: secretMarker('refresh-token'),
    expires_in: expiresIn,
  });

  async function secretOf(clientId: string, expiresIn = 3600) {
    const res = await newSecret(clientId, tokens(expiresIn));
    assert.equal(res.status, 201, res.text);
    return res.body.data.id as string;
  }

  const refresh = async (id: string, auth = admin()) =>
    track(await http.post(`${secrets()}/${id}/refresh`).set('Authorization', auth));
  const read = async (id: string, query = '', auth = admin()) =>
    track(await http.get(`${secrets()}/${id}${query}`).set('Authorization', auth));
  const row = (id: string) => t.prisma.authSecret.findUniqueOrThrow({ where: { id } });

  before(async function () {
    // The worker claims every due secret of its database: a database of this suite's own.
    db = await createIsolatedDatabase();
    if (!db) this.skip();
    provider = await MockOAuthProvider.start();
    t = await createTestApp(env, { databaseUrl: db.url });
    http = httpFor(t);
    world = await createWorld(t.prisma);
  });
  beforeEach(() => {
    provider.tokenRequests.length = 0;
    provider.revocations.length = 0;
    provider.omitExpiresIn = false;
    provider.expiresIn = undefined;
    provider.revocationStatus = 200;
  });
  after(async () => {
    await t?.close();
    await provider?.close();
    await db?.drop();
  });

  describe('extra parameters and client authentication (§10.1)', () => {
    it('refresh_params are sent on refresh requests, and protocol parameters stay the protocol’s', async () => {
      const clientId = await newClient({
        refresh_params: { audience: 'https://api.example.test', duration: 'permanent' },
      });
      const id = await secretOf(clientId);
      const res = await refresh(id);
      assertJsonApiResponse(res);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['content-type'], JSONAPI);
      const [sent] = provider.requestsOf('refresh_token');
      assert.equal(sent?.params.audience, 'https://api.example.test');
      assert.equal(sent?.params.duration, 'permanent');
      assert.equal(sent?.params.grant_type, 'refresh_token');
      assert.match(sent?.authorization ?? '', /^Basic /, 'client_secret_basic by default');
    });

    it('auth_method none: only client_id is sent (no secret, no Authorization header)', async () => {
      const clientId = await newClient({ auth_method: 'none', client_secret: undefined });
      const id = await secretOf(clientId);
      const res = await refresh(id);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.attributes.state, 'ready');
      const [sent] = provider.requestsOf('refresh_token');
      assert.equal(sent?.authorization, undefined);
      assert.ok(sent?.params.client_id?.startsWith('client-id'), 'client_id in the body');
      assert.equal(sent?.params.client_secret, undefined);
    });
  });

  describe('missing expires_in (§10.1 default_expires_in)', () => {
    it('with default_expires_in: the token is taken to live that long, and is scheduled from it', async () => {
      provider.omitExpiresIn = true;
      const clientId = await newClient({ default_expires_in: 1800 });
      const id = await secretOf(clientId);
      const res = await refresh(id);
      assert.equal(res.status, 200, res.text);
      const left = res.body.data.attributes.credentials.expires_in;
      assert.ok(left > 1790 && left <= 1800, `expires_in ${left}`);
      const r = await row(id);
      assert.ok(r.refreshDueAt, 'due for renewal (not "never")');
      // Default margin 300 s before a 1800-s expiry.
      const dueIn = ((r.refreshDueAt as Date).getTime() - Date.now()) / 1000;
      assert.ok(dueIn > 1490 && dueIn <= 1500, `due in ${dueIn}`);
    });

    it('without default_expires_in: the lifetime is unknown (expires_at null, never due)', async () => {
      provider.omitExpiresIn = true;
      const clientId = await newClient({});
      const id = await secretOf(clientId);
      const res = await refresh(id);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.attributes.expires_at, null);
      assert.equal((await row(id)).refreshDueAt, null);
    });
  });

  describe('client credentials (§10.3)', () => {
    it('create obtains a token first (scopes and token_params sent); no refresh_token', async () => {
      const clientId = await newClient({
        grant_type: 'client_credentials',
        scopes: ['read', 'write'],
        token_params: { audience: 'https://api.example.test' },
      });
      for (const credentials of [undefined, {}]) {
        const res = await newSecret(clientId, credentials);
        assertJsonApiResponse(res);
        assert.equal(res.status, 201, res.text);
        const c = res.body.data.attributes.credentials;
        assert.equal(typeof c.access_token, 'string');
        assert.ok(c.expires_in > 3500, `expires_in ${c.expires_in}`);
        assert.ok(!('refresh_token' in c), 'no refresh token');
      }
      const sent = provider.requestsOf('client_credentials');
      assert.equal(sent.length, 2);
      assert.equal(sent[0]?.params.scope, 'read write');
      assert.equal(sent[0]?.params.audience, 'https://api.example.test');
    });

    it('credentials other than {} are refused (422); PATCHed credentials too', async () => {
      const clientId = await newClient({ grant_type: 'client_credentials' });
      const refused = await newSecret(clientId, tokens());
      const [e] = expectError(refused, 422, 'credentials_obtained_by_service');
      assert.equal(e?.source?.pointer, '/data/attributes/credentials');
      assert.equal(provider.requestsOf('client_credentials').length, 0);
      const created = await newSecret(clientId);
      const id = created.body.data.id;
      const patched = track(
        await http
          .patch(`${secrets()}/${id}`)
          .set('Authorization', admin())
          .set('Content-Type', JSONAPI)
          .send({ data: { type: 'auth-secret', id, attributes: { credentials: { access_token: 'x' } } } }),
      );
      expectError(patched, 422, 'credentials_obtained_by_service');
    });

    it('provider down at create: 502 and nothing stored', async () => {
      const clientId = await newClient({
        grant_type: 'client_credentials',
        token_url: 'http://127.0.0.1:9/token',
      });
      const before = await t.prisma.authSecret.count({ where: { workspaceId: world.workspaceId } });
      const res = await newSecret(clientId);
      expectError(res, 502, 'oauth_provider_unreachable');
      assert.equal(await t.prisma.authSecret.count({ where: { workspaceId: world.workspaceId } }), before);
    });

    it('on demand, and by the worker at expiry (default_expires_in when the provider gives none)', async () => {
      provider.omitExpiresIn = true;
      const clientId = await newClient({ grant_type: 'client_credentials', default_expires_in: 2 });
      const created = await newSecret(clientId);
      assert.equal(created.status, 201, created.text);
      const id = created.body.data.id;
      const first = created.body.data.attributes.credentials.access_token;
      const onDemand = await refresh(id);
      assert.equal(onDemand.status, 200, onDemand.text);
      const second = onDemand.body.data.attributes.credentials.access_token;
      assert.notEqual(second, first);
      assert.ok(!('refresh_token' in onDemand.body.data.attributes.credentials));
      // A 2-s token is due after 1 s (half its lifetime): the worker fetches a new one.
      await sleep(1100);
      const stats = await t.refresh.createWorker({ concurrency: 2, pollMs: 50 }).sweep();
      assert.equal(stats.refreshed, 1);
      const after = await read(id);
      assert.notEqual(after.body.data.attributes.credentials.access_token, second);
      assert.equal(provider.requestsOf('client_credentials').length, 3);
      assert.equal(provider.requestsOf('refresh_token').length, 0);
    });
  });

  describe('fresh on read (§10.4 min_validity)', () => {
    it('30 s left, min_validity=60: renewed, one provider call for 50 concurrent GETs', async () => {
      const id = await secretOf(await newClient({}), 30);
      const responses = await Promise.all(Array.from({ length: 50 }, () => read(id, '?min_validity=60')));
      for (const res of responses) {
        assertJsonApiResponse(res);
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.data.attributes.credentials.expires_in >= 60);
      }
      assert.equal(new Set(responses.map((r) => r.body.data.attributes.credentials.access_token)).size, 1);
      assert.equal(provider.requestsOf('refresh_token').length, 1);
    });

    it('600 s left: untouched, no call; `other` secrets ignore it; bad values are 400', async () => {
      const id = await secretOf(await newClient({}), 600);
      const res = await read(id, '?min_validity=60');
      assert.equal(res.status, 200, res.text);
      assert.equal(provider.tokenRequests.length, 0);
      const other = track(
        await http
          .post(`/v2/tenants/${world.tenantId}/auth-clients`)
          .set('Authorization', world.actors.admin.auth)
          .set('Content-Type', JSONAPI)
          .send({ data: { type: 'auth-client', attributes: { name: marker('other'), auth_type: 'other' } } }),
      );
      const otherSecret = await newSecret(other.body.data.id, { api_key: secretMarker('api-key') });
      assert.equal(otherSecret.status, 201, otherSecret.text);
      const otherRead = await read(otherSecret.body.data.id, '?min_validity=60');
      assertJsonApiResponse(otherRead);
      assert.equal(otherRead.status, 200, otherRead.text);
      assert.equal(provider.tokenRequests.length, 0);
      for (const bad of ['86401', '-1', 'abc', '1.5']) {
        const [e] = expectError(await read(id, `?min_validity=${bad}`), 400);
        assert.equal(e?.source?.parameter, 'min_validity');
      }
    });

    it('without the refresh permission: 403 with the parameter; a rejected grant: 200 state error', async () => {
      const id = await secretOf(await newClient({}), 30);
      const [e] = expectError(
        await read(id, '?min_validity=60', world.actors.viewer.auth),
        403,
        'refresh_not_permitted',
      );
      assert.equal(e?.source?.parameter, 'min_validity');
      assert.equal(provider.tokenRequests.length, 0);
      // The connector may (get + refresh). A refresh token already used answers invalid_grant.
      const rejectedId = await secretOf(await newClient({}), 30);
      provider.rejectReusedRefreshTokens = true;
      // Spend this secret's refresh token at the provider behind the service's back.
      await fetch(provider.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: String((await read(rejectedId)).body.data.attributes.credentials.refresh_token),
        }),
      });
      const res = await read(rejectedId, '?min_validity=60', world.actors.connector.auth);
      assertJsonApiResponse(res);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.attributes.state, 'error');
      assert.match(res.body.data.attributes.error, /invalid_grant/);
    });
  });

  describe('renewal timing (§10.1 margins and keep-alive)', () => {
    const dueInSeconds = async (id: string) =>
      (((await row(id)).refreshDueAt as Date).getTime() - Date.now()) / 1000;

    it('a 10-minute token under the default 300 s margin is due in 300 s, not at once (no loop)', async () => {
      const id = await secretOf(await newClient({}), 600);
      const due = await dueInSeconds(id);
      assert.ok(due > 290 && due <= 300, `due in ${due}`);
      await t.refresh.createWorker().sweep();
      assert.equal((await row(id)).refreshedAt, null, 'not claimed by the worker');
    });

    it('refresh_margin_seconds overrides the default, capped at half the lifetime', async () => {
      const short = await secretOf(await newClient({ refresh_margin_seconds: 60 }), 3600);
      const s = await dueInSeconds(short);
      assert.ok(s > 3530 && s <= 3540, `due in ${s}`);
      const capped = await secretOf(await newClient({ refresh_margin_seconds: 900 }), 600);
      const c = await dueInSeconds(capped);
      assert.ok(c > 290 && c <= 300, `due in ${c}`);
    });

    it('refresh_every_seconds renews a long-lived token; a client PATCH reschedules its secrets', async () => {
      const clientId = await newClient({});
      const id = await secretOf(clientId, 86_400);
      assert.ok((await dueInSeconds(id)) > 80_000);
      // The token was obtained two minutes ago; the client now wants a renewal every minute.
      await t.prisma.authSecret.update({
        where: { id },
        data: { createdAt: new Date(Date.now() - 120_000) },
      });
      const patched = track(
        await http
          .patch(`/v2/tenants/${world.tenantId}/auth-clients/${clientId}`)
          .set('Authorization', world.actors.admin.auth)
          .set('Content-Type', JSONAPI)
          .send({
            data: {
              type: 'auth-client',
              id: clientId,
              attributes: { oauth2: { refresh_every_seconds: 60 } },
            },
          }),
      );
      assert.equal(patched.status, 200, patched.text);
      assert.ok((await dueInSeconds(id)) < 0, 'due now');
      const before = await t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
      // The sweep covers the whole (shared) test database: other due secrets may be renewed too.
      const stats = await t.refresh.createWorker().sweep();
      assert.ok(stats.refreshed >= 1);
      const after = await t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
      assert.ok(after.refreshedAt !== null, 'renewed by the keep-alive');
      assert.equal(after.credentialsVersion, before.credentialsVersion + 1, 'renewed exactly once');
      const next = await dueInSeconds(id);
      assert.ok(next > 50 && next <= 60, `next renewal in ${next}`);
    });
  });

  describe('revocation on purge (§10.1 revocation_url)', () => {
    const trashOf = (ws = world.workspaceId) => `/v2/workspaces/${ws}/deleted-secrets`;
    const revokeEvents = (id: string) =>
      t.prisma.auditEvent.findMany({ where: { resourceId: id, action: 'auth_secret.revoke' } });
    /** [token_type_hint, token] of every revocation request the provider received, once all are done. */
    async function revocationsSeen() {
      await t.refresh.revocations.idle();
      await provider.revocationsRead();
      return provider.revocations.map((r) => [r.params.token_type_hint, r.params.token]);
    }
    const bothRevoked = (creds: ReturnType<typeof tokens>) => [
      ['refresh_token', creds.refresh_token],
      ['access_token', creds.access_token],
    ];
    /** An oauth2 secret with fresh marked tokens in `ws`, through the API. */
    async function created(clientId: string, ws = world.workspaceId) {
      const creds = tokens();
      const res = track(
        await http
          .post(`/v2/workspaces/${ws}/secrets`)
          .set('Authorization', admin())
          .set('Content-Type', JSONAPI)
          .send({
            data: {
              type: 'auth-secret',
              attributes: { name: marker('secret'), state: 'ready', credentials: creds },
              relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
            },
          }),
      );
      assert.equal(res.status, 201, res.text);
      assertJsonApiResponse(res);
      return { id: res.body.data.id as string, creds };
    }
    /** Created, then DELETEd: in the trash. */
    async function trashed(clientId: string, ws = world.workspaceId) {
      const secret = await created(clientId, ws);
      const res = track(
        await http.delete(`/v2/workspaces/${ws}/secrets/${secret.id}`).set('Authorization', admin()),
      );
      assert.equal(res.status, 204, res.text);
      assertJsonApiResponse(res);
      return secret;
    }

    it('DELETE only trashes (nothing revoked, the secret comes back working); purging it revokes and audits', async () => {
      const clientId = await newClient({ revocation_url: provider.revocationUrl });
      const { id, creds } = await trashed(clientId);
      assert.deepEqual(
        await revocationsSeen(),
        [],
        'a trashed secret may be restored: its tokens stay valid',
      );
      assert.deepEqual(await revokeEvents(id), []);
      const restored = track(await http.post(`${trashOf()}/${id}/restore`).set('Authorization', admin()));
      assert.equal(restored.status, 200, restored.text);
      assertJsonApiResponse(restored);
      assert.equal(restored.body.data.attributes.credentials.refresh_token, creds.refresh_token);
      const again = track(await http.delete(`${secrets()}/${id}`).set('Authorization', admin()));
      assert.equal(again.status, 204, again.text);
      assertJsonApiResponse(again);

      const purged = track(await http.delete(`${trashOf()}/${id}`).set('Authorization', admin()));
      assert.equal(purged.status, 204, purged.text);
      assertJsonApiResponse(purged);
      assert.equal(purged.text, '');
      assert.deepEqual(await revocationsSeen(), bothRevoked(creds));
      assert.match(provider.revocations[0]?.authorization ?? '', /^Basic /);
      const [event, ...more] = await revokeEvents(id);
      assert.equal(more.length, 0);
      assert.equal(event?.outcome, 'success');
      assert.equal(event?.actorUserId, world.actors.owner.userId, 'in the name of who purged it');
      assert.equal(event?.workspaceId, world.workspaceId);
      assert.deepEqual(event?.details, { revoked: ['refresh_token', 'access_token'] });
      assert.ok(!JSON.stringify(event).includes(creds.access_token));
    });

    it('a failing revocation endpoint does not block the purge; the failure is audited', async () => {
      provider.revocationStatus = 503;
      const clientId = await newClient({ revocation_url: provider.revocationUrl });
      const { id } = await trashed(clientId);
      const res = track(await http.delete(`${trashOf()}/${id}`).set('Authorization', admin()));
      assert.equal(res.status, 204, res.text);
      assertJsonApiResponse(res);
      assert.equal(await t.prisma.authSecret.count({ where: { id } }), 0, 'purged before any revocation');
      assert.equal(
        (await revocationsSeen()).length,
        2,
        'the access token is tried after the refresh token failed',
      );
      const [event] = await revokeEvents(id);
      assert.equal(event?.outcome, 'failure');
      assert.deepEqual(event?.details, { revoked: [], failure: 'provider_error' });
      expectError(track(await http.get(`${trashOf()}/${id}`).set('Authorization', admin())), 404);
    });

    it('an auth-client without a revocation_url: a purge calls nobody', async () => {
      const clientId = await newClient({});
      const { id } = await trashed(clientId);
      const res = track(await http.delete(`${trashOf()}/${id}`).set('Authorization', admin()));
      assert.equal(res.status, 204, res.text);
      assertJsonApiResponse(res);
      assert.deepEqual(await revocationsSeen(), []);
      assert.deepEqual(await revokeEvents(id), []);
    });

    it("the worker's retention purge revokes, audited by the system", async () => {
      const clientId = await newClient({ revocation_url: provider.revocationUrl });
      const { id, creds } = await trashed(clientId);
      await t.prisma.authSecret.update({
        where: { id },
        data: { deletedAt: new Date(Date.now() - (t.config.deletedSecretRetentionDays + 1) * 86_400_000) },
      });
      assert.ok((await t.trashPurger.sweep()) >= 1);
      assert.equal(await t.prisma.authSecret.count({ where: { id } }), 0);
      assert.deepEqual(await revocationsSeen(), bothRevoked(creds));
      const [event] = await revokeEvents(id);
      assert.equal(event?.outcome, 'success');
      assert.equal(event?.actorUserId, null, 'the system');
      assert.equal(event?.actorApiKeyId, null);
    });

    it('deleting the auth-client purges its trashed secrets and revokes their tokens (the client read before it went)', async () => {
      const clientId = await newClient({ revocation_url: provider.revocationUrl });
      const { id, creds } = await trashed(clientId);
      const res = track(
        await http
          .delete(`/v2/tenants/${world.tenantId}/auth-clients/${clientId}`)
          .set('Authorization', world.actors.admin.auth),
      );
      assert.equal(res.status, 204, res.text);
      assertJsonApiResponse(res);
      assert.equal(await t.prisma.authClient.count({ where: { id: clientId } }), 0);
      assert.deepEqual(await revocationsSeen(), bothRevoked(creds));
      assert.match(
        provider.revocations[1]?.authorization ?? '',
        /^Basic /,
        "with the deleted client's authentication",
      );
      const [event] = await revokeEvents(id);
      assert.equal(event?.outcome, 'success');
      assert.equal(event?.actorUserId, world.actors.admin.userId);
    });

    it('deleting a workspace revokes the tokens of its trashed and of its live secrets', async () => {
      const clientId = await newClient({ revocation_url: provider.revocationUrl });
      const ws = await createWorkspace(t.prisma, world.tenantId, world.actors.owner.userId);
      const inTrash = await trashed(clientId, ws);
      const live = await created(clientId, ws);
      const res = track(await http.delete(`/v2/workspaces/${ws}`).set('Authorization', admin()));
      assert.equal(res.status, 204, res.text);
      assertJsonApiResponse(res);
      const seen = await revocationsSeen();
      assert.equal(seen.length, 4);
      for (const pair of [...bothRevoked(inTrash.creds), ...bothRevoked(live.creds)])
        assert.ok(
          seen.some(([hint, token]) => hint === pair[0] && token === pair[1]),
          `${pair[0]} revoked`,
        );
      for (const id of [inTrash.id, live.id]) {
        const events = await revokeEvents(id);
        assert.deepEqual(
          events.map((e) => [e.outcome, e.workspaceId, e.details]),
          [['success', ws, { revoked: ['refresh_token', 'access_token'] }]],
        );
      }
    });

    it('with DELETED_SECRET_RETENTION_DAYS=0, DELETE purges and so revokes', async () => {
      const now = await createTestApp(
        { ...env, DELETED_SECRET_RETENTION_DAYS: '0' },
        { databaseUrl: db?.url as string },
      );
      try {
        const clientId = await newClient({ revocation_url: provider.revocationUrl });
        const { id, creds } = await created(clientId);
        const res = track(await request(now.app).delete(`${secrets()}/${id}`).set('Authorization', admin()));
        assert.equal(res.status, 204, res.text);
        assertJsonApiResponse(res);
        assert.equal(await t.prisma.authSecret.count({ where: { id } }), 0);
        await now.refresh.revocations.idle();
        await provider.revocationsRead();
        assert.deepEqual(
          provider.revocations.map((r) => [r.params.token_type_hint, r.params.token]),
          bothRevoked(creds),
        );
        assert.equal((await revokeEvents(id))[0]?.outcome, 'success');
      } finally {
        await now.close();
      }
    });
  });
});
