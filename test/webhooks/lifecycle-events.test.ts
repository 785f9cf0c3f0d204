// The lifecycle events of API.md §11 end to end: a real token endpoint (test/support/oauth-server.ts),
// the real app and its delivery worker, and a real receiver on loopback that verifies every
// signature with the `standardwebhooks` package. A scripted life of one secret yields exactly the
// expected event types in order, with matching ids and no credential in any payload; the workspace
// filter, the event filter and tenant isolation hold; a change rolled back leaves no event.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'mocha';
import request from 'supertest';
import type { DeliveryWorker } from '../../src/webhooks/delivery-worker.js';
import { createTenant, createWorkspace, oauth2Credentials } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { findSecrets, marker, track, usedClientSecrets } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createWebhook, JSONAPI, listDeliveries } from './support/webhook-api.js';
import { type ReceivedRequest, WebhookReceiver } from './support/webhook-receiver.js';

describe('webhooks: lifecycle events, delivered and verified (API.md §11)', () => {
  let provider: OAuthTestServer;
  let receiver: WebhookReceiver;
  let t: TestApp;
  let worker: DeliveryWorker;

  before(async () => {
    provider = await OAuthTestServer.start();
    receiver = await WebhookReceiver.start();
    // Each POST …/refresh of the scripted life must reach the provider: no coalescing (API.md §10.5).
    t = await createTestApp({ WEBHOOK_POLL_SECONDS: '0.05', REFRESH_COALESCE_SECONDS: '0' });
    worker = t.webhooks.createWorker();
    worker.start();
  });
  afterEach(() => provider.reset());
  after(async () => {
    await worker?.stop();
    await t?.close();
    await receiver?.close();
    await provider?.close();
  });

  /** A tenant with a workspace and an oauth2 auth-client of the test provider. */
  async function tenantWithClient() {
    const tenant = await createTenant(t.prisma);
    const workspaceId = await createWorkspace(t.prisma, tenant.tenantId, tenant.admin.userId);
    usedClientSecrets.add(provider.clientSecret);
    const client = track(
      await request(t.app)
        .post(`/v2/tenants/${tenant.tenantId}/auth-clients`)
        .set('Authorization', tenant.admin.auth)
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'auth-client',
            attributes: {
              name: marker('client'),
              auth_type: 'oauth2',
              oauth2: {
                client_id: provider.clientId,
                client_secret: provider.clientSecret,
                token_url: provider.tokenUrl,
              },
            },
          },
        }),
    );
    assert.equal(client.status, 201, client.text);
    return { ...tenant, workspaceId, clientId: client.body.data.id as string };
  }

  const eventsFor = (requests: ReceivedRequest[], secretId: string) =>
    requests.filter((r) => r.payload?.data?.id === secretId);

  it('a scripted life of a secret: every event, in order, signed, with ids and no credential', async () => {
    const a = await tenantWithClient();
    const hook = await createWebhook(t.app, a.admin.auth, a.tenantId, receiver.url, { events: ['*'] });
    receiver.trust(hook.secret);
    // Only error and recovered, to a second path: the event filter.
    const alerts = await createWebhook(t.app, a.admin.auth, a.tenantId, `${receiver.url}/alerts`, {
      events: ['auth_secret.error', 'auth_secret.recovered'],
    });
    receiver.trust(alerts.secret);
    // Filtered to another workspace of the tenant: gets nothing of this secret.
    const otherWs = await createWorkspace(t.prisma, a.tenantId, a.admin.userId);
    const elsewhere = await createWebhook(
      t.app,
      a.admin.auth,
      a.tenantId,
      `${receiver.url}/elsewhere`,
      {},
      otherWs,
    );
    // Another tenant's webhook on the same receiver: gets nothing of tenant A.
    const b = await createTenant(t.prisma);
    const foreign = await createWebhook(t.app, b.admin.auth, b.tenantId, `${receiver.url}/foreign`);
    receiver.trust(foreign.secret);

    const api = (method: 'post' | 'patch' | 'delete' | 'get', path: string, body?: object) => {
      let r = request(t.app)[method](path).set('Authorization', a.admin.auth);
      if (body) r = r.set('Content-Type', JSONAPI).send(body);
      return r.then(track);
    };
    const secretsPath = `/v2/workspaces/${a.workspaceId}/secrets`;
    const grant = provider.grant();
    const created = await api('post', secretsPath, {
      data: {
        type: 'auth-secret',
        attributes: {
          name: marker('secret'),
          state: 'ready',
          credentials: {
            access_token: grant.accessToken,
            refresh_token: grant.refreshToken,
            expires_in: 3600,
          },
        },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: a.clientId } } },
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.data.id as string;
    const path = `${secretsPath}/${id}`;
    const refresh = () => api('post', `${path}/refresh`);

    const renamed = marker('renamed');
    assert.equal(
      (await api('patch', path, { data: { type: 'auth-secret', id, attributes: { name: renamed } } })).status,
      200,
    );
    assert.equal((await refresh()).status, 200);
    provider.set({ fail: { status: 503 } });
    assert.equal((await refresh()).status, 502);
    assert.equal((await refresh()).status, 502);
    provider.reset();
    const current = await api('get', path);
    provider.revoke(current.body.data.attributes.credentials.refresh_token);
    const rejected = await refresh();
    assertJsonApiResponse(rejected);
    assert.equal(rejected.body.data?.attributes?.state ?? 'error', 'error', rejected.text);
    const fresh = provider.grant();
    const patched = await api('patch', path, {
      data: {
        type: 'auth-secret',
        id,
        attributes: {
          credentials: {
            access_token: fresh.accessToken,
            refresh_token: fresh.refreshToken,
            expires_in: 3600,
          },
        },
      },
    });
    assert.equal(patched.status, 200, patched.text);
    const recovered = await refresh();
    assert.equal(recovered.status, 200, recovered.text);
    assert.equal(recovered.body.data.attributes.state, 'ready');
    assert.equal((await api('delete', path)).status, 204);
    // Out of the trash again (API.md §9.2): the secret comes back, and so does an event.
    const restored = await api('post', `/v2/workspaces/${a.workspaceId}/deleted-secrets/${id}/restore`);
    assert.equal(restored.status, 200, restored.text);

    const expected = [
      'auth_secret.created',
      'auth_secret.updated',
      'auth_secret.refreshed',
      'auth_secret.refresh_failed',
      'auth_secret.refresh_failed',
      'auth_secret.error',
      'auth_secret.updated',
      'auth_secret.refreshed',
      'auth_secret.recovered',
      'auth_secret.deleted',
      'auth_secret.restored',
    ];
    await receiver.waitFor(
      (all) =>
        eventsFor(
          all.filter((r) => r.path === '/hooks'),
          id,
        ).length >= expected.length,
    );
    await worker.drain();
    const mine = eventsFor(
      receiver.requests.filter((r) => r.path === '/hooks'),
      id,
    );
    // Delivery order across events is not guaranteed (retries, concurrency); the event time is.
    mine.sort((x, y) => x.payload.timestamp.localeCompare(y.payload.timestamp));
    assert.deepEqual(
      mine.map((r) => r.payload.type),
      expected,
    );
    for (const r of mine) {
      assert.ok(r.verified, `signature of ${r.payload.type} verified with the standardwebhooks package`);
      assert.equal(r.contentType, 'application/json');
      assert.equal(r.payload.data.id, id);
      assert.equal(r.payload.data.workspace_id, a.workspaceId);
      assert.equal(r.payload.data.auth_client_id, a.clientId);
      assert.deepEqual(Object.keys(r.payload).sort(), ['data', 'timestamp', 'type']);
      assert.deepEqual(findSecrets(r.body), [], `no credential in ${r.payload.type}`);
      for (const value of [
        grant.accessToken,
        grant.refreshToken,
        fresh.accessToken,
        fresh.refreshToken,
        provider.clientSecret,
      ]) {
        assert.ok(!r.body.includes(value), `no credential in ${r.payload.type}`);
      }
    }
    const byType = (type: string) => mine.filter((r) => r.payload.type === type);
    assert.deepEqual(
      byType('auth_secret.refresh_failed').map((r) => r.payload.data.attempts),
      [1, 2],
    );
    assert.equal(byType('auth_secret.refresh_failed')[0]?.payload.data.failure_kind, 'provider_error');
    assert.match(byType('auth_secret.error')[0]?.payload.data.reason, /rejected the refresh token/);
    assert.equal(byType('auth_secret.error')[0]?.payload.data.state, 'error');
    assert.equal(byType('auth_secret.recovered')[0]?.payload.data.state, 'ready');
    assert.equal(byType('auth_secret.updated')[0]?.payload.data.name, renamed);
    assert.equal(new Set(mine.map((r) => r.id)).size, mine.length, 'one webhook-id per event');

    const filtered = eventsFor(
      receiver.requests.filter((r) => r.path === '/hooks/alerts'),
      id,
    );
    assert.deepEqual(filtered.map((r) => r.payload.type).sort(), [
      'auth_secret.error',
      'auth_secret.recovered',
    ]);
    assert.ok(filtered.every((r) => r.verified));
    assert.equal(receiver.requests.filter((r) => r.path === '/hooks/elsewhere').length, 0);
    assert.equal(
      receiver.requests.filter((r) => r.path === '/hooks/foreign').length,
      0,
      'tenant B got no event of A',
    );
    assert.equal((await listDeliveries(t.app, a.admin.auth, a.tenantId, elsewhere.id)).length, 0);

    const deliveries = await listDeliveries(t.app, a.admin.auth, a.tenantId, hook.id);
    assert.equal(deliveries.length, expected.length);
    assert.ok(deliveries.every((d) => d.attributes.status === 'delivered' && d.attributes.attempts === 1));
    assert.deepEqual(
      new Set(deliveries.map((d) => d.id)),
      new Set(mine.map((r) => r.id)),
      'webhook-id is the delivery id',
    );
  });

  it('a change rolled back after its event was written leaves no event', async () => {
    const a = await tenantWithClient();
    await createWebhook(t.app, a.admin.auth, a.tenantId, `${receiver.url}/rollback`);
    const grant = provider.grant();
    const created = await request(t.app)
      .post(`/v2/workspaces/${a.workspaceId}/secrets`)
      .set('Authorization', a.admin.auth)
      .set('Content-Type', JSONAPI)
      .send({
        data: {
          type: 'auth-secret',
          attributes: {
            name: marker('secret'),
            state: 'ready',
            credentials: {
              access_token: grant.accessToken,
              refresh_token: grant.refreshToken,
              expires_in: 3600,
            },
          },
          relationships: { 'auth-client': { data: { type: 'auth-client', id: a.clientId } } },
        },
      });
    assert.equal(created.status, 201, created.text);
    const id = created.body.data.id as string;
    // The PATCH writes its row and its webhook event, then its audit event fails: all of it rolls back.
    const fn = `fail_audit_${id.replaceAll('-', '_')}`;
    await t.prisma.$executeRawUnsafe(
      `CREATE FUNCTION ${fn}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure' USING ERRCODE = 'P0001'; END $$ LANGUAGE plpgsql`,
    );
    await t.prisma.$executeRawUnsafe(
      `CREATE TRIGGER ${fn} BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.resource_id = '${id}' AND NEW.action = 'auth_secret.update') EXECUTE FUNCTION ${fn}()`,
    );
    try {
      const res = await request(t.app)
        .patch(`/v2/workspaces/${a.workspaceId}/secrets/${id}`)
        .set('Authorization', a.admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-secret', id, attributes: { name: marker('never') } } });
      assert.ok(res.status >= 500, `the injected failure fails the request (${res.status})`);
    } finally {
      await t.prisma.$executeRawUnsafe(`DROP TRIGGER ${fn} ON audit_events`);
      await t.prisma.$executeRawUnsafe(`DROP FUNCTION ${fn}()`);
    }
    const types = await t.prisma.$queryRaw<{ type: string }[]>`
      SELECT type FROM webhook_events WHERE tenant_id = ${a.tenantId}::uuid AND payload->'data'->>'id' = ${id}`;
    assert.deepEqual(
      types.map((r) => r.type),
      ['auth_secret.created'],
      'the rolled-back PATCH left no event',
    );
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
    assert.equal(row.name, created.body.data.attributes.name);
  });

  it('an event nobody subscribed to is not stored', async () => {
    const a = await tenantWithClient();
    await createWebhook(t.app, a.admin.auth, a.tenantId, `${receiver.url}/only-deleted`, {
      events: ['auth_secret.deleted'],
    });
    const res = await request(t.app)
      .post(`/v2/workspaces/${a.workspaceId}/secrets`)
      .set('Authorization', a.admin.auth)
      .set('Content-Type', JSONAPI)
      .send({
        data: {
          type: 'auth-secret',
          attributes: {
            name: marker('secret'),
            state: 'ready',
            credentials: oauth2Credentials(),
          },
          relationships: { 'auth-client': { data: { type: 'auth-client', id: a.clientId } } },
        },
      });
    assert.equal(res.status, 201);
    assert.equal(await t.prisma.webhookEvent.count({ where: { tenantId: a.tenantId } }), 0);
  });
});
