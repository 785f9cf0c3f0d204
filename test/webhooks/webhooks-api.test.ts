// The webhook resources of API.md §11 through the real app: the one-time signing secret and its
// rotation, validation (every problem with its pointer, nothing written), the address rules of
// token URLs at write time, the workspace filter, audit events without the secret, ping, and the
// deliveries list with retry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { createTenant, createWorkspace } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createWebhook, JSONAPI, listDeliveries, webhookDocument } from './support/webhook-api.js';

describe('webhooks: resources (API.md §11)', () => {
  let t: TestApp;
  let strict: TestApp;
  let tenantId: string;
  let auth: string;
  let workspaceId: string;

  before(async () => {
    t = await createTestApp();
    strict = await createTestApp({ OAUTH_ALLOW_LOOPBACK_HTTP: 'false' });
    const tenant = await createTenant(t.prisma);
    tenantId = tenant.tenantId;
    auth = tenant.admin.auth;
    workspaceId = await createWorkspace(t.prisma, tenantId, tenant.admin.userId);
  });

  after(async () => {
    await t?.close();
    await strict?.close();
  });

  const post = (app: TestApp, body: object) =>
    request(app.app)
      .post(`/v2/tenants/${tenantId}/webhooks`)
      .set('Authorization', auth)
      .set('Content-Type', JSONAPI)
      .send(body);

  it('creates a webhook and shows its signing secret once, sealed at rest', async () => {
    const res = await post(
      t,
      webhookDocument('https://hooks.example.test/in', { events: ['auth_secret.error'] }),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 201, res.text);
    const data = res.body.data;
    assert.equal(data.type, 'webhook');
    assert.equal(res.headers.location, data.links.self);
    assert.deepEqual(data.attributes.events, ['auth_secret.error']);
    assert.equal(data.attributes.enabled, true);
    assert.match(data.attributes.secret, /^whsec_/);
    assert.equal(data.relationships.workspace.data, null);

    const got = await request(t.app).get(new URL(data.links.self).pathname).set('Authorization', auth);
    assertJsonApiResponse(got);
    assert.equal(got.status, 200);
    assert.equal(got.body.data.attributes.secret, undefined, 'the secret is shown only once');
    assert.equal(got.body.data.attributes.url, 'https://hooks.example.test/in');

    const row = await t.prisma.webhook.findUniqueOrThrow({ where: { id: data.id } });
    assert.ok(!Buffer.from(row.secretSealed).toString('latin1').includes(data.attributes.secret.slice(6)));

    const list = await request(t.app).get(`/v2/tenants/${tenantId}/webhooks`).set('Authorization', auth);
    assertJsonApiResponse(list);
    assert.ok(list.body.data.some((w: { id: string }) => w.id === data.id));
    assert.ok(list.body.data.every((w: { attributes: object }) => !('secret' in w.attributes)));
  });

  it('PATCHes members one by one, sets and removes the workspace filter, and deletes', async () => {
    const hook = await createWebhook(t.app, auth, tenantId, 'https://hooks.example.test/a');
    const path = `/v2/tenants/${tenantId}/webhooks/${hook.id}`;
    const patch = (body: object) =>
      request(t.app).patch(path).set('Authorization', auth).set('Content-Type', JSONAPI).send(body);
    let res = await patch({
      data: {
        type: 'webhook',
        id: hook.id,
        attributes: {
          enabled: false,
          events: ['auth_secret.created', 'auth_secret.deleted'],
          description: null,
        },
        relationships: { workspace: { data: { type: 'workspace', id: workspaceId } } },
      },
    });
    assertJsonApiResponse(res);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.attributes.enabled, false);
    assert.equal(res.body.data.attributes.description, null);
    assert.equal(res.body.data.attributes.url, 'https://hooks.example.test/a');
    assert.deepEqual(res.body.data.relationships.workspace.data, { type: 'workspace', id: workspaceId });
    assert.equal(res.body.data.attributes.secret, undefined);

    res = await patch({
      data: { type: 'webhook', id: hook.id, relationships: { workspace: { data: null } } },
    });
    assertJsonApiResponse(res);
    assert.equal(res.body.data.relationships.workspace.data, null);

    const del = await request(t.app).delete(path).set('Authorization', auth);
    assert.equal(del.status, 204);
    expectError(await request(t.app).get(path).set('Authorization', auth), 404, 'not_found');
    expectError(await request(t.app).delete(path).set('Authorization', auth), 404, 'not_found');
  });

  it('rotate-secret returns a new secret once', async () => {
    const hook = await createWebhook(t.app, auth, tenantId, 'https://hooks.example.test/r');
    const res = await request(t.app)
      .post(`/v2/tenants/${tenantId}/webhooks/${hook.id}/rotate-secret`)
      .set('Authorization', auth);
    assertJsonApiResponse(res);
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.data.attributes.secret, /^whsec_/);
    assert.notEqual(res.body.data.attributes.secret, hook.secret);
  });

  it('records tenant-level audit events without the secret', async () => {
    const hook = await createWebhook(t.app, auth, tenantId, 'https://hooks.example.test/audit');
    const rotated = await request(t.app)
      .post(`/v2/tenants/${tenantId}/webhooks/${hook.id}/rotate-secret`)
      .set('Authorization', auth);
    await request(t.app)
      .patch(`/v2/tenants/${tenantId}/webhooks/${hook.id}`)
      .set('Authorization', auth)
      .set('Content-Type', JSONAPI)
      .send({ data: { type: 'webhook', id: hook.id, attributes: { enabled: false } } });
    await request(t.app).delete(`/v2/tenants/${tenantId}/webhooks/${hook.id}`).set('Authorization', auth);
    const res = await request(t.app)
      .get(`/v2/tenants/${tenantId}/audit-events?filter[resource]=${hook.id}`)
      .set('Authorization', auth);
    assertJsonApiResponse(res);
    const actions = res.body.data
      .map((e: { attributes: { action: string } }) => e.attributes.action)
      .reverse();
    assert.deepEqual(actions, [
      'webhook.create',
      'webhook.rotate_secret',
      'webhook.update',
      'webhook.delete',
    ]);
    const text = JSON.stringify(res.body);
    for (const secret of [hook.secret, rotated.body.data.attributes.secret]) {
      assert.ok(!text.includes(secret.slice(6, 30)), 'no secret in audit events');
    }
    const rows = await t.prisma.auditEvent.findMany({ where: { resourceId: hook.id } });
    assert.ok(!JSON.stringify(rows).includes('whsec_'));
  });

  it('refuses unknown event types and every other problem at once, with pointers, writing nothing', async () => {
    const before = await t.prisma.webhook.count({ where: { tenantId } });
    const res = await post(t, {
      data: {
        type: 'webhook',
        attributes: { url: 'ftp://hooks.example.test/x', events: ['auth_secret.created', 'nope', '*'] },
      },
    });
    const errors = expectError(res, 422);
    const byPointer = Object.fromEntries(errors.map((e) => [e.source?.pointer, e.code]));
    assert.deepEqual(byPointer, {
      '/data/attributes/url': 'insecure_url',
      '/data/attributes/events/1': 'unknown_event_type',
      '/data/attributes/events': 'invalid_events',
    });
    assert.equal(await t.prisma.webhook.count({ where: { tenantId } }), before);
  });

  it('refuses a URL on a forbidden address when written (422 forbidden_address)', async () => {
    for (const url of [
      'https://10.0.0.5/hook',
      'https://169.254.169.254/latest',
      'https://[fd00::1]/x',
      'https://[::ffff:192.168.1.1]/',
    ]) {
      const errors = expectError(await post(t, webhookDocument(url)), 422, 'forbidden_address');
      assert.equal(errors[0]?.source?.pointer, '/data/attributes/url', url);
    }
  });

  it('refuses a loopback receiver without OAUTH_ALLOW_LOOPBACK_HTTP=true, on create and PATCH', async () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'https://127.0.0.1/hook']) {
      const errors = expectError(await post(strict, webhookDocument(url)), 422);
      assert.ok(['insecure_url', 'forbidden_address'].includes(errors[0]?.code ?? ''), url);
    }
    const hook = await createWebhook(strict.app, auth, tenantId, 'https://hooks.example.test/ok');
    const res = await request(strict.app)
      .patch(`/v2/tenants/${tenantId}/webhooks/${hook.id}`)
      .set('Authorization', auth)
      .set('Content-Type', JSONAPI)
      .send({ data: { type: 'webhook', id: hook.id, attributes: { url: 'http://127.0.0.1:9/x' } } });
    expectError(res, 422, 'insecure_url');
    const row = await strict.prisma.webhook.findUniqueOrThrow({ where: { id: hook.id } });
    assert.equal(row.url, 'https://hooks.example.test/ok');
  });

  it('answers 404 for a workspace filter naming another tenant’s or no workspace', async () => {
    const other = await createTenant(t.prisma);
    const foreign = await createWorkspace(t.prisma, other.tenantId, other.admin.userId);
    const errors = expectError(
      await post(t, webhookDocument('https://hooks.example.test/w', {}, foreign)),
      404,
      'not_found',
    );
    assert.equal(errors[0]?.source?.pointer, '/data/relationships/workspace/data');
    const hook = await createWebhook(t.app, auth, tenantId, 'https://hooks.example.test/w', {}, workspaceId);
    const res = await request(t.app)
      .get(`/v2/tenants/${tenantId}/webhooks/${hook.id}`)
      .set('Authorization', auth);
    assert.equal(res.body.data.relationships.workspace.data.id, workspaceId);
  });

  it('ping queues a delivery (202) listed newest first; retry refuses a delivery that has not failed', async () => {
    const hook = await createWebhook(t.app, auth, tenantId, 'https://hooks.example.test/p');
    const base = `/v2/tenants/${tenantId}/webhooks/${hook.id}`;
    const first = await request(t.app).post(`${base}/ping`).set('Authorization', auth);
    assertJsonApiResponse(first);
    assert.equal(first.status, 202, first.text);
    assert.equal(first.body.data.type, 'webhook-delivery');
    assert.equal(first.body.data.attributes.event_type, 'ping');
    assert.equal(first.body.data.attributes.status, 'pending');
    assert.equal(first.body.data.attributes.attempts, 0);
    const second = await request(t.app).post(`${base}/ping`).set('Authorization', auth);
    const list = await listDeliveries(t.app, auth, tenantId, hook.id);
    assert.deepEqual(
      list.map((d) => d.id),
      [second.body.data.id, first.body.data.id],
    );
    const one = await request(t.app)
      .get(new URL(list[0]?.links.self ?? '').pathname)
      .set('Authorization', auth);
    assertJsonApiResponse(one);
    assert.equal(one.body.data.id, second.body.data.id);
    const paged = await request(t.app).get(`${base}/deliveries?page[size]=1`).set('Authorization', auth);
    assertJsonApiResponse(paged);
    assert.equal(paged.body.data[0].id, second.body.data.id);
    const next = await request(t.app)
      .get(new URL(paged.body.links.next).pathname + new URL(paged.body.links.next).search)
      .set('Authorization', auth);
    assert.equal(next.body.data[0].id, first.body.data.id);

    expectError(
      await request(t.app).post(`${base}/deliveries/${first.body.data.id}/retry`).set('Authorization', auth),
      409,
      'delivery_not_failed',
    );
    expectError(
      await request(t.app).post(`${base}/deliveries/not-a-uuid/retry`).set('Authorization', auth),
      404,
      'not_found',
    );

    await request(t.app)
      .patch(base)
      .set('Authorization', auth)
      .set('Content-Type', JSONAPI)
      .send({ data: { type: 'webhook', id: hook.id, attributes: { enabled: false } } });
    expectError(
      await request(t.app).post(`${base}/ping`).set('Authorization', auth),
      409,
      'webhook_disabled',
    );
  });
});
