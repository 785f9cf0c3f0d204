// The refresh worker in this process, on a database of its own (a worker claims every due secret
// in its database): renewal ahead of expiry, bounded concurrency, the failure policy, isolation.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'mocha';
import request from 'supertest';
import { openCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { BACKOFF_BASE_MS } from '../../src/refresh/refresh-policy.js';
import { type SeededTenant, seedSecrets, seedTenant } from '../support/factories.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createIsolatedDatabase, type IsolatedDatabase } from './helpers/isolated-database.js';

describe('refresh: worker ahead of expiry', () => {
  let db: IsolatedDatabase | undefined;
  let provider: OAuthTestServer;
  let t: TestApp;
  let tenant: SeededTenant;

  const row = (id: string) => t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
  const worker = (concurrency = 4) => t.refresh.createWorker({ concurrency, pollMs: 50 });

  before(async function () {
    db = await createIsolatedDatabase();
    if (!db) this.skip();
    provider = await OAuthTestServer.start();
    t = await createTestApp(
      { OAUTH_TIMEOUT_MS: '600', REFRESH_AHEAD_SECONDS: '300' },
      { databaseUrl: db.url },
    );
    tenant = await seedTenant(t.prisma, t.keyRing, provider);
  });
  beforeEach(async () => {
    provider?.reset();
    // Each test starts with no due secret left over from the previous one.
    await t?.prisma.authSecret.deleteMany({});
  });
  after(async () => {
    await t?.close();
    await provider?.close();
    await db?.drop();
  });

  it('renews exactly the due secrets, once each, keeping concurrency within the bound', async () => {
    provider.set({ latencyMs: 40 });
    const due = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 30, 60);
    const later = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 3, 3600);
    const stats = await worker(3).sweep();
    assert.equal(stats.claimed, 30);
    assert.equal(stats.refreshed, 30);
    for (const s of due) {
      assert.equal(provider.renewalsOf(s.refreshToken), 1);
      const r = await row(s.id);
      assert.equal(r.state, 'ready');
      assert.ok((r.expiresAt?.getTime() ?? 0) > Date.now() + 3500_000);
      assert.equal(r.nextAttemptAt, null);
      assert.notEqual(openCredentials(t.keyRing, r).access_token, s.accessToken);
    }
    for (const s of later) assert.equal(provider.callsFor(s.refreshToken), 0);
    assert.equal(provider.maxConcurrent, 3, 'bounded, and actually concurrent');
    assert.equal((await worker().sweep()).claimed, 0, 'nothing is due any more');
  });

  it('isolates failures: revoked grants become error at once, the others are renewed', async () => {
    const secrets = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 6, 30);
    const revoked = secrets.slice(0, 2);
    for (const s of revoked) provider.revoke(s.refreshToken);
    const stats = await worker().sweep();
    assert.equal(stats.refreshed, 4);
    assert.equal(stats.failed, 2);
    const events = await t.prisma.auditEvent.findMany({
      where: { resourceId: { in: secrets.map((s) => s.id) } },
    });
    assert.equal(events.length, 6, 'one audit event per worker refresh');
    assert.ok(
      events.every((e) => e.actorUserId === null && e.actorApiKeyId === null),
      'the system acted',
    );
    assert.equal(events.filter((e) => e.outcome === 'failure').length, 2);
    for (const s of revoked) {
      const r = await row(s.id);
      assert.equal(r.state, 'error');
      assert.match(r.error ?? '', /invalid_grant/);
      assert.equal(r.lastFailureKind, 'rejected');
    }
    // The worker stops retrying rejected grants until someone patches or refreshes them.
    await worker().sweep();
    for (const s of revoked) assert.equal(provider.callsFor(s.refreshToken), 1);
  });

  it('transient failure: a still-valid token stays ready and is retried after a backoff', async () => {
    const [s] = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 1, 60);
    provider.set({ fail: { status: 502 } });
    const before = Date.now();
    await worker().sweep();
    const r = await row(s?.id ?? '');
    assert.equal(r.state, 'ready');
    assert.equal(r.error, null);
    assert.equal(r.failureCount, 1);
    assert.equal(r.lastFailureKind, 'provider_error');
    assert.ok((r.lastFailureAt?.getTime() ?? 0) >= before);
    const next = r.nextAttemptAt?.getTime() ?? 0;
    assert.ok(
      next >= before + BACKOFF_BASE_MS / 2 && next <= Date.now() + BACKOFF_BASE_MS,
      'backoff with jitter',
    );
    // Within the backoff the worker leaves it alone…
    assert.equal((await worker().sweep()).claimed, 0);
    // …and once it has passed, it retries and the token is renewed.
    await t.prisma.authSecret.update({
      where: { id: r.id },
      data: { nextAttemptAt: new Date(Date.now() - 1) },
    });
    provider.set({ fail: undefined });
    assert.equal((await worker().sweep()).refreshed, 1);
    const renewed = await row(r.id);
    assert.equal(renewed.failureCount, 0);
    assert.equal(renewed.state, 'ready');
  });

  it('an expired token becomes error after repeated transient failures', async () => {
    const [s] = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 1, -10);
    provider.set({ hang: true });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await t.prisma.authSecret.update({ where: { id: s?.id ?? '' }, data: { nextAttemptAt: null } });
      await worker().sweep();
      const r = await row(s?.id ?? '');
      assert.equal(r.failureCount, attempt);
      assert.equal(r.lastFailureKind, 'timeout');
      assert.equal(r.state, attempt < 3 ? 'ready' : 'error', `after attempt ${attempt}`);
    }
    const r = await row(s?.id ?? '');
    assert.match(r.error ?? '', /expired and could not be renewed: 3 consecutive refresh attempts failed/);
    assert.equal(r.nextAttemptAt, null);
  });

  it('runs by itself once started, renewing a token that becomes due, and stops cleanly', async () => {
    const w = t.refresh.createWorker({ concurrency: 2, pollMs: 100 });
    const [s] = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 1, 3);
    w.start();
    try {
      const deadline = Date.now() + 6000;
      while (Date.now() < deadline && provider.renewalsOf(s?.refreshToken ?? '') === 0) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await w.stop();
    }
    assert.equal(provider.renewalsOf(s?.refreshToken ?? ''), 1);
    assert.equal((await row(s?.id ?? '')).state, 'ready');
  });

  it('the worker and an on-demand refresh of one secret make one provider call', async () => {
    provider.set({ latencyMs: 300 });
    const [s] = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 1, 30);
    const sweep = worker().sweep();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const res = await request(t.app)
      .post(`/v2/workspaces/${tenant.workspaceId}/secrets/${s?.id}/refresh`)
      .set('Authorization', tenant.admin.auth);
    await sweep;
    assert.equal(res.status, 200);
    assert.equal(provider.callsFor(s?.refreshToken ?? ''), 1);
    assert.equal(
      openCredentials(t.keyRing, await row(s?.id ?? '')).access_token,
      res.body.data.attributes.credentials.access_token,
    );
  });
});
