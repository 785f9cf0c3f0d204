// Rolling key rotation over two real server processes sharing PostgreSQL and Redis (API.md §7:
// "Encryption-key rotation has no error window when done as the project documents for several
// processes"). Walks the README's procedure one process at a time, with credentials written
// through one process and read through both at every step; then skips the decrypt-only step and
// checks that the lagging process answers a clear 503 (not a 500) and that its worker defers the
// secret instead of failing it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { sealedKeyId } from '../../src/crypto/envelope.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import { randomUUID7 } from '../../src/db/uuid7.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { ServiceProcess } from '../refresh/helpers/child-process.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../refresh/helpers/isolated-database.js';
import { type SeededTenant, seedTenant } from '../support/factories.js';
import { expectError } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { runToEnd } from '../support/processes.js';
import { testRedisUrl } from '../support/test-database.js';

const JSONAPI = 'application/vnd.api+json';
const OLD = generateKeySpec('k-old');
const NEW = generateKeySpec('k-new');
const NEWER = generateKeySpec('k-newer');
const ring = (...specs: string[]) => specs.join(',');

interface Server {
  process: ServiceProcess;
  url: string;
  keys: string;
}

describe('crypto: rolling key rotation over two server processes (§7 no error window)', function () {
  this.timeout(150_000);
  let db: IsolatedDatabase | undefined;
  let redisUrl: string;
  let provider: OAuthTestServer;
  let prisma: PrismaClient;
  let tenant: SeededTenant;
  let otherClientId: string;
  const servers: Record<'a' | 'b', Server | undefined> = { a: undefined, b: undefined };
  /** Every answer of the whole walk, for the "never a 5xx" check. */
  const answers: { step: string; what: string; status: number }[] = [];
  /** Secret id → the credentials last written, which every GET must return. */
  const latest = new Map<string, Record<string, unknown>>();
  let otherId: string;
  let oauthId: string;
  let counter = 0;

  const env = (keys: string) => ({
    DATABASE_URL: (db as IsolatedDatabase).url,
    REDIS_URL: redisUrl,
    ENCRYPTION_KEYS: keys,
    PORT: '0',
    HOST: '127.0.0.1',
    OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
    DATABASE_POOL_MAX: '3',
    // The worker runs in every server; it looks often, so it meets the re-sealed secrets.
    REFRESH_POLL_SECONDS: '0.2',
    REFRESH_AHEAD_SECONDS: '300',
  });

  /** (Re)starts one process with `keys`, as an operator restarts one instance of a deployment. */
  async function restart(name: 'a' | 'b', keys: string): Promise<Server> {
    const old = servers[name];
    if (old) assert.equal(await old.process.stop('SIGTERM'), 0, `process ${name} stops cleanly`);
    const child = ServiceProcess.server(env(keys));
    const server = { process: child, url: `http://127.0.0.1:${await child.port(40_000)}`, keys };
    servers[name] = server;
    return server;
  }

  const auth = () => tenant.admin.auth;
  const path = (id: string) => `/v2/workspaces/${tenant.workspaceId}/secrets/${id}`;

  async function patch(step: string, via: Server, id: string, credentials: Record<string, unknown>) {
    const res = await request(via.url)
      .patch(path(id))
      .set('Authorization', auth())
      .set('Content-Type', JSONAPI)
      .send({ data: { type: 'auth-secret', id, attributes: { credentials } } });
    answers.push({ step, what: `PATCH ${id}`, status: res.status });
    assert.equal(res.status, 200, `${step}: PATCH: ${res.text}`);
    latest.set(id, credentials);
  }

  async function getBoth(step: string, id: string, field: string) {
    for (const name of ['a', 'b'] as const) {
      const via = servers[name] as Server;
      const res = await request(via.url).get(path(id)).set('Authorization', auth());
      answers.push({ step, what: `GET ${id} via ${name}`, status: res.status });
      assert.equal(res.status, 200, `${step}: GET through process ${name}: ${res.text}`);
      assert.equal(
        res.body.data.attributes.credentials[field],
        (latest.get(id) as Record<string, unknown>)[field],
        `${step}: process ${name} returns the latest credentials`,
      );
    }
  }

  /** One step of the walk: credentials written through each process, read through both. */
  async function exercise(step: string) {
    for (const name of ['a', 'b'] as const) {
      const via = servers[name] as Server;
      counter += 1;
      await patch(step, via, otherId, { api_key: `other-${counter}` });
      await getBoth(step, otherId, 'api_key');
      const grant = provider.grant();
      await patch(step, via, oauthId, {
        access_token: grant.accessToken,
        refresh_token: grant.refreshToken,
        expires_in: 3600,
      });
      await getBoth(step, oauthId, 'access_token');
    }
    // Make it due: the worker of either process may renew it, and must be able to open it.
    await prisma.authSecret.update({
      where: { id: oauthId },
      data: { expiresAt: new Date(Date.now() + 60_000), refreshDueAt: new Date(), nextAttemptAt: null },
    });
    const renewedBy = Date.now() + 15_000;
    while (Date.now() < renewedBy) {
      const row = await prisma.authSecret.findUniqueOrThrow({ where: { id: oauthId } });
      if ((row.expiresAt?.getTime() ?? 0) > Date.now() + 600_000) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const row = await prisma.authSecret.findUniqueOrThrow({ where: { id: oauthId } });
    assert.equal(row.state, 'ready', `${step}: the oauth2 secret is not in error`);
    assert.ok((row.expiresAt?.getTime() ?? 0) > Date.now() + 600_000, `${step}: a worker renewed it`);
    // The worker renewed it: from now on its refreshed credentials are the latest.
    const res = await request((servers.a as Server).url)
      .get(path(oauthId))
      .set('Authorization', auth());
    assert.equal(res.status, 200, res.text);
    latest.set(oauthId, res.body.data.attributes.credentials);
    await getBoth(`${step} (after the worker)`, oauthId, 'access_token');
  }

  const logs = () => `${servers.a?.process.text ?? ''}${servers.b?.process.text ?? ''}`;
  const keyIdsInUse = async () => {
    const rows = await prisma.authSecret.findMany({ select: { credentialsSealed: true } });
    const clients = await prisma.authClient.findMany({
      where: { clientSecretSealed: { not: null } },
      select: { clientSecretSealed: true },
    });
    const webhooks = await prisma.webhook.findMany({ select: { secretSealed: true } });
    const sessions = await prisma.connectSession.findMany({ select: { codeVerifierSealed: true } });
    return new Set([
      ...rows.map((r) => sealedKeyId(r.credentialsSealed)),
      ...clients.map((c) => sealedKeyId(c.clientSecretSealed as Uint8Array)),
      ...webhooks.map((w) => sealedKeyId(w.secretSealed)),
      ...sessions.map((s) => sealedKeyId(s.codeVerifierSealed)),
    ]);
  };

  before(async function () {
    const url = testRedisUrl();
    if (!url) {
      process.stderr.write('skipped: rolling key rotation needs TEST_DATABASE_URL and TEST_REDIS_URL\n');
      this.skip();
    }
    db = await createIsolatedDatabase();
    if (!db) {
      process.stderr.write('skipped: rolling key rotation needs TEST_DATABASE_URL and TEST_REDIS_URL\n');
      this.skip();
    }
    redisUrl = url as string;
    prisma = createPrismaClient({ url: db.url, poolMax: 3 });
    await ensureBuiltInRoles(prisma);
    provider = await OAuthTestServer.start();
    tenant = await seedTenant(prisma, parseKeyRing(OLD), provider);
    otherClientId = randomUUID7();
    await prisma.authClient.create({
      data: {
        id: otherClientId,
        tenantId: tenant.tenantId,
        name: 'other-client',
        authType: 'other',
        scopes: [],
      },
    });
  });

  after(async () => {
    await Promise.all([servers.a?.process.stop('SIGKILL'), servers.b?.process.stop('SIGKILL')]);
    await prisma?.$disconnect();
    await provider?.close();
    await db?.drop();
  });

  it('the documented procedure, one process at a time: never a 5xx, every GET the latest credentials, no worker failure', async () => {
    // Before: both processes on the old key only.
    const [a] = await Promise.all([restart('a', OLD), restart('b', OLD)]);
    const create = async (authClientId: string, credentials: Record<string, unknown>) => {
      const res = await request(a.url)
        .post(`/v2/workspaces/${tenant.workspaceId}/secrets`)
        .set('Authorization', auth())
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'auth-secret',
            attributes: { name: `s-${randomUUID7()}`, state: 'ready', credentials },
            relationships: { 'auth-client': { data: { type: 'auth-client', id: authClientId } } },
          },
        });
      assert.equal(res.status, 201, res.text);
      latest.set(res.body.data.id, credentials);
      return res.body.data.id as string;
    };
    otherId = await create(otherClientId, { api_key: 'other-0' });
    const grant = provider.grant();
    oauthId = await create(tenant.authClientId, {
      access_token: grant.accessToken,
      refresh_token: grant.refreshToken,
      expires_in: 3600,
    });
    await exercise('0: old everywhere');

    // Step 1: add the new key in second place (decrypt-only), one process after the other.
    await restart('a', ring(OLD, NEW));
    await exercise('1: a has old,new; b has old');
    await restart('b', ring(OLD, NEW));
    await exercise('1: old,new everywhere');
    assert.deepEqual([...(await keyIdsInUse())], ['k-old'], 'nothing is sealed with the new key yet');

    // Step 2: move the new key first (it seals from now on), one process after the other.
    await restart('a', ring(NEW, OLD));
    await exercise('2: a has new,old; b has old,new');
    await restart('b', ring(NEW, OLD));
    await exercise('2: new,old everywhere');

    // Step 3: re-seal everything under the new key, while both processes serve.
    const rotation = await runToEnd('src/cli.ts', ['rotate-keys'], {
      DATABASE_URL: (db as IsolatedDatabase).url,
      ENCRYPTION_KEYS: ring(NEW, OLD),
    });
    assert.equal(rotation.code, 0, rotation.stderr);
    const again = await runToEnd('src/cli.ts', ['rotate-keys'], {
      DATABASE_URL: (db as IsolatedDatabase).url,
      ENCRYPTION_KEYS: ring(NEW, OLD),
    });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      JSON.parse(again.stdout).resealed,
      { authSecrets: 0, authSecretVersions: 0, authClients: 0, webhooks: 0, connectSessions: 0 },
      'complete',
    );
    assert.deepEqual([...(await keyIdsInUse())], ['k-new']);
    await exercise('3: rotated');

    // Step 4: drop the old key, one process after the other.
    await restart('a', NEW);
    await exercise('4: a has new; b has new,old');
    await restart('b', NEW);
    await exercise('4: new everywhere');

    const errors = answers.filter((r) => r.status >= 500);
    assert.deepEqual(errors, [], 'never a 5xx');
    assert.ok(answers.length >= 60, `${answers.length} answers checked`);
    const text = logs();
    assert.doesNotMatch(text, /cannot be decrypted|failed unexpectedly|refresh sweep failed/);
    for (const spec of [OLD, NEW])
      assert.ok(!text.includes(spec.split(':')[1] as string), 'no key material logged');
  });

  it('the decrypt-only step skipped: the lagging process answers 503 naming the missing key id (not 500), and its worker defers the secret', async () => {
    // Both processes are on k-new (the test above). Process a now seals with k-newer, while b
    // has never heard of it: the operator skipped step 1.
    const b = servers.b as Server;
    assert.ok(b, 'process b is started by the procedure test above');
    const a = await restart('a', ring(NEWER, NEW));
    counter += 1;
    await patch('skipped', a, otherId, { api_key: `other-${counter}` });
    const res = await request(b.url).get(path(otherId)).set('Authorization', auth());
    const [error] = expectError(res, 503, 'credentials_unreadable');
    assert.match(error?.detail ?? '', /k-newer/, 'the detail names the missing key id');
    assert.ok(!res.text.includes(NEWER.split(':')[1] as string), 'never key material');
    assert.ok(!res.text.includes(`other-${counter}`), 'never the credentials');
    // A second read through b is answered the same way, and logged at a bounded rate.
    expectError(
      await request(b.url).get(path(otherId)).set('Authorization', auth()),
      503,
      'credentials_unreadable',
    );

    // b's worker meets an oauth2 secret sealed with k-newer (a is stopped, so only b's worker can
    // claim it): it must defer it, not fail it or put it in error.
    const g = provider.grant();
    await patch('skipped', a, oauthId, {
      access_token: g.accessToken,
      refresh_token: g.refreshToken,
      expires_in: 3600,
    });
    assert.equal(await a.process.stop('SIGTERM'), 0);
    servers.a = undefined;
    await prisma.authSecret.update({
      where: { id: oauthId },
      data: { expiresAt: new Date(Date.now() + 60_000), refreshDueAt: new Date(), nextAttemptAt: null },
    });
    const deadline = Date.now() + 10_000;
    let row = await prisma.authSecret.findUniqueOrThrow({ where: { id: oauthId } });
    while (Date.now() < deadline && !/auth-secret skipped/.test(b.process.text)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.match(b.process.text, /auth-secret skipped/, 'the worker of b met the secret');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few more sweeps
    row = await prisma.authSecret.findUniqueOrThrow({ where: { id: oauthId } });
    assert.equal(row.state, 'ready', 'not put in error');
    assert.equal(row.error, null);
    assert.equal(row.failureCount, 0, 'not counted as a refresh failure');
    assert.equal(provider.callsFor(g.refreshToken), 0);
    const deferredMs = (row.nextAttemptAt?.getTime() ?? 0) - Date.now();
    assert.ok(
      deferredMs > 0 && deferredMs <= 60_000,
      `deferred briefly (${deferredMs} ms), for a process that has the key`,
    );
    assert.ok(b.process.running, 'the lagging process keeps running');
    const lines = b.process.text.split('\n').filter((l) => l.includes('k-newer'));
    assert.ok(lines.length >= 1 && lines.length <= 3, `logged at a bounded rate: ${lines.length} lines`);
    assert.doesNotMatch(b.process.text, /failed unexpectedly/);
  });
});
