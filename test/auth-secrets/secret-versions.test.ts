// Versions of an auth-secret's credentials (API.md §9.1) through the real app on PostgreSQL, with a
// real token endpoint for the refresh: numbering and causes, restore, retention, reveal, the read
// event, encryption at rest of every version, and key rotation re-sealing them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { authSecretVersionAad } from '../../src/crypto/aad.js';
import { open, sealedKeyId } from '../../src/crypto/envelope.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';
import { type RotateKeysOptions, rotateKeys } from '../../src/crypto/rotate-keys.js';
import { openVersionCredentials } from '../../src/modules/auth-secrets/versions/version-credentials.js';
import { addMember, createApiKey, createUser, type SeededTenant, seedTenant } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { basicAuth, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// biome-ignore lint/suspicious/noExplicitAny: documents are read freely after assertJsonApiResponse.
type Doc = any;

describe('auth-secret versions (API.md §9.1)', () => {
  let provider: OAuthTestServer;
  let t: TestApp;
  let tenant: SeededTenant;
  const keySpec = generateKeySpec('hist-old');

  const ws = () => `/v2/workspaces/${tenant.workspaceId}`;
  async function call(
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    body?: unknown,
    auth?: string,
  ) {
    let req = request(t.app)
      [method](path)
      .set('Authorization', auth ?? tenant.admin.auth);
    if (body !== undefined) req = req.set('Content-Type', 'application/vnd.api+json').send(body as object);
    const res = track(await req);
    assertJsonApiResponse(res);
    return res;
  }
  const credentialsOf = (grant: { accessToken: string; refreshToken: string }) => ({
    access_token: grant.accessToken,
    refresh_token: grant.refreshToken,
    expires_in: 3600,
  });
  async function createSecret(): Promise<{
    id: string;
    grant: { accessToken: string; refreshToken: string };
  }> {
    const grant = provider.grant();
    const res = await call('post', `${ws()}/secrets`, {
      data: {
        type: 'auth-secret',
        attributes: { name: 'versioned', state: 'ready', credentials: credentialsOf(grant) },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: tenant.authClientId } } },
      },
    });
    assert.equal(res.status, 201, res.text);
    return { id: res.body.data.id, grant };
  }
  const patchCredentials = async (id: string, grant: { accessToken: string; refreshToken: string }) => {
    const res = await call('patch', `${ws()}/secrets/${id}`, {
      data: { type: 'auth-secret', id, attributes: { credentials: credentialsOf(grant) } },
    });
    assert.equal(res.status, 200, res.text);
    return res;
  };
  const versionsOf = async (id: string, query = '') => {
    const res = await call('get', `${ws()}/secrets/${id}/versions${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body as Doc;
  };
  const versionOf = async (id: string, n: number, auth?: string) => {
    const res = await call('get', `${ws()}/secrets/${id}/versions/${n}`, undefined, auth);
    assert.equal(res.status, 200, res.text);
    return res.body.data as Doc;
  };

  /** create, two PATCHes with new credentials, one refresh at the provider: versions 1–4. */
  async function secretWithFourVersions() {
    const created = await createSecret();
    const second = provider.grant();
    const third = provider.grant();
    await patchCredentials(created.id, second);
    await patchCredentials(created.id, third);
    const refreshed = await call('post', `${ws()}/secrets/${created.id}/refresh`);
    assert.equal(refreshed.status, 200, refreshed.text);
    const fourth = refreshed.body.data.attributes.credentials;
    assert.notEqual(fourth.access_token, third.accessToken, 'the provider issued a new token');
    return { id: created.id, grants: [created.grant, second, third], fourth };
  }

  before(async () => {
    provider = await OAuthTestServer.start();
    t = await createTestApp({ ENCRYPTION_KEYS: keySpec });
    tenant = await seedTenant(t.prisma, t.keyRing, provider);
  });
  after(async () => {
    await t?.close();
    await provider?.close();
  });

  it('create, 2 PATCHes and a refresh make versions 1–4, newest first, with their causes and no credentials', async () => {
    const { id } = await secretWithFourVersions();
    const doc = await versionsOf(id);
    assert.deepEqual(
      doc.data.map((v: Doc) => [v.type, v.id, v.attributes.number, v.attributes.cause]),
      [
        ['auth-secret-version', `${id}:4`, 4, 'refresh'],
        ['auth-secret-version', `${id}:3`, 3, 'update'],
        ['auth-secret-version', `${id}:2`, 2, 'update'],
        ['auth-secret-version', `${id}:1`, 1, 'create'],
      ],
    );
    for (const v of doc.data) {
      assert.equal(v.attributes.credentials, undefined, 'the list never carries credentials');
      assert.ok(v.attributes.created_at && v.attributes.expires_at, 'timestamps');
      assert.equal(v.relationships['auth-secret'].data.id, id);
      assert.equal(v.relationships.user.data.id, tenant.admin.userId, 'each was caused by the admin');
      assert.match(v.links.self, new RegExp(`/secrets/${id}/versions/${v.attributes.number}$`));
    }
    assert.match(doc.links.self, /\/versions$/);
  });

  it('pages newest first with a cursor (page[size]=3 → 3 + 1)', async () => {
    const { id } = await secretWithFourVersions();
    const first = await versionsOf(id, '?page[size]=3');
    assert.deepEqual(
      first.data.map((v: Doc) => v.attributes.number),
      [4, 3, 2],
    );
    assert.ok(first.links.next, 'a next link');
    const next = new URL(first.links.next);
    const second = await call('get', `${next.pathname}${next.search}`);
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(
      second.body.data.map((v: Doc) => v.attributes.number),
      [1],
    );
    assert.equal(second.body.links.next, undefined);
    expectError(await call('get', `${ws()}/secrets/${id}/versions?page[cursor]=${first.data[0].id}`), 400);
  });

  it('one version carries its credentials, and reading it leaves an auth_secret.read event naming it', async () => {
    const { id, grants } = await secretWithFourVersions();
    const before = await t.prisma.auditEvent.count({ where: { resourceId: id, action: 'auth_secret.read' } });
    const v2 = await versionOf(id, 2);
    assert.equal(v2.type, 'auth-secret-version');
    assert.equal(v2.attributes.number, 2);
    assert.equal(v2.attributes.cause, 'update');
    assert.equal(v2.attributes.credentials.access_token, grants[1]?.accessToken);
    assert.equal(v2.attributes.credentials.refresh_token, grants[1]?.refreshToken);
    assert.ok(v2.attributes.credentials.expires_in > 3500);
    const events = await t.prisma.auditEvent.findMany({
      where: { resourceId: id, action: 'auth_secret.read' },
      orderBy: { id: 'asc' },
    });
    assert.equal(events.length, before + 1);
    assert.deepEqual(events.at(-1)?.details, { version: 2 });
    assert.equal(events.at(-1)?.actorUserId, tenant.admin.userId);
    // Without credentials in the fieldset there is nothing to disclose and no event.
    const bare = await call(
      'get',
      `${ws()}/secrets/${id}/versions/2?fields[auth-secret-version]=number,cause`,
    );
    assert.equal(bare.status, 200);
    assert.deepEqual(Object.keys(bare.body.data.attributes).sort(), ['cause', 'number']);
    assert.equal(
      await t.prisma.auditEvent.count({ where: { resourceId: id, action: 'auth_secret.read' } }),
      before + 1,
    );
  });

  it('a caller without auth_secret.get reads no version (403), list or one', async () => {
    const { id } = await secretWithFourVersions();
    // A key scoped to workspace.get sees no auth-secret at all: 403.
    const user = await createUser(t.prisma, tenant.tenantId, 'member');
    await addMember(t.prisma, tenant.workspaceId, user.userId, 'viewer');
    const key = await createApiKey(t.prisma, user.userId, ['workspaces.workspace.get']);
    const scoped = basicAuth(user.email, key);
    expectError(await call('get', `${ws()}/secrets/${id}/versions/1`, undefined, scoped), 403, 'forbidden');
    expectError(await call('get', `${ws()}/secrets/${id}/versions`, undefined, scoped), 403, 'forbidden');
  });

  it('a viewer (get without reveal) reads a version without credentials and leaves no read event; asking for them is 403', async () => {
    const { id } = await secretWithFourVersions();
    const user = await createUser(t.prisma, tenant.tenantId, 'member');
    await addMember(t.prisma, tenant.workspaceId, user.userId, 'viewer');
    const viewer = basicAuth(user.email, await createApiKey(t.prisma, user.userId));
    const reads = () => t.prisma.auditEvent.count({ where: { resourceId: id, action: 'auth_secret.read' } });
    const before = await reads();
    const v2 = await versionOf(id, 2, viewer);
    assert.equal(v2.attributes.number, 2);
    assert.ok(!('credentials' in v2.attributes), 'a viewer saw version credentials');
    const asked = await call(
      'get',
      `${ws()}/secrets/${id}/versions/2?fields[auth-secret-version]=number,credentials`,
      undefined,
      viewer,
    );
    const [problem] = expectError(asked, 403, 'reveal_not_permitted');
    assert.deepEqual(problem?.source, { parameter: 'fields[auth-secret-version]' });
    assert.equal(await reads(), before, 'a read event without credentials disclosed');
  });

  it('restoring version 2 makes version 5 (cause restore) whose credentials equal version 2; audited as an update', async () => {
    const { id, grants } = await secretWithFourVersions();
    const res = await call('post', `${ws()}/secrets/${id}/versions/2/restore`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.type, 'auth-secret');
    assert.ok(res.headers.etag, 'an ETag');
    assert.equal(res.body.data.attributes.credentials.access_token, grants[1]?.accessToken);
    const v5 = await versionOf(id, 5);
    const v2 = await versionOf(id, 2);
    assert.equal(v5.attributes.cause, 'restore');
    assert.deepEqual(v5.attributes.credentials, v2.attributes.credentials);
    assert.equal(v5.attributes.expires_at, v2.attributes.expires_at);
    const get = await call('get', `${ws()}/secrets/${id}`);
    assert.equal(get.body.data.attributes.credentials.refresh_token, grants[1]?.refreshToken);
    const event = await t.prisma.auditEvent.findFirst({
      where: { resourceId: id, action: 'auth_secret.update' },
      orderBy: { id: 'desc' },
    });
    assert.deepEqual(event?.details, { changed: ['credentials'], restored_version: 2 });
    // A version that does not exist (or a malformed number): 404, nothing changed.
    const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
    for (const n of ['9', '0', '-1', 'x', '99999999999']) {
      expectError(await call('post', `${ws()}/secrets/${id}/versions/${n}/restore`), 404, 'not_found');
      expectError(await call('get', `${ws()}/secrets/${id}/versions/${n}`), 404, 'not_found');
    }
    assert.deepEqual(await t.prisma.authSecret.findUniqueOrThrow({ where: { id } }), row);
  });

  it('a refresh superseded by a PATCH during the provider call writes no version', async () => {
    const created = await createSecret();
    provider.set({ latencyMs: 600 });
    try {
      const refreshing = call('post', `${ws()}/secrets/${created.id}/refresh`);
      await new Promise((r) => setTimeout(r, 200));
      const mine = provider.grant();
      await patchCredentials(created.id, mine);
      const refreshed = await refreshing;
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal(
        refreshed.body.data.attributes.credentials.access_token,
        mine.accessToken,
        "the caller's wins",
      );
    } finally {
      provider.reset();
    }
    const doc = await versionsOf(created.id);
    assert.deepEqual(
      doc.data.map((v: Doc) => [v.attributes.number, v.attributes.cause]),
      [
        [2, 'update'],
        [1, 'create'],
      ],
    );
  });

  it('the refresh worker makes versions too, with no user', async () => {
    const created = await createSecret();
    await t.prisma.authSecret.update({
      where: { id: created.id },
      // Due now: the worker claims by refresh_due_at (refresh-schedule.ts).
      data: { expiresAt: new Date(Date.now() + 5000), refreshDueAt: new Date() },
    });
    const worker = t.refresh.createWorker({ pollMs: 60_000 });
    await worker.sweep();
    const doc = await versionsOf(created.id);
    const newest = doc.data[0];
    assert.equal(newest.attributes.cause, 'refresh');
    assert.equal(newest.attributes.number, 2);
    assert.equal(newest.relationships.user.data, null, 'no user for the worker');
    assert.equal(newest.relationships.user.links, undefined, 'and no link to nobody');
  });

  it('raw version rows hold no plaintext, and each opens only as its own (secret, number)', async () => {
    const { id, grants, fourth } = await secretWithFourVersions();
    const rows = await t.prisma.authSecretVersion.findMany({
      where: { authSecretId: id },
      orderBy: { number: 'asc' },
    });
    assert.equal(rows.length, 4);
    const plaintexts = [
      ...grants.flatMap((g) => [g.accessToken, g.refreshToken]),
      fourth.access_token,
      fourth.refresh_token,
    ];
    const raw = await t.prisma.$queryRaw<{ dump: string }[]>`
      SELECT string_agg(encode(credentials_sealed, 'escape'), '|') AS dump
      FROM auth_secret_versions WHERE auth_secret_id = ${id}::uuid`;
    for (const p of plaintexts) assert.ok(!raw[0]?.dump.includes(p), 'no plaintext at rest');
    const secret = await t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
    const [first, second] = rows as [(typeof rows)[0], (typeof rows)[0]];
    assert.equal(openVersionCredentials(t.keyRing, secret, first).access_token, grants[0]?.accessToken);
    // Bound to its number: version 2's bytes do not open as version 1.
    assert.throws(() => open(t.keyRing, second.credentialsSealed, authSecretVersionAad(secret, 1)));
  });

  it('keeps only the newest SECRET_VERSIONS_KEPT (3)', async () => {
    const small = await createTestApp({ ENCRYPTION_KEYS: keySpec, SECRET_VERSIONS_KEPT: '3' });
    try {
      const id = (
        await request(small.app)
          .post(`${ws()}/secrets`)
          .set('Authorization', tenant.admin.auth)
          .set('Content-Type', 'application/vnd.api+json')
          .send({
            data: {
              type: 'auth-secret',
              attributes: { name: 'kept', state: 'ready', credentials: credentialsOf(provider.grant()) },
              relationships: { 'auth-client': { data: { type: 'auth-client', id: tenant.authClientId } } },
            },
          })
      ).body.data.id as string;
      for (let i = 0; i < 4; i++) {
        const res = track(
          await request(small.app)
            .patch(`${ws()}/secrets/${id}`)
            .set('Authorization', tenant.admin.auth)
            .send({
              data: { type: 'auth-secret', id, attributes: { credentials: credentialsOf(provider.grant()) } },
            }),
        );
        assert.equal(res.status, 200, res.text);
      }
      const res = track(
        await request(small.app)
          .get(`${ws()}/secrets/${id}/versions`)
          .set('Authorization', tenant.admin.auth),
      );
      assertJsonApiResponse(res);
      assert.deepEqual(
        res.body.data.map((v: Doc) => v.attributes.number),
        [5, 4, 3],
      );
      assert.equal(await t.prisma.authSecretVersion.count({ where: { authSecretId: id } }), 3);
      expectError(
        track(
          await request(small.app)
            .get(`${ws()}/secrets/${id}/versions/2`)
            .set('Authorization', tenant.admin.auth),
        ),
        404,
      );
    } finally {
      await small.close();
    }
  });

  it('after rotate-keys and removal of the old key, every version still opens', async () => {
    const { id } = await secretWithFourVersions();
    await call('post', `${ws()}/secrets/${id}/versions/1/restore`);
    const newSpec = generateKeySpec('hist-new');
    // Over this tenant's rows only: other suites' rows in the shared database are sealed with their own keys.
    const tenantId = tenant.tenantId;
    const scoped = (delegate: Doc, where: (w: object | undefined) => object) => ({
      findMany: (args: { where?: object }) => delegate.findMany({ ...args, where: where(args.where) }),
      findUnique: (args: unknown) => delegate.findUnique(args),
      updateMany: (args: unknown) => delegate.updateMany(args),
    });
    const result = await rotateKeys({
      prisma: {
        authSecret: scoped(t.prisma.authSecret, (w) => ({ ...w, tenantId })),
        authSecretVersion: scoped(t.prisma.authSecretVersion, (w) => ({ ...w, authSecret: { tenantId } })),
        authClient: scoped(t.prisma.authClient, (w) => ({ ...w, tenantId })),
        webhook: scoped(t.prisma.webhook, (w) => ({ ...w, tenantId })),
        connectSession: scoped(t.prisma.connectSession, (w) => ({ ...w, tenantId })),
      } as unknown as RotateKeysOptions['prisma'],
      ring: parseKeyRing(`${newSpec},${keySpec}`),
    });
    assert.ok(result.authSecretVersions >= 5, JSON.stringify(result));
    const newOnly = parseKeyRing(newSpec);
    const secret = await t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
    const rows = await t.prisma.authSecretVersion.findMany({ where: { authSecretId: id } });
    assert.equal(rows.length, 5);
    for (const row of rows) {
      assert.equal(sealedKeyId(row.credentialsSealed), 'hist-new');
      assert.doesNotThrow(() => openVersionCredentials(newOnly, secret, row));
    }
    // The service with only the new key serves every version.
    const rotated = await createTestApp({ ENCRYPTION_KEYS: newSpec });
    try {
      for (let n = 1; n <= 5; n++) {
        const res = track(
          await request(rotated.app)
            .get(`${ws()}/secrets/${id}/versions/${n}`)
            .set('Authorization', tenant.admin.auth),
        );
        assertJsonApiResponse(res);
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.data.attributes.credentials.access_token);
      }
    } finally {
      await rotated.close();
    }
  });
});
