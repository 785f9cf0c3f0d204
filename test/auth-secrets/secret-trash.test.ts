// The trash (API.md §9.2) through the real app on PostgreSQL: DELETE moves a secret there, where no
// other route, list, refresh or "in use" check sees it; restore brings it back as it was; purge
// (by request, with its auth-client or workspace, by the worker) removes it for good, audited.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { randomUUID7 } from '../../src/db/uuid7.js';
import { sealCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { TrashPurger } from '../../src/modules/auth-secrets/trash/trash-purger.js';
import { createTrashStore } from '../../src/modules/auth-secrets/trash/trash-store.js';
import { createWorkspace, type SeededTenant, seedSecrets, seedTenant } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { secretMarker, track } from '../support/secrets.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';

// biome-ignore lint/suspicious/noExplicitAny: documents are read freely after assertJsonApiResponse.
type Doc = any;

describe('auth-secret trash (API.md §9.2)', () => {
  let provider: OAuthTestServer;
  let t: TestApp;
  let tenant: SeededTenant;

  const ws = (w = tenant.workspaceId) => `/v2/workspaces/${w}`;
  async function call(method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown) {
    let req = request(t.app)[method](path).set('Authorization', tenant.admin.auth);
    if (body !== undefined) req = req.set('Content-Type', 'application/vnd.api+json').send(body as object);
    const res = track(await req);
    assertJsonApiResponse(res);
    return res;
  }
  async function createSecret(opts: { clientId?: string; workspaceId?: string; expiresIn?: number } = {}) {
    const grant = provider.grant();
    const res = await call('post', `${ws(opts.workspaceId)}/secrets`, {
      data: {
        type: 'auth-secret',
        attributes: {
          name: 'trashable',
          state: 'ready',
          credentials: {
            access_token: grant.accessToken,
            refresh_token: grant.refreshToken,
            expires_in: opts.expiresIn ?? 3600,
          },
        },
        relationships: {
          'auth-client': { data: { type: 'auth-client', id: opts.clientId ?? tenant.authClientId } },
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    return { id: res.body.data.id as string, grant, doc: res.body.data as Doc };
  }
  const trash = async (id: string, w?: string) => {
    const res = await call('delete', `${ws(w)}/secrets/${id}`);
    assert.equal(res.status, 204, res.text);
  };
  const eventsOf = (id: string, action: string) =>
    t.prisma.auditEvent.findMany({ where: { resourceId: id, action }, orderBy: { id: 'asc' } });

  before(async () => {
    provider = await OAuthTestServer.start();
    t = await createTestApp();
    tenant = await seedTenant(t.prisma, t.keyRing, provider);
  });
  after(async () => {
    await t?.close();
    await provider?.close();
  });

  it('DELETE moves the secret to the trash: 404 on every live route, listed in deleted-secrets with deleted_at', async () => {
    const { id } = await createSecret();
    const before = Date.now();
    await trash(id);
    for (const [method, path] of [
      ['get', `${ws()}/secrets/${id}`],
      ['patch', `${ws()}/secrets/${id}`],
      ['delete', `${ws()}/secrets/${id}`],
      ['post', `${ws()}/secrets/${id}/refresh`],
      ['get', `${ws()}/secrets/${id}/versions`],
      ['get', `${ws()}/secrets/${id}/versions/1`],
      ['post', `${ws()}/secrets/${id}/versions/1/restore`],
    ] as const) {
      const body =
        method === 'patch' ? { data: { type: 'auth-secret', id, attributes: { name: 'x' } } } : undefined;
      expectError(await call(method, path, body), 404, 'not_found');
    }
    const list = await call('get', `${ws()}/secrets?page[size]=200`);
    assert.ok(!list.body.data.some((s: Doc) => s.id === id), 'not in the live list');

    const deleted = await call('get', `${ws()}/deleted-secrets?page[size]=200`);
    assert.equal(deleted.status, 200);
    const listed = deleted.body.data.find((s: Doc) => s.id === id);
    assert.ok(listed, 'listed in the trash');
    assert.equal(listed.type, 'auth-secret');
    assert.equal(listed.attributes.credentials, undefined, 'metadata only');
    assert.ok(Date.parse(listed.attributes.deleted_at) >= before - 1000);
    assert.match(listed.links.self, new RegExp(`${ws()}/deleted-secrets/${id}$`));
    const one = await call('get', new URL(listed.links.self).pathname);
    assert.equal(one.status, 200);
    assert.equal(one.body.data.id, id);
    assert.equal(one.body.data.attributes.credentials, undefined);
    assert.equal(one.body.data.attributes.deleted_at, listed.attributes.deleted_at);
    // The second DELETE above was refused (404) and audited as a failure.
    const deletes = await eventsOf(id, 'auth_secret.delete');
    assert.deepEqual(
      deletes.map((e) => e.outcome),
      ['success', 'failure'],
    );
  });

  it('a live secret is not in the trash, and a trashed one cannot be reached through another workspace', async () => {
    const live = await createSecret();
    expectError(await call('get', `${ws()}/deleted-secrets/${live.id}`), 404);
    expectError(await call('post', `${ws()}/deleted-secrets/${live.id}/restore`), 404);
    expectError(await call('delete', `${ws()}/deleted-secrets/${live.id}`), 404);
    const other = await createWorkspace(t.prisma, tenant.tenantId, tenant.admin.userId);
    const { id } = await createSecret();
    await trash(id);
    expectError(await call('get', `${ws(other)}/deleted-secrets/${id}`), 404);
    expectError(await call('post', `${ws(other)}/deleted-secrets/${id}/restore`), 404);
    expectError(await call('delete', `${ws(other)}/deleted-secrets/${id}`), 404);
    assert.ok(await t.prisma.authSecret.findUnique({ where: { id } }), 'still in its own trash');
  });

  it('a secret in the trash is never refreshed by the worker (its 5-second token never reaches the provider)', async () => {
    const { id, grant } = await createSecret({ expiresIn: 5 });
    await trash(id);
    provider.reset();
    const worker = t.refresh.createWorker({ pollMs: 60_000 });
    const stats = await worker.sweep();
    assert.equal(provider.callsFor(grant.refreshToken), 0, 'the provider never saw its refresh token');
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
    assert.equal(row.refreshedAt, null);
    assert.ok(stats.claimed >= 0);
  });

  it('restore brings it back as it was: same credentials, versions and ETag; audited auth_secret.restore', async () => {
    const { id, doc } = await createSecret();
    const patched = await call('patch', `${ws()}/secrets/${id}`, {
      data: {
        type: 'auth-secret',
        id,
        attributes: {
          credentials: {
            access_token: secretMarker('access'),
            refresh_token: secretMarker('refresh'),
            expires_in: 60,
          },
        },
      },
    });
    const before = await call('get', `${ws()}/secrets/${id}`);
    const versions = (await call('get', `${ws()}/secrets/${id}/versions`)).body.data;
    assert.equal(versions.length, 2);
    await trash(id);
    const restored = await call('post', `${ws()}/deleted-secrets/${id}/restore`);
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.body.data.type, 'auth-secret');
    assert.match(restored.body.data.links.self, new RegExp(`/secrets/${id}$`));
    assert.equal(restored.headers.etag, before.headers.etag);
    const after = await call('get', `${ws()}/secrets/${id}`);
    assert.equal(after.status, 200);
    assert.deepEqual(
      {
        ...after.body.data.attributes,
        credentials: { ...after.body.data.attributes.credentials, expires_in: 0 },
      },
      {
        ...before.body.data.attributes,
        credentials: { ...before.body.data.attributes.credentials, expires_in: 0 },
      },
    );
    assert.equal(
      after.body.data.attributes.credentials.access_token,
      patched.body.data.attributes.credentials.access_token,
    );
    assert.notEqual(
      after.body.data.attributes.credentials.access_token,
      doc.attributes.credentials.access_token,
    );
    const attributesOf = (list: Doc[]) => list.map((v) => [v.id, v.attributes]);
    assert.deepEqual(
      attributesOf((await call('get', `${ws()}/secrets/${id}/versions`)).body.data),
      attributesOf(versions),
    );
    expectError(await call('get', `${ws()}/deleted-secrets/${id}`), 404);
    const events = await eventsOf(id, 'auth_secret.restore');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.actorUserId, tenant.admin.userId);
    assert.equal(events[0]?.outcome, 'success');
  });

  it('purge removes it for good: 404 everywhere, versions gone, audited auth_secret.purge', async () => {
    const { id } = await createSecret();
    await trash(id);
    const res = await call('delete', `${ws()}/deleted-secrets/${id}`);
    assert.equal(res.status, 204);
    for (const [method, path] of [
      ['get', `${ws()}/secrets/${id}`],
      ['get', `${ws()}/deleted-secrets/${id}`],
      ['post', `${ws()}/deleted-secrets/${id}/restore`],
      ['delete', `${ws()}/deleted-secrets/${id}`],
      ['get', `${ws()}/secrets/${id}/versions`],
    ] as const) {
      expectError(await call(method, path), 404, 'not_found');
    }
    assert.equal(await t.prisma.authSecret.findUnique({ where: { id } }), null);
    assert.equal(await t.prisma.authSecretVersion.count({ where: { authSecretId: id } }), 0);
    const events = await eventsOf(id, 'auth_secret.purge');
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]?.details, { reason: 'request' });
    assert.equal(events[0]?.actorUserId, tenant.admin.userId);
  });

  it('an auth-client used only by trashed secrets can be deleted; they are purged with it', async () => {
    const client = await call('post', `/v2/tenants/${tenant.tenantId}/auth-clients`, {
      data: { type: 'auth-client', attributes: { name: `c-${randomUUID7()}`, auth_type: 'other' } },
    });
    assert.equal(client.status, 201, client.text);
    const clientId = client.body.data.id as string;
    const make = async () => {
      const res = await call('post', `${ws()}/secrets`, {
        data: {
          type: 'auth-secret',
          attributes: { name: 'other', state: 'ready', credentials: { api_key: secretMarker('api-key') } },
          relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
        },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.data.id as string;
    };
    const [a, b] = [await make(), await make()];
    await trash(a);
    // b is live: the client is in use.
    expectError(
      await call('delete', `/v2/tenants/${tenant.tenantId}/auth-clients/${clientId}`),
      409,
      'auth_client_in_use',
    );
    assert.ok(await t.prisma.authSecret.findUnique({ where: { id: a } }), 'a refused delete purged nothing');
    await trash(b);
    const deleted = await call('delete', `/v2/tenants/${tenant.tenantId}/auth-clients/${clientId}`);
    assert.equal(deleted.status, 204, deleted.text);
    for (const id of [a, b]) {
      assert.equal(await t.prisma.authSecret.findUnique({ where: { id } }), null);
      const events = await eventsOf(id, 'auth_secret.purge');
      assert.deepEqual(
        events.map((e) => e.details),
        [{ reason: 'auth_client_deleted' }],
      );
      expectError(await call('post', `${ws()}/deleted-secrets/${id}/restore`), 404);
    }
  });

  it('restoring a secret whose auth-client no longer exists: 409 auth_client_gone, nothing changed', async () => {
    // Deleting a client purges its trash, so this needs a client removed behind the service's back
    // (an operator's SQL): the foreign key is bypassed for this one statement.
    const clientId = randomUUID7();
    await t.prisma.authClient.create({
      data: {
        id: clientId,
        tenantId: tenant.tenantId,
        name: `gone-${clientId}`,
        authType: 'other',
        scopes: [],
      },
    });
    const ids = { id: randomUUID7(), tenantId: tenant.tenantId, workspaceId: tenant.workspaceId };
    await t.prisma.authSecret.create({
      data: {
        ...ids,
        userId: tenant.admin.userId,
        authClientId: clientId,
        authType: 'other',
        name: 'orphan',
        state: 'ready',
        credentialsSealed: sealCredentials(t.keyRing, ids, { api_key: secretMarker('api-key') }),
        deletedAt: new Date(),
      },
    });
    await t.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL session_replication_role = replica`);
      await tx.$executeRaw`DELETE FROM auth_clients WHERE id = ${clientId}::uuid`;
    });
    const before = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: ids.id } });
    expectError(await call('post', `${ws()}/deleted-secrets/${ids.id}/restore`), 409, 'auth_client_gone');
    assert.deepEqual(await t.prisma.authSecret.findUniqueOrThrow({ where: { id: ids.id } }), before);
    const purged = await call('delete', `${ws()}/deleted-secrets/${ids.id}`);
    assert.equal(purged.status, 204);
  });

  it('deleting a workspace purges its trash (audited), and its live secrets go with it', async () => {
    const other = await createWorkspace(t.prisma, tenant.tenantId, tenant.admin.userId);
    const trashed = await createSecret({ workspaceId: other });
    const live = await createSecret({ workspaceId: other });
    await trash(trashed.id, other);
    const res = await call('delete', `/v2/workspaces/${other}`);
    assert.equal(res.status, 204, res.text);
    for (const id of [trashed.id, live.id])
      assert.equal(await t.prisma.authSecret.findUnique({ where: { id } }), null);
    assert.deepEqual(
      (await eventsOf(trashed.id, 'auth_secret.purge')).map((e) => e.details),
      [{ reason: 'workspace_deleted' }],
    );
  });

  it('the worker purges after DELETED_SECRET_RETENTION_DAYS in bounded batches, audited by the system', async () => {
    const seeded = await seedSecrets(t.prisma, t.keyRing, provider, tenant, 5, 3600);
    const ids = seeded.map((s) => s.id);
    for (const id of ids) await trash(id);
    // Three of them were deleted 8 days ago; the other two are still within the 7 days.
    const old = ids.slice(0, 3);
    await t.prisma.authSecret.updateMany({
      where: { id: { in: old } },
      data: { deletedAt: new Date(Date.now() - 8 * 86_400_000) },
    });
    const purger = new TrashPurger({
      prisma: t.prisma,
      trash: createTrashStore(t.prisma),
      logger: (await import('pino')).pino({ level: 'silent' }),
      retentionDays: 7,
      pollMs: 60_000,
      batchSize: 2,
      afterPurge: t.refresh.revocations.afterPurge,
    });
    assert.equal(await purger.sweep(), 3);
    assert.equal(await purger.sweep(), 0);
    for (const id of old) {
      assert.equal(await t.prisma.authSecret.findUnique({ where: { id } }), null);
      const events = await eventsOf(id, 'auth_secret.purge');
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.details, { reason: 'retention' });
      assert.equal(events[0]?.actorUserId, null, 'the system');
    }
    for (const id of ids.slice(3)) assert.ok(await t.prisma.authSecret.findUnique({ where: { id } }));
    assert.ok(!capturedLogs.join('\n').includes(seeded[0]?.refreshToken ?? 'none'));
  });

  it('with DELETED_SECRET_RETENTION_DAYS=0, DELETE purges at once', async () => {
    const now = await createTestApp({ DELETED_SECRET_RETENTION_DAYS: '0' });
    try {
      const { id } = await createSecret();
      const res = track(
        await request(now.app).delete(`${ws()}/secrets/${id}`).set('Authorization', tenant.admin.auth),
      );
      assert.equal(res.status, 204);
      assert.equal(await t.prisma.authSecret.findUnique({ where: { id } }), null);
      assert.equal((await eventsOf(id, 'auth_secret.delete')).length, 1);
      assert.equal((await eventsOf(id, 'auth_secret.purge')).length, 1);
    } finally {
      await now.close();
    }
  });
});
