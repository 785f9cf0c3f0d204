// Delivery of webhook events by the worker (API.md §11), against real receivers on loopback that
// verify every signature with the `standardwebhooks` package. Time is compressed through the
// retry schedule and the timeout (configuration), never mocked.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { after, afterEach, before, describe, it } from 'mocha';
import request from 'supertest';
import type { DeliveryWorker } from '../../src/webhooks/delivery-worker.js';
import { createTenant } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createWebhook, type DeliveryResource, listDeliveries } from './support/webhook-api.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const FAST = { pollMs: 20, retryScheduleSeconds: [0.05, 0.05, 0.05, 0.05, 0.05] };

describe('webhooks: delivery by the worker (API.md §11)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let tenantId: string;
  let auth: string;
  let worker: DeliveryWorker | undefined;

  before(async () => {
    t = await createTestApp({ WEBHOOK_TIMEOUT_MS: '400' });
    const tenant = await createTenant(t.prisma);
    tenantId = tenant.tenantId;
    auth = tenant.admin.auth;
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await receiver?.close();
  });
  after(async () => {
    await t?.close();
  });

  async function hookOn(url: string, r: WebhookReceiver): Promise<string> {
    const hook = await createWebhook(t.app, auth, tenantId, url);
    r.trust(hook.secret);
    return hook.id;
  }

  async function ping(app: Express, webhookId: string): Promise<string> {
    const res = await request(app)
      .post(`/v2/tenants/${tenantId}/webhooks/${webhookId}/ping`)
      .set('Authorization', auth);
    assertJsonApiResponse(res);
    assert.equal(res.status, 202, res.text);
    return res.body.data.id;
  }

  async function deliveryOf(webhookId: string, id: string): Promise<DeliveryResource> {
    const res = await request(t.app)
      .get(`/v2/tenants/${tenantId}/webhooks/${webhookId}/deliveries/${id}`)
      .set('Authorization', auth);
    assertJsonApiResponse(res);
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  }

  async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      assert.ok(Date.now() < end, 'condition not met in time');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('500 three times, then 200: the same webhook-id on every attempt, delivered with attempts 4', async () => {
    receiver = await WebhookReceiver.start();
    receiver.respond = (_req, nth) => (nth <= 3 ? 500 : 200);
    const hookId = await hookOn(receiver.url, receiver);
    const id = await ping(t.app, hookId);
    worker = t.webhooks.createWorker(FAST);
    worker.start();
    await until(async () => (await deliveryOf(hookId, id)).attributes.status === 'delivered');
    const d = await deliveryOf(hookId, id);
    assert.equal(d.attributes.attempts, 4);
    assert.equal(d.attributes.last_status_code, 200);
    assert.equal(d.attributes.last_error, null);
    assert.equal(d.attributes.next_attempt_at, null);
    const seen = receiver.requests.filter((r) => r.id === id);
    assert.equal(seen.length, 4);
    assert.ok(
      seen.every((r) => r.verified),
      'every attempt signed and verified',
    );
    assert.equal(new Set(seen.map((r) => r.body)).size, 1, 'the same body on every attempt');
    assert.equal(seen[0]?.payload.type, 'ping');
    assert.equal(seen[0]?.payload.data.webhook_id, hookId);
  });

  it('always failing: failed after the configured attempts; retry queues it again', async () => {
    receiver = await WebhookReceiver.start();
    receiver.respond = () => 503;
    const hookId = await hookOn(receiver.url, receiver);
    const id = await ping(t.app, hookId);
    worker = t.webhooks.createWorker({ pollMs: 20, retryScheduleSeconds: [0.05, 0.05] });
    worker.start();
    await until(async () => (await deliveryOf(hookId, id)).attributes.status === 'failed');
    let d = await deliveryOf(hookId, id);
    assert.equal(d.attributes.attempts, 3);
    assert.equal(d.attributes.last_status_code, 503);
    assert.equal(d.attributes.last_error, 'HTTP 503.');
    assert.equal(d.attributes.next_attempt_at, null);
    assert.equal(receiver.requests.filter((r) => r.id === id).length, 3);

    receiver.respond = () => 204;
    const retried = await request(t.app)
      .post(`/v2/tenants/${tenantId}/webhooks/${hookId}/deliveries/${id}/retry`)
      .set('Authorization', auth);
    assertJsonApiResponse(retried);
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.body.data.attributes.status, 'pending');
    assert.equal(retried.body.data.attributes.attempts, 0);
    await until(async () => (await deliveryOf(hookId, id)).attributes.status === 'delivered');
    d = await deliveryOf(hookId, id);
    assert.equal(d.attributes.attempts, 1);
    const ids = receiver.requests.map((r) => r.id);
    assert.deepEqual(new Set(ids), new Set([id]), 'the retry kept its webhook-id');

    const metrics = await request(t.app).get('/metrics');
    assert.match(metrics.text, /webhook_delivery_attempts_total\{outcome="http_error"\} [1-9]/);
    assert.match(metrics.text, /webhook_deliveries_completed_total\{status="failed"\} [1-9]/);
    assert.match(metrics.text, /webhook_deliveries_completed_total\{status="delivered"\} [1-9]/);
    assert.ok(
      !metrics.text.includes(tenantId) && !metrics.text.includes(hookId),
      'no tenant or webhook label',
    );
  });

  it('a receiver that redirects is not followed', async () => {
    receiver = await WebhookReceiver.start();
    receiver.respond = (req) =>
      req.path === '/hooks' ? { status: 307, location: `${receiver.url}/elsewhere` } : 204;
    const hookId = await hookOn(receiver.url, receiver);
    const id = await ping(t.app, hookId);
    worker = t.webhooks.createWorker({ pollMs: 20, retryScheduleSeconds: [] });
    worker.start();
    await until(async () => (await deliveryOf(hookId, id)).attributes.status === 'failed');
    const d = await deliveryOf(hookId, id);
    assert.equal(d.attributes.last_status_code, 307);
    assert.match(d.attributes.last_error ?? '', /redirects are not followed/);
    assert.deepEqual(
      receiver.requests.map((r) => r.path),
      ['/hooks'],
    );
  });

  it('the outbound guard applies when sending: a loopback receiver is not contacted without OAUTH_ALLOW_LOOPBACK_HTTP', async () => {
    receiver = await WebhookReceiver.start();
    const hookId = await hookOn(receiver.localhostUrl, receiver);
    const id = await ping(t.app, hookId);
    worker = t.webhooks.createWorker({
      pollMs: 20,
      retryScheduleSeconds: [],
      ...{ allowLoopback: false },
    } as never);
    worker.start();
    await until(async () => (await deliveryOf(hookId, id)).attributes.status === 'failed');
    const d = await deliveryOf(hookId, id);
    assert.equal(d.attributes.last_status_code, null);
    assert.match(d.attributes.last_error ?? '', /^Not sent: the webhook URL/);
    assert.equal(receiver.requests.length, 0);
  });

  it('a receiver slower than the timeout counts as a failed attempt', async () => {
    receiver = await WebhookReceiver.start();
    receiver.respond = () => ({ status: 200, delayMs: 1500 });
    const hookId = await hookOn(receiver.url, receiver);
    const id = await ping(t.app, hookId);
    worker = t.webhooks.createWorker({ pollMs: 20, retryScheduleSeconds: [] });
    worker.start();
    await until(async () => (await deliveryOf(hookId, id)).attributes.status === 'failed');
    assert.equal((await deliveryOf(hookId, id)).attributes.last_error, 'No answer within 400 ms.');
  });

  it('one slow destination cannot starve the others (bounded concurrency per destination)', async () => {
    receiver = await WebhookReceiver.start();
    const slow = await WebhookReceiver.start();
    try {
      slow.respond = () => ({ status: 200, delayMs: 300 });
      const slowHook = await hookOn(slow.url, slow);
      const fastHook = await hookOn(receiver.url, receiver);
      const slowIds: string[] = [];
      for (let i = 0; i < 8; i += 1) slowIds.push(await ping(t.app, slowHook));
      const fastIds: string[] = [];
      for (let i = 0; i < 4; i += 1) fastIds.push(await ping(t.app, fastHook));
      worker = t.webhooks.createWorker({ pollMs: 20, concurrency: 4, perDestination: 2, timeoutMs: 5000 });
      worker.start();
      await receiver.waitFor((all) => fastIds.every((id) => all.some((r) => r.id === id)), 5000);
      const slowDone = (await listDeliveries(t.app, auth, tenantId, slowHook)).filter(
        (d) => d.attributes.status === 'delivered',
      );
      assert.ok(
        slowDone.length < slowIds.length,
        'the fast receiver was served while the slow one still had work',
      );
      await slow.waitFor((all) => slowIds.every((id) => all.some((r) => r.id === id)), 10_000);
      assert.ok(slow.maxConcurrent <= 2, `at most 2 at once to one destination (saw ${slow.maxConcurrent})`);
    } finally {
      await worker?.stop();
      await slow.close();
    }
  });
});
