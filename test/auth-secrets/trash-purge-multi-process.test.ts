// The retention purge of the trash (API.md §9.2) by two real `npm run worker` processes sharing
// PostgreSQL and Redis: every expired secret is purged, and audited, exactly once. Runs on a
// database of its own; both children are stopped in `after`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { generateKeySpec, type KeyRing, parseKeyRing } from '../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { ServiceProcess } from '../refresh/helpers/child-process.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../refresh/helpers/isolated-database.js';
import { seedSecrets, seedTenant } from '../support/factories.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { testRedisUrl } from '../support/test-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('trash: retention purge by two worker processes', function () {
  this.timeout(90_000);
  let db: IsolatedDatabase | undefined;
  let redisUrl: string;
  let prisma: PrismaClient;
  let provider: OAuthTestServer;
  let keySpec: string;
  let keyRing: KeyRing;
  let workers: ServiceProcess[] = [];

  before(async function () {
    const url = testRedisUrl();
    if (!url) this.skip();
    db = await createIsolatedDatabase();
    if (!db) this.skip();
    redisUrl = url as string;
    keySpec = generateKeySpec('purge');
    keyRing = parseKeyRing(keySpec);
    prisma = createPrismaClient({ url: db.url, poolMax: 5 });
    await ensureBuiltInRoles(prisma);
    provider = await OAuthTestServer.start();
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await prisma?.$disconnect();
    await provider?.close();
    await db?.drop();
  });

  it('300 expired secrets in the trash: each purged and audited exactly once, the unexpired ones kept', async () => {
    const tenant = await seedTenant(prisma, keyRing, provider);
    const expired = await seedSecrets(prisma, keyRing, provider, tenant, 300, 3600);
    const recent = await seedSecrets(prisma, keyRing, provider, tenant, 20, 3600);
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    await prisma.authSecret.updateMany({
      where: { id: { in: expired.map((s) => s.id) } },
      data: { deletedAt: eightDaysAgo },
    });
    await prisma.authSecret.updateMany({
      where: { id: { in: recent.map((s) => s.id) } },
      data: { deletedAt: new Date() },
    });
    const env = {
      DATABASE_URL: (db as IsolatedDatabase).url,
      REDIS_URL: redisUrl,
      ENCRYPTION_KEYS: keySpec,
      DATABASE_POOL_MAX: '5',
      REFRESH_POLL_SECONDS: '0.2',
      DELETED_SECRET_RETENTION_DAYS: '7',
    };
    workers = [ServiceProcess.worker(env), ServiceProcess.worker(env)];
    await Promise.all(workers.map((w) => w.waitFor(/trash purger started/, 40_000)));
    const ids = expired.map((s) => s.id);
    const deadline = Date.now() + 30_000;
    while ((await prisma.authSecret.count({ where: { id: { in: ids } } })) > 0) {
      assert.ok(Date.now() < deadline, 'purged within 30 s');
      await sleep(200);
    }
    await sleep(600); // a second purge of the same secret would show up now
    const events = await prisma.auditEvent.findMany({ where: { action: 'auth_secret.purge' } });
    assert.equal(events.length, 300, 'one event per purged secret');
    assert.equal(new Set(events.map((e) => e.resourceId)).size, 300);
    assert.deepEqual(new Set(events.map((e) => e.resourceId)), new Set(ids));
    for (const e of events) {
      assert.deepEqual(e.details, { reason: 'retention' });
      assert.equal(e.actorUserId, null);
    }
    const perWorker = workers.map((w) => (w.text.match(/auth-secret purged from the trash/g) ?? []).length);
    assert.equal(
      perWorker.reduce((a, b) => a + b, 0),
      300,
      `purge log lines per worker: ${perWorker.join(' + ')}`,
    );
    assert.equal(await prisma.authSecret.count({ where: { id: { in: recent.map((s) => s.id) } } }), 20);
    for (const w of workers) assert.equal(await w.stop('SIGTERM'), 0, 'the worker stops cleanly');
    workers = [];
  });
});
