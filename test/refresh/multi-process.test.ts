// Several real processes sharing PostgreSQL and Redis: server processes
// answering concurrent refreshes, worker processes sharing 500 due secrets, and a worker killed
// mid-refresh. Each runs on a database of its own; every child process is stopped in `after`.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'mocha';
import request from 'supertest';
import { generateKeySpec, type KeyRing, parseKeyRing } from '../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { openCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { type SeededSecret, seedSecrets, seedTenant } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { testRedisUrl } from '../support/test-database.js';
import { ServiceProcess } from './helpers/child-process.js';
import { createIsolatedDatabase, type IsolatedDatabase } from './helpers/isolated-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe('refresh: several processes sharing PostgreSQL and Redis', function () {
  this.timeout(90_000);
  let db: IsolatedDatabase | undefined;
  let redisUrl: string;
  let provider: OAuthTestServer;
  let prisma: PrismaClient;
  let keySpec: string;
  let keyRing: KeyRing;
  let children: ServiceProcess[] = [];

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: (db as IsolatedDatabase).url,
    REDIS_URL: redisUrl,
    ENCRYPTION_KEYS: keySpec,
    PORT: '0',
    HOST: '127.0.0.1',
    OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
    DATABASE_POOL_MAX: '5',
    ...extra,
  });
  const spawn = (kind: 'server' | 'worker', extra: Record<string, string> = {}) => {
    const child = ServiceProcess[kind](env(extra));
    children.push(child);
    return child;
  };
  const stopAll = async () => {
    await Promise.all(children.map((c) => c.stop('SIGTERM')));
    children = [];
  };

  before(async function () {
    const url = testRedisUrl();
    if (!url) this.skip();
    db = await createIsolatedDatabase();
    if (!db) this.skip();
    redisUrl = url as string;
    keySpec = generateKeySpec('mp');
    keyRing = parseKeyRing(keySpec);
    prisma = createPrismaClient({ url: db.url, poolMax: 5 });
    await ensureBuiltInRoles(prisma);
    provider = await OAuthTestServer.start();
  });
  afterEach(async () => {
    await stopAll();
    provider?.reset();
  });
  after(async () => {
    await stopAll();
    await prisma?.$disconnect();
    await provider?.close();
    await db?.drop();
  });

  it('100 concurrent refreshes over two server processes: one provider call, one new token for all', async () => {
    const servers = [spawn('server'), spawn('server')];
    const ports = await Promise.all(servers.map((s) => s.port()));
    const tenant = await seedTenant(prisma, keyRing, provider);
    const [secret] = (await seedSecrets(prisma, keyRing, provider, tenant, 1, 3600)) as [SeededSecret];
    provider.set({ latencyMs: 1500 });
    const path = `/v2/workspaces/${tenant.workspaceId}/secrets/${secret.id}/refresh`;
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        request(`http://127.0.0.1:${ports[i % 2]}`)
          .post(path)
          .set('Authorization', tenant.admin.auth),
      ),
    );
    for (const res of responses) {
      assertJsonApiResponse(res);
      assert.equal(res.status, 200, res.text);
    }
    const tokens = new Set(responses.map((r) => r.body.data.attributes.credentials.access_token));
    assert.equal(tokens.size, 1, 'every response carries the same new access token');
    assert.equal(provider.callsFor(secret.refreshToken), 1, 'exactly one provider call');
    assert.equal(provider.totalCalls, 1);
    const row = await prisma.authSecret.findUniqueOrThrow({ where: { id: secret.id } });
    assert.equal(openCredentials(keyRing, row).access_token, [...tokens][0]);
    assert.notEqual([...tokens][0], secret.accessToken);
  });

  it('500 refreshes of one secret spread over 2 s on two server processes: exactly one provider call (§10.5)', async () => {
    const servers = [spawn('server'), spawn('server')];
    const ports = await Promise.all(servers.map((s) => s.port()));
    const tenant = await seedTenant(prisma, keyRing, provider);
    const [secret] = (await seedSecrets(prisma, keyRing, provider, tenant, 1, 3600)) as [SeededSecret];
    provider.set({ latencyMs: 300 });
    const path = `/v2/workspaces/${tenant.workspaceId}/secrets/${secret.id}/refresh`;
    // 20 waves of 25 requests, 100 ms apart, alternating processes: most arrive after the renewal.
    const pending: Promise<request.Response>[] = [];
    for (let wave = 0; wave < 20; wave += 1) {
      for (let i = 0; i < 25; i += 1) {
        pending.push(
          request(`http://127.0.0.1:${ports[(wave + i) % 2]}`)
            .post(path)
            .set('Authorization', tenant.admin.auth),
        );
      }
      await sleep(100);
    }
    const responses = await Promise.all(pending);
    for (const res of responses) {
      assertJsonApiResponse(res);
      assert.equal(res.status, 200, res.text);
    }
    const tokens = new Set(responses.map((r) => r.body.data.attributes.credentials.access_token));
    assert.equal(tokens.size, 1, 'every response carries the one renewed access token');
    assert.equal(provider.totalCalls, 1, 'exactly one provider call');
  });

  it('two worker processes and 500 due secrets: each renewed exactly once, concurrency bounded', async () => {
    const concurrency = 5;
    const workers = [
      spawn('worker', { REFRESH_CONCURRENCY: String(concurrency), REFRESH_POLL_SECONDS: '0.2' }),
      spawn('worker', { REFRESH_CONCURRENCY: String(concurrency), REFRESH_POLL_SECONDS: '0.2' }),
    ];
    await Promise.all(workers.map((w) => w.waitFor(/refresh worker started/, 40_000)));
    provider.set({ latencyMs: 20 });
    const tenant = await seedTenant(prisma, keyRing, provider);
    const secrets = await seedSecrets(prisma, keyRing, provider, tenant, 500, 60);
    const renewed = () => secrets.filter((s) => provider.renewalsOf(s.refreshToken) > 0).length;
    const elapsed = await until('500 renewals', 45_000, () => renewed() === 500);
    await sleep(500); // a duplicate would show up now
    for (const s of secrets) {
      assert.equal(provider.callsFor(s.refreshToken), 1, 'one call per refresh token');
      assert.equal(provider.renewalsOf(s.refreshToken), 1);
    }
    assert.equal(provider.totalCalls, 500);
    assert.ok(provider.maxConcurrent <= 2 * concurrency, `max concurrent ${provider.maxConcurrent}`);
    assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
    const perWorker = workers.map((w) => (w.text.match(/auth-secret refreshed/g) ?? []).length);
    assert.equal(
      perWorker.reduce((a, b) => a + b, 0),
      500,
    );
    assert.ok(
      perWorker.every((n) => n > 0),
      `both workers took part: ${perWorker.join(' + ')}`,
    );
    const rows = await prisma.authSecret.findMany({ where: { id: { in: secrets.map((s) => s.id) } } });
    assert.ok(
      rows.every((r) => r.state === 'ready' && (r.expiresAt?.getTime() ?? 0) > Date.now() + 3000_000),
    );
    for (const w of workers) assert.equal(await w.stop('SIGTERM'), 0, 'the worker stops cleanly');
  });

  it('a worker killed mid-refresh loses no secret: its claim and lease expire and another worker renews', async () => {
    const tuning = { OAUTH_TIMEOUT_MS: '2000', REFRESH_POLL_SECONDS: '0.2', REFRESH_CONCURRENCY: '5' };
    provider.set({ latencyMs: 1500 });
    const tenant = await seedTenant(prisma, keyRing, provider);
    const secrets = await seedSecrets(prisma, keyRing, provider, tenant, 3, 60);
    const first = spawn('worker', tuning);
    await until('the first worker to call the provider', 40_000, () => provider.inFlight === 3);
    await first.stop('SIGKILL');
    provider.set({ latencyMs: 0 });
    const killedAt = Date.now();
    const second = spawn('worker', tuning);
    const ids = secrets.map((s) => s.id);
    await until('the second worker to renew', 40_000, async () => {
      const renewed = await prisma.authSecret.count({
        where: { id: { in: ids }, refreshedAt: { not: null } },
      });
      return renewed === secrets.length;
    });
    const tookMs = Date.now() - killedAt;
    for (const s of secrets) {
      // The killed worker's call reached the provider but was never answered; the survivor's was.
      assert.equal(provider.callsFor(s.refreshToken), 2);
      assert.equal(provider.renewalsOf(s.refreshToken), 1);
      const row = await prisma.authSecret.findUniqueOrThrow({ where: { id: s.id } });
      assert.equal(row.state, 'ready');
      assert.notEqual(openCredentials(keyRing, row).access_token, s.accessToken);
      assert.equal(row.nextAttemptAt, null);
    }
    assert.equal(provider.abandoned, 3);
    assert.ok(tookMs < 30_000, `renewed ${tookMs} ms after the kill`);
    assert.equal(await second.stop('SIGTERM'), 0);
  });
});
