// Refresh storms (API.md §10.5) in one process and between two processes on one database: the
// coalescing window, and a rotated refresh token's invalid_grant after another process renewed it.
// The burst over two server processes and Redis is in multi-process.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { generateKeySpec } from '../../src/crypto/key-ring.js';
import { type SeededSecret, type SeededTenant, seedSecrets, seedTenant } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('refresh: storms (API.md §10.5)', function () {
  this.timeout(30_000);
  let provider: OAuthTestServer;
  let coalescing: TestApp;
  let a: TestApp;
  let b: TestApp;
  let tenant: SeededTenant;

  const refresh = (app: TestApp, s: SeededSecret) =>
    request(app.app)
      .post(`/v2/workspaces/${tenant.workspaceId}/secrets/${s.id}/refresh`)
      .set('Authorization', tenant.admin.auth);

  before(async () => {
    provider = await OAuthTestServer.start();
    // One key ring, as processes of one deployment share.
    const ENCRYPTION_KEYS = generateKeySpec('storm');
    coalescing = await createTestApp({ ENCRYPTION_KEYS, REFRESH_COALESCE_SECONDS: '5' });
    // Two "processes" on one database without Redis: nothing coordinates them but the database.
    a = await createTestApp({ ENCRYPTION_KEYS, REFRESH_COALESCE_SECONDS: '0' });
    b = await createTestApp({ ENCRYPTION_KEYS, REFRESH_COALESCE_SECONDS: '0' });
    tenant = await seedTenant(coalescing.prisma, coalescing.keyRing, provider);
  });
  after(async () => {
    await coalescing?.close();
    await a?.close();
    await b?.close();
    await provider?.close();
  });

  it('an on-demand refresh within REFRESH_COALESCE_SECONDS of the last success returns it: no provider call', async () => {
    const [s] = (await seedSecrets(coalescing.prisma, coalescing.keyRing, provider, tenant, 1, 3600)) as [
      SeededSecret,
    ];
    const first = await refresh(coalescing, s);
    assertJsonApiResponse(first);
    assert.equal(first.status, 200, first.text);
    await sleep(1500);
    const later = await Promise.all([refresh(coalescing, s), refresh(coalescing, s)]);
    for (const res of later) {
      assertJsonApiResponse(res);
      assert.equal(res.status, 200, res.text);
      assert.equal(
        res.body.data.attributes.credentials.access_token,
        first.body.data.attributes.credentials.access_token,
      );
    }
    assert.equal(provider.totalCalls, 1, 'one provider call for the spread-out burst');
    const events = await coalescing.prisma.auditEvent.findMany({
      where: { resourceId: s.id, action: 'auth_secret.refresh' },
      orderBy: { id: 'asc' },
    });
    assert.deepEqual(
      events.map((e) => (e.details as { result: string }).result),
      ['refreshed', 'already_renewed', 'already_renewed'],
    );
  });

  it('invalid_grant after another process renewed with a rotating provider: the renewed token, state ready', async () => {
    provider.reset();
    provider.set({ rotate: true, latencyMs: 400 });
    const [s] = (await seedSecrets(a.prisma, a.keyRing, provider, tenant, 1, 3600)) as [SeededSecret];
    // A renews; B, a moment later, still holds the old refresh token, which the provider refuses
    // once A's renewal went through.
    const fromA = refresh(a, s);
    await sleep(150);
    const fromB = refresh(b, s);
    const [resA, resB] = await Promise.all([fromA, fromB]);
    assert.equal(
      provider.totalCalls,
      2,
      `both called the provider (${resA.status} ${resB.status} ${resB.text.slice(0, 300)})`,
    );
    assert.equal(resA.status, 200, resA.text);
    assertJsonApiResponse(resB);
    assert.equal(resB.status, 200, resB.text);
    const attrs = resB.body.data.attributes;
    assert.equal(attrs.state, 'ready', 'the stale rejection is not final');
    assert.equal(attrs.error, null);
    assert.equal(attrs.credentials.refresh_token, resA.body.data.attributes.credentials.refresh_token);
    assert.ok(provider.isValid(attrs.credentials.refresh_token), 'the answer is the live token');
    const row = await a.prisma.authSecret.findUniqueOrThrow({ where: { id: s.id } });
    assert.equal(row.state, 'ready');
    assert.equal(row.failureCount, 0);
  });
});
