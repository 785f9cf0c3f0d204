// API.md §7, "a token the provider issued is never lost": a refresh whose provider call succeeded
// stores the new tokens even when the secret's other attributes changed during the call; only new
// credentials written meanwhile win, and then the refresh answers with those, never with tokens it
// knows are stale. Each case races a slow, rotating token endpoint on loopback (a rotated-out refresh
// token answers invalid_grant, so a discarded renewal is a dead connection) against a write that
// lands while the provider call is in flight: a PATCH through the API, the worker's refresh path, or
// rotate-keys re-sealing the row.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { after, before, beforeEach, describe, it } from 'mocha';
import request from 'supertest';
import { wireApplication } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/config.js';
import { sealedKeyId } from '../../src/crypto/envelope.js';
import { generateKeySpec, type KeyRing, parseKeyRing } from '../../src/crypto/key-ring.js';
import { KeyRotationError, rotateKeys } from '../../src/crypto/rotate-keys.js';
import type { SealedColumnsPrisma } from '../../src/crypto/sealed-columns.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { AuthSecret, PrismaClient } from '../../src/generated/prisma/client.js';
import { openCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { createLogger } from '../../src/observability/logger.js';
import type { RefreshModule } from '../../src/refresh/refresh-module.js';
import { type SeededSecret, type SeededTenant, seedSecrets, seedTenant } from '../support/factories.js';
import { assertJsonApiResponse, JSON_API_MEDIA_TYPE } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { capturedLogs } from '../support/test-app.js';
import { testDatabaseIsEmbedded, testDatabaseUrl, testPoolMax } from '../support/test-database.js';

/** The provider answers this late; the concurrent write lands PATCH_AFTER_MS into the call. */
const PROVIDER_LATENCY_MS = 1500;
const PATCH_AFTER_MS = 500;

const oldSpec = generateKeySpec('race-old');
const newSpec = generateKeySpec('race-new');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RaceApp {
  app: Express;
  prisma: PrismaClient;
  keyRing: KeyRing;
  refresh: RefreshModule;
  close(): Promise<void>;
}

/** The real application on this run's test database, with its refresh module (for the worker path). */
async function createRaceApp(): Promise<RaceApp> {
  // The ring a rolling rotation runs with: the new key seals, the old one still opens.
  const env = { ENCRYPTION_KEYS: `${newSpec},${oldSpec}` };
  const config = loadConfig({
    OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
    LOG_LEVEL: 'info',
    OAUTH_TIMEOUT_MS: '5000',
    // Each refresh here must reach the provider, however soon after the last (no coalescing).
    REFRESH_COALESCE_SECONDS: '0',
  });
  const prisma = createPrismaClient({
    url: testDatabaseUrl(),
    poolMax: testPoolMax(),
    embedded: testDatabaseIsEmbedded(),
  });
  await ensureBuiltInRoles(prisma);
  const keyRing = parseKeyRing(env.ENCRYPTION_KEYS);
  const sink = new Writable({
    write(chunk, _enc, cb) {
      capturedLogs.push(String(chunk));
      cb();
    },
  });
  const { app, refresh } = wireApplication({
    prisma,
    config,
    logger: createLogger(config.logLevel, sink),
    keyRing,
  });
  return {
    app,
    prisma,
    keyRing,
    refresh,
    async close() {
      await refresh.service.idle();
      await prisma.$disconnect();
    },
  };
}

describe('faults: a refresh racing other writes of its secret (API.md §7)', () => {
  let provider: OAuthTestServer;
  let t: RaceApp;
  let tenant: SeededTenant;
  /** Seals like a process that still runs with the old key only (rows rotate-keys must re-seal). */
  const oldRing = parseKeyRing(oldSpec);

  const secretPath = (id: string) => `/v2/workspaces/${tenant.workspaceId}/secrets/${id}`;
  const row = (id: string): Promise<AuthSecret> => t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
  const stored = async (id: string) => openCredentials(t.keyRing, await row(id));
  const oneSecret = async (ring: KeyRing = t.keyRing): Promise<SeededSecret> =>
    (await seedSecrets(t.prisma, ring, provider, tenant, 1, 3600))[0] as SeededSecret;

  /** Starts POST …/refresh now (supertest sends on then()); resolves with the checked response. */
  function startRefresh(id: string) {
    return request(t.app)
      .post(`${secretPath(id)}/refresh`)
      .set('Authorization', tenant.admin.auth)
      .then((res) => {
        assertJsonApiResponse(res);
        return res;
      });
  }

  async function patch(id: string, attributes: Record<string, unknown>) {
    const res = await request(t.app)
      .patch(secretPath(id))
      .set('Authorization', tenant.admin.auth)
      .set('Content-Type', JSON_API_MEDIA_TYPE)
      .send({ data: { type: 'auth-secret', id, attributes } });
    assertJsonApiResponse(res);
    return res;
  }

  /** PATCHes the secret's credentials to tokens the caller got itself (`provider.grant()`). */
  async function patchCredentials(
    id: string,
    tokens: { accessToken: string; refreshToken: string },
    expiresIn: number,
  ) {
    const res = await patch(id, {
      credentials: {
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expires_in: expiresIn,
      },
    });
    assert.equal(res.status, 200);
    return res;
  }

  /** What a response shows about a refresh, in one comparable object (a failure prints all of it). */
  const shown = (res: request.Response, s: SeededSecret) => ({
    status: res.status,
    contentType: res.headers['content-type'],
    state: res.body.data?.attributes?.state,
    refreshedAtSet: typeof res.body.data?.attributes?.refreshed_at === 'string',
    accessTokenRenewed: res.body.data?.attributes?.credentials?.access_token !== s.accessToken,
    refreshTokenRenewed: res.body.data?.attributes?.credentials?.refresh_token !== s.refreshToken,
  });
  const renewed = {
    status: 200,
    contentType: JSON_API_MEDIA_TYPE,
    state: 'ready',
    refreshedAtSet: true,
    accessTokenRenewed: true,
    refreshTokenRenewed: true,
  };

  /** The response's credentials are exactly what the database holds, and the provider honours them. */
  async function assertStoredAndLive(id: string, res: request.Response) {
    const credentials = await stored(id);
    const a = res.body.data.attributes;
    assert.deepEqual(credentials, {
      access_token: a.credentials.access_token,
      refresh_token: a.credentials.refresh_token,
    });
    assert.ok(
      provider.isValid(String(credentials.refresh_token)),
      'the stored refresh token is the live one',
    );
  }

  const refreshEvents = (id: string) =>
    t.prisma.auditEvent.findMany({
      where: { resourceId: id, action: 'auth_secret.refresh' },
      orderBy: { id: 'asc' },
    });

  before(async () => {
    provider = await OAuthTestServer.start();
    t = await createRaceApp();
    tenant = await seedTenant(t.prisma, t.keyRing, provider);
  });
  beforeEach(() => {
    provider.reset();
    provider.set({ rotate: true, latencyMs: PROVIDER_LATENCY_MS });
  });
  after(async () => {
    // The race paths log warnings; none of them may carry a token or the client secret.
    const logs = capturedLogs.join('\n');
    assert.ok(!logs.includes(provider.clientSecret), 'the client secret reached a log line');
    assert.ok(!/rt_[0-9a-f]{32}|at_[0-9a-f]{32}/.test(logs), 'a token reached a log line');
    await t?.close();
    await provider?.close();
  });

  it("§7 a token the provider issued is never lost: a PATCH of the name during a refresh keeps the provider's new tokens", async () => {
    const s = await oneSecret();
    const refreshing = startRefresh(s.id);
    await sleep(PATCH_AFTER_MS);
    const renamed = await patch(s.id, { name: 'renamed' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.data.attributes.name, 'renamed');

    const res = await refreshing;
    assert.deepEqual(shown(res, s), renewed);
    assert.equal(res.body.data.attributes.name, 'renamed', "the refresh keeps the PATCH's name");
    await assertStoredAndLive(s.id, res);
    const r = await row(s.id);
    assert.equal(r.name, 'renamed');
    assert.equal(res.body.data.attributes.refreshed_at, r.refreshedAt?.toISOString());
    assert.ok((r.expiresAt?.getTime() ?? 0) > Date.now() + 3500_000, 'expires_at from the provider');
    assert.equal(r.credentialsVersion, 2, 'the rename did not count as new credentials; the refresh did');
    const [event] = await refreshEvents(s.id);
    assert.equal(event?.outcome, 'success');
    assert.deepEqual(event?.details, { trigger: 'request', result: 'refreshed' });

    // The next refresh uses the stored (rotated) token: no invalid_grant, no state error.
    provider.set({ latencyMs: 0 });
    const next = await startRefresh(s.id);
    assert.equal(next.status, 200);
    assert.equal(next.body.data.attributes.state, 'ready');
    assert.equal(next.body.data.attributes.error, null);
    assert.notEqual(
      next.body.data.attributes.credentials.refresh_token,
      res.body.data.attributes.credentials.refresh_token,
    );
    await assertStoredAndLive(s.id, next);
  });

  it('§7 only new credentials win over a refresh: a PATCH of the credentials during a refresh is what is stored and answered', async () => {
    const s = await oneSecret();
    const callers = provider.grant();
    const refreshing = startRefresh(s.id);
    await sleep(PATCH_AFTER_MS);
    await patchCredentials(s.id, callers, 7200);

    const res = await refreshing;
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], JSON_API_MEDIA_TYPE);
    const a = res.body.data.attributes;
    assert.equal(
      a.credentials.access_token,
      callers.accessToken,
      "the caller's credentials, not the stale refresh",
    );
    assert.equal(a.credentials.refresh_token, callers.refreshToken);
    assert.ok(a.credentials.expires_in > 3600, "the caller's expiry, not the provider's");
    assert.equal(a.state, 'ready');
    assert.equal(a.refreshed_at, null, 'the refresh stored nothing');
    assert.deepEqual(await stored(s.id), {
      access_token: callers.accessToken,
      refresh_token: callers.refreshToken,
    });
    const [event] = await refreshEvents(s.id);
    assert.equal(event?.outcome, 'success', 'the caller got valid credentials');
    assert.deepEqual(event?.details, { trigger: 'request', result: 'superseded' });
  });

  it("§7 a token the provider issued is never lost: a PATCH of state and error during a refresh keeps the provider's new tokens", async () => {
    const s = await oneSecret();
    const refreshing = startRefresh(s.id);
    await sleep(PATCH_AFTER_MS);
    const paused = await patch(s.id, { state: 'error', error: 'paused by an operator' });
    assert.equal(paused.status, 200);

    const res = await refreshing;
    // The renewal happened after the PATCH and proves the grant works: ready, no error text.
    assert.deepEqual(shown(res, s), renewed);
    assert.equal(res.body.data.attributes.error, null);
    await assertStoredAndLive(s.id, res);
    const r = await row(s.id);
    assert.equal(r.state, 'ready');
    assert.equal(r.error, null);
  });

  it('§7 a rejection is not lost either: a PATCH of the name during a refresh the provider rejects still records state error', async () => {
    const s = await oneSecret();
    provider.revoke(s.refreshToken);
    const refreshing = startRefresh(s.id);
    await sleep(PATCH_AFTER_MS);
    assert.equal((await patch(s.id, { name: 'renamed while rejected' })).status, 200);

    const res = await refreshing;
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], JSON_API_MEDIA_TYPE);
    const a = res.body.data.attributes;
    assert.equal(a.name, 'renamed while rejected');
    assert.equal(a.state, 'error');
    assert.match(a.error ?? '', /invalid_grant/);
    const r = await row(s.id);
    assert.equal(r.state, 'error');
    assert.equal(r.lastFailureKind, 'rejected');
    const events = await refreshEvents(s.id);
    assert.deepEqual(
      events.map((e) => [e.outcome, (e.details as { result?: string }).result]),
      [['failure', 'rejected']],
    );
  });

  it('§7 only new credentials win over a refresh: a rejection of the old token never overrides credentials PATCHed meanwhile', async () => {
    const s = await oneSecret();
    provider.revoke(s.refreshToken);
    const callers = provider.grant();
    const refreshing = startRefresh(s.id);
    await sleep(PATCH_AFTER_MS);
    await patchCredentials(s.id, callers, 600);

    const res = await refreshing;
    assert.equal(res.status, 200);
    const a = res.body.data.attributes;
    assert.equal(a.state, 'ready', 'the rejection was about credentials that are gone');
    assert.equal(a.error, null);
    assert.equal(a.credentials.refresh_token, callers.refreshToken);
    assert.deepEqual(await stored(s.id), {
      access_token: callers.accessToken,
      refresh_token: callers.refreshToken,
    });
    const r = await row(s.id);
    assert.equal(r.state, 'ready');
    assert.equal(r.failureCount, 0);
    // The request is audited all the same (API.md §5: every refresh, success or failure).
    const events = await refreshEvents(s.id);
    assert.deepEqual(
      events.map((e) => e.outcome),
      ['failure'],
    );
  });

  it("§7 a token the provider issued is never lost: the worker's refresh keeps its new tokens when the name is PATCHed meanwhile", async () => {
    const s = await oneSecret();
    // Due within the worker's horizon; the worker hands each claimed secret to this same call.
    await t.prisma.authSecret.update({
      where: { id: s.id },
      data: { expiresAt: new Date(Date.now() + 30_000), refreshDueAt: new Date() },
    });
    const working = t.refresh.service.refresh(s.id, { trigger: 'worker', startedAt: new Date() });
    await sleep(PATCH_AFTER_MS);
    assert.equal((await patch(s.id, { name: 'renamed under the worker' })).status, 200);

    const { outcome } = await working;
    assert.equal(outcome.kind, 'refreshed');
    const r = await row(s.id);
    assert.equal(r.name, 'renamed under the worker');
    assert.ok(r.refreshedAt, 'refreshed_at set');
    assert.ok((r.expiresAt?.getTime() ?? 0) > Date.now() + 3500_000, 'expires_at from the provider');
    const credentials = openCredentials(t.keyRing, r);
    assert.notEqual(credentials.refresh_token, s.refreshToken);
    assert.ok(
      provider.isValid(String(credentials.refresh_token)),
      'the stored refresh token is the live one',
    );
    const [event] = await refreshEvents(s.id);
    assert.deepEqual(
      [event?.outcome, event?.details],
      ['success', { trigger: 'worker', result: 'refreshed' }],
    );
  });

  it('§7 a failure is not lost either: a transient provider failure during a rename is recorded without undoing the rename', async () => {
    const s = await oneSecret();
    provider.set({ fail: { status: 503 } });
    const refreshing = startRefresh(s.id);
    await sleep(PATCH_AFTER_MS);
    const renamed = await patch(s.id, { name: 'renamed during an outage' });
    assert.equal(renamed.status, 200);

    const res = await refreshing;
    assert.equal(res.status, 502);
    assert.equal(res.headers['content-type'], JSON_API_MEDIA_TYPE);
    assert.equal(res.body.errors[0].code, 'oauth_provider_error');
    const r = await row(s.id);
    assert.equal(r.name, 'renamed during an outage');
    assert.equal(r.state, 'ready', 'an on-demand transient failure never changes the state');
    assert.equal(r.lastFailureKind, 'provider_error');
    assert.equal(r.failureCount, 1);
    assert.equal(
      r.updatedAt.toISOString(),
      renamed.body.data.attributes.updated_at,
      "bookkeeping keeps the rename's updated_at",
    );
    assert.deepEqual(await stored(s.id), { access_token: s.accessToken, refresh_token: s.refreshToken });
  });

  it("§7 only new credentials win over a refresh: the worker's renewal yields to credentials PATCHed meanwhile", async () => {
    const s = await oneSecret();
    const callers = provider.grant();
    await t.prisma.authSecret.update({
      where: { id: s.id },
      data: { expiresAt: new Date(Date.now() + 30_000), refreshDueAt: new Date() },
    });
    const working = t.refresh.service.refresh(s.id, { trigger: 'worker', startedAt: new Date() });
    await sleep(PATCH_AFTER_MS);
    await patchCredentials(s.id, callers, 7200);

    const { outcome } = await working;
    assert.equal(outcome.kind, 'superseded');
    assert.deepEqual(await stored(s.id), {
      access_token: callers.accessToken,
      refresh_token: callers.refreshToken,
    });
    const r = await row(s.id);
    assert.equal(r.refreshedAt, null);
    assert.equal(r.credentialsVersion, 2, 'create, then the PATCH');
  });

  describe('rotate-keys re-sealing the row during a refresh', () => {
    /** rotate-keys over this tenant's rows only, with `afterRead` run between its read of a page and its writes. */
    function scopedPrisma(afterRead: () => Promise<void> = async () => {}): SealedColumnsPrisma {
      const where = (w: object | undefined) => ({ ...w, tenantId: tenant.tenantId });
      return {
        authSecret: {
          findMany: async (args: { where?: object }) => {
            const rows = await t.prisma.authSecret.findMany({ ...args, where: where(args.where) } as never);
            await afterRead();
            return rows;
          },
          findUnique: (args: never) => t.prisma.authSecret.findUnique(args),
          updateMany: (args: never) => t.prisma.authSecret.updateMany(args),
        },
        // Versions of this tenant's secrets (the secret relation carries the tenant).
        authSecretVersion: {
          findMany: (args: { where?: object }) =>
            t.prisma.authSecretVersion.findMany({
              ...args,
              where: { ...args.where, authSecret: { tenantId: tenant.tenantId } },
            } as never),
          findUnique: (args: never) => t.prisma.authSecretVersion.findUnique(args),
          updateMany: (args: never) => t.prisma.authSecretVersion.updateMany(args),
        },
        authClient: {
          findMany: (args: { where?: object }) =>
            t.prisma.authClient.findMany({ ...args, where: where(args.where) } as never),
          findUnique: (args: never) => t.prisma.authClient.findUnique(args),
          updateMany: (args: never) => t.prisma.authClient.updateMany(args),
        },
        webhook: {
          findMany: (args: { where?: object }) =>
            t.prisma.webhook.findMany({ ...args, where: where(args.where) } as never),
          findUnique: (args: never) => t.prisma.webhook.findUnique(args),
          updateMany: (args: never) => t.prisma.webhook.updateMany(args),
        },
        connectSession: {
          findMany: (args: { where?: object }) =>
            t.prisma.connectSession.findMany({ ...args, where: where(args.where) } as never),
          findUnique: (args: never) => t.prisma.connectSession.findUnique(args),
          updateMany: (args: never) => t.prisma.connectSession.updateMany(args),
        },
      } as unknown as SealedColumnsPrisma;
    }

    async function rotate(prisma: SealedColumnsPrisma) {
      try {
        return await rotateKeys({ prisma, ring: t.keyRing, batchSize: 50 });
      } catch (err) {
        // The auth-client's secret was sealed by the test app's ring; any failure is a real one.
        if (err instanceof KeyRotationError) assert.fail(err.message);
        throw err;
      }
    }

    it('§7 a token the provider issued is never lost: a re-seal during the provider call does not make the refresh discard its tokens', async () => {
      const s = await oneSecret(oldRing);
      const refreshing = startRefresh(s.id);
      await sleep(PATCH_AFTER_MS);
      const result = await rotate(scopedPrisma());
      assert.equal(result.authSecrets, 1, 'the old-key row was re-sealed while the provider call ran');
      const resealed = await row(s.id);
      assert.deepEqual(openCredentials(t.keyRing, resealed), {
        access_token: s.accessToken,
        refresh_token: s.refreshToken,
      });
      assert.equal(resealed.credentialsVersion, 1, 'a re-seal is not a new credentials write');

      const res = await refreshing;
      assert.deepEqual(shown(res, s), renewed);
      await assertStoredAndLive(s.id, res);
      assert.equal(sealedKeyId((await row(s.id)).credentialsSealed), 'race-new');
    });

    it('§7 a token the provider issued is never lost: a re-seal of what it read before the refresh wrote never brings the old token back', async () => {
      const s = await oneSecret(oldRing);
      const refreshing = startRefresh(s.id);
      let res: request.Response | undefined;
      // rotate-keys reads the row (old tokens), the refresh stores its new tokens, then rotate-keys writes.
      const result = await rotate(
        scopedPrisma(async () => {
          res ??= await refreshing;
        }),
      );
      assert.ok(res);
      assert.deepEqual(shown(res, s), renewed);
      await assertStoredAndLive(s.id, res);
      const r = await row(s.id);
      assert.equal(sealedKeyId(r.credentialsSealed), 'race-new');
      assert.equal(result.authSecrets, 0, 'nothing left to re-seal: the refresh sealed with the new key');

      provider.set({ latencyMs: 0 });
      const next = await startRefresh(s.id);
      assert.equal(next.status, 200);
      assert.equal(next.body.data.attributes.state, 'ready');
    });
  });
});
