// Webhook delivery by several real worker processes (`npm run worker`, src/worker.ts) sharing one
// PostgreSQL database: 1,000 queued events are delivered exactly once each with no two concurrent
// sends of one delivery, and a worker killed mid-delivery loses nothing (its claim lapses and
// another worker sends the delivery again, with the same webhook-id). The database is the test's own.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'mocha';
import request from 'supertest';
import { generateKeySpec } from '../../src/crypto/key-ring.js';
import { recordWebhookEvent } from '../../src/modules/webhooks/webhook-outbox.js';
import { ServiceProcess } from '../refresh/helpers/child-process.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../refresh/helpers/isolated-database.js';
import { createTenant, createWorkspace } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { testRedisUrl } from '../support/test-database.js';
import { createWebhook } from './support/webhook-api.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

describe('webhooks: several worker processes', function () {
  this.timeout(120_000);
  let db: IsolatedDatabase | undefined;
  let t: TestApp;
  let keySpec: string;
  let redisUrl: string;
  let receiver: WebhookReceiver;
  let children: ServiceProcess[] = [];

  const spawnWorker = (extra: Record<string, string> = {}) => {
    const child = ServiceProcess.worker({
      DATABASE_URL: (db as IsolatedDatabase).url,
      REDIS_URL: redisUrl,
      ENCRYPTION_KEYS: keySpec,
      OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
      DATABASE_POOL_MAX: '5',
      WEBHOOK_POLL_SECONDS: '0.05',
      ...extra,
    });
    children.push(child);
    return child;
  };

  before(async function () {
    const url = testRedisUrl();
    if (!url) this.skip();
    db = await createIsolatedDatabase();
    if (!db) this.skip();
    redisUrl = url as string;
    keySpec = generateKeySpec('wh');
    t = await createTestApp({ ENCRYPTION_KEYS: keySpec }, { databaseUrl: db.url });
  });
  afterEach(async () => {
    await Promise.all(children.map((c) => c.stop('SIGTERM')));
    children = [];
    await receiver?.close();
  });
  after(async () => {
    await t?.close();
    await db?.drop();
  });

  it('two workers deliver 1,000 queued events exactly once each, never one delivery twice at once', async () => {
    receiver = await WebhookReceiver.start();
    receiver.respond = () => ({ status: 204, delayMs: 5 });
    const tenant = await createTenant(t.prisma);
    const workspaceId = await createWorkspace(t.prisma, tenant.tenantId, tenant.admin.userId);
    const hook = await createWebhook(t.app, tenant.admin.auth, tenant.tenantId, receiver.url);
    receiver.trust(hook.secret);
    for (let batch = 0; batch < 10; batch += 1) {
      await t.prisma.$transaction(async (tx) => {
        for (let i = 0; i < 100; i += 1) {
          await recordWebhookEvent(tx, {
            tenantId: tenant.tenantId,
            workspaceId,
            type: 'auth_secret.updated',
            data: { id: `event-${batch * 100 + i}`, name: 'n', state: 'ready' },
          });
        }
      });
    }
    const queued = await t.prisma.webhookDelivery.count({ where: { webhookId: hook.id } });
    assert.equal(queued, 1000);

    const workers = [
      spawnWorker({ WEBHOOK_CONCURRENCY: '16', WEBHOOK_CONCURRENCY_PER_DESTINATION: '8' }),
      spawnWorker({ WEBHOOK_CONCURRENCY: '16', WEBHOOK_CONCURRENCY_PER_DESTINATION: '8' }),
    ];
    await Promise.all(workers.map((w) => w.waitFor(/webhook delivery worker started/)));
    await receiver.waitFor((all) => new Set(all.map((r) => r.id)).size >= 1000, 90_000);
    // Let any duplicate that was still on its way arrive before counting.
    await new Promise((r) => setTimeout(r, 500));

    const counts = receiver.countsById();
    assert.equal(counts.size, 1000);
    const duplicates = [...counts].filter(([, n]) => n !== 1);
    assert.deepEqual(duplicates, [], 'every event delivered exactly once');
    assert.equal(receiver.maxConcurrentPerId, 1, 'no two concurrent sends of one delivery');
    assert.ok(
      receiver.requests.every((r) => r.verified),
      'every signature verified',
    );
    const delivered = await t.prisma.webhookDelivery.count({
      where: { webhookId: hook.id, status: 'delivered', attempts: 1 },
    });
    assert.equal(delivered, 1000);
    assert.ok(receiver.maxConcurrent > 1, 'the workers sent side by side');
  });

  it('a worker killed mid-delivery: the delivery is sent again by another worker, not lost', async () => {
    receiver = await WebhookReceiver.start();
    const tenant = await createTenant(t.prisma);
    const hook = await createWebhook(t.app, tenant.admin.auth, tenant.tenantId, receiver.url);
    receiver.trust(hook.secret);
    // The first attempt hangs at the receiver until its worker is gone; the next one is answered.
    receiver.respond = (_req, nth) => (nth === 1 ? { status: 200, delayMs: 30_000 } : 200);
    const ping = await request(t.app)
      .post(`/v2/tenants/${tenant.tenantId}/webhooks/${hook.id}/ping`)
      .set('Authorization', tenant.admin.auth);
    assertJsonApiResponse(ping);
    const id = ping.body.data.id as string;

    const first = spawnWorker({ WEBHOOK_TIMEOUT_MS: '1000' });
    await receiver.waitFor((all) => all.some((r) => r.id === id), 30_000);
    await first.stop('SIGKILL');
    const second = spawnWorker({ WEBHOOK_TIMEOUT_MS: '1000' });
    await second.waitFor(/webhook delivery worker started/);
    await receiver.waitFor((all) => all.filter((r) => r.id === id).length >= 2, 30_000);
    const until = Date.now() + 10_000;
    let row = await t.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
    while (row.status !== 'delivered' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      row = await t.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
    }
    assert.equal(row.status, 'delivered');
    assert.equal(row.attempts, 1, 'the killed attempt never completed, so it is not counted');
    assert.ok(receiver.requests.filter((r) => r.id === id).every((r) => r.verified));
  });
});
