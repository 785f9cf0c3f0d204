// Runs the webhook rows of the permission matrix (webhook-permission-rows.ts): each caller gets the
// documented status, with a JSON:API document, and a refused request changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { randomUUID7 } from '../../src/db/uuid7.js';
import { queuePing } from '../../src/modules/webhooks/webhook-outbox.js';
import { sealSigningSecret } from '../../src/modules/webhooks/webhook-secret.js';
import { createApiKey, createWorld, send, type World } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { rowTitle } from '../support/permission-matrix.js';
import { basicAuth } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import {
  WEBHOOK_CALLERS,
  WEBHOOK_ROWS,
  type WebhookCaller,
  type WebhookCase,
} from './webhook-permission-rows.js';

describe('webhooks: permission matrix (API.md §2, §11)', () => {
  let t: TestApp;
  let world: World;
  const auth: Partial<Record<WebhookCaller, string>> = {};

  before(async () => {
    t = await createTestApp();
    world = await createWorld(t.prisma);
    for (const name of WEBHOOK_CALLERS) if (name !== 'readKey') auth[name] = world.actors[name].auth;
    const admin = world.actors.admin;
    const readKey = await createApiKey(t.prisma, admin.userId, ['tenants.webhook.get']);
    auth.readKey = basicAuth(admin.email, readKey);
  });
  after(async () => {
    await t?.close();
  });

  /** A fresh webhook with one failed delivery, written straight to the tables. */
  async function freshCase(): Promise<WebhookCase> {
    const id = randomUUID7();
    const tenantId = world.tenantId;
    await t.prisma.webhook.create({
      data: {
        id,
        tenantId,
        url: 'https://hooks.example.test/matrix',
        destination: 'https://hooks.example.test:443',
        events: ['*'],
        secretSealed: sealSigningSecret(
          t.keyRing,
          { id, tenantId },
          'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHQ=',
        ),
      },
    });
    const deliveryId = await queuePing(t.prisma, { id, tenantId });
    await t.prisma.webhookDelivery.update({
      where: { id: deliveryId },
      data: { status: 'failed', attempts: 8, nextAttemptAt: null },
    });
    return { tenantId, webhookId: id, deliveryId };
  }

  const snapshot = async (c: WebhookCase) =>
    JSON.stringify([
      await t.prisma.webhook.findMany({ where: { tenantId: c.tenantId }, orderBy: { id: 'asc' } }),
      await t.prisma.webhookDelivery.findMany({ where: { webhookId: c.webhookId }, orderBy: { id: 'asc' } }),
    ]);

  for (const row of WEBHOOK_ROWS) {
    describe(rowTitle(row), () => {
      for (const caller of WEBHOOK_CALLERS) {
        const status = row.expected[caller];
        it(`${caller} → ${status}`, async () => {
          const c = await freshCase();
          const request = await row.prepare(c);
          const before = status >= 400 ? await snapshot(c) : '';
          const res = await send(t.app, auth[caller], request);
          if (status >= 400) {
            expectError(res, status, status === 403 ? 'forbidden' : 'not_found');
            assert.equal(await snapshot(c), before, 'a refused request changed nothing');
          } else {
            assert.equal(res.status, status, res.text);
            assertJsonApiResponse(res);
            if (row.type) {
              const data = res.body.data;
              for (const item of Array.isArray(data) ? data : [data]) assert.equal(item.type, row.type);
            }
          }
        });
      }
    });
  }
});
