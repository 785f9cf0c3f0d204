// Optimistic concurrency on auth-secrets (API.md §9.3): a strong ETag on every response for one
// secret, If-Match on PATCH and DELETE (412 precondition_failed with nothing changed when stale),
// and a refresh between GET and PATCH making the PATCH's If-Match stale.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { type SeededTenant, seedTenant } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const STRONG_ETAG = /^"[A-Za-z0-9_-]{32}"$/;

describe('auth-secret ETag and If-Match (API.md §9.3)', () => {
  let provider: OAuthTestServer;
  let t: TestApp;
  let tenant: SeededTenant;

  const path = (id = '') => `/v2/workspaces/${tenant.workspaceId}/secrets${id ? `/${id}` : ''}`;
  async function call(
    method: 'get' | 'post' | 'patch' | 'delete',
    to: string,
    opts: { body?: unknown; ifMatch?: string } = {},
  ) {
    let req = request(t.app)[method](to).set('Authorization', tenant.admin.auth);
    if (opts.ifMatch !== undefined) req = req.set('If-Match', opts.ifMatch);
    if (opts.body !== undefined)
      req = req.set('Content-Type', 'application/vnd.api+json').send(opts.body as object);
    const res = track(await req);
    assertJsonApiResponse(res);
    return res;
  }
  const rename = (id: string, name: string, ifMatch?: string) =>
    call('patch', path(id), {
      body: { data: { type: 'auth-secret', id, attributes: { name } } },
      ...(ifMatch !== undefined ? { ifMatch } : {}),
    });
  async function createSecret() {
    const grant = provider.grant();
    const res = await call('post', path(), {
      body: {
        data: {
          type: 'auth-secret',
          attributes: {
            name: 'etagged',
            state: 'ready',
            credentials: {
              access_token: grant.accessToken,
              refresh_token: grant.refreshToken,
              expires_in: 3600,
            },
          },
          relationships: { 'auth-client': { data: { type: 'auth-client', id: tenant.authClientId } } },
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    return res;
  }
  const row = (id: string) => t.prisma.authSecret.findUniqueOrThrow({ where: { id } });

  before(async () => {
    provider = await OAuthTestServer.start();
    t = await createTestApp();
    tenant = await seedTenant(t.prisma, t.keyRing, provider);
  });
  after(async () => {
    await t?.close();
    await provider?.close();
  });

  it('every response for one secret carries a strong ETag that changes with every change, and only then', async () => {
    const created = await createSecret();
    const id = created.body.data.id as string;
    const tags = [created.headers.etag as string];
    const get = await call('get', path(id));
    assert.equal(get.status, 200);
    assert.match(get.headers.etag as string, STRONG_ETAG);
    assert.equal(get.headers.etag, tags[0], 'create and GET agree');
    assert.equal((await call('get', path(id))).headers.etag, tags[0], 'stable while nothing changes');
    const renamed = await rename(id, 'renamed');
    tags.push(renamed.headers.etag as string);
    const refreshed = await call('post', `${path(id)}/refresh`);
    assert.equal(refreshed.status, 200, refreshed.text);
    tags.push(refreshed.headers.etag as string);
    const restored = await call('post', `${path(id)}/versions/1/restore`);
    assert.equal(restored.status, 200, restored.text);
    tags.push(restored.headers.etag as string);
    for (const tag of tags) assert.match(tag, STRONG_ETAG);
    assert.equal(new Set(tags).size, tags.length, `every change gives a new ETag: ${tags.join(' ')}`);
    assert.equal((await call('get', path(id))).headers.etag, tags.at(-1));
    // Collections carry none (there is no one secret to tag).
    assert.equal((await call('get', path())).headers.etag, undefined);
  });

  it('PATCH with a stale If-Match: 412 precondition_failed, nothing changed; with the current one: 200', async () => {
    const id = (await createSecret()).body.data.id as string;
    const stale = (await call('get', path(id))).headers.etag as string;
    const current = (await rename(id, 'second')).headers.etag as string;
    const before = await row(id);
    const errors = expectError(await rename(id, 'third', stale), 412, 'precondition_failed');
    assert.equal(errors[0]?.source?.header, 'If-Match');
    for (const bad of [`W/${current}`, '"nope"', 'garbage', '']) {
      expectError(await rename(id, 'third', bad), 412, 'precondition_failed');
    }
    assert.deepEqual(await row(id), before, 'the refused PATCHes changed nothing');
    const ok = await rename(id, 'third', `"other", ${current}`);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.data.attributes.name, 'third');
    assert.notEqual(ok.headers.etag, current);
    const any = await rename(id, 'fourth', '*');
    assert.equal(any.status, 200);
    const failed = await t.prisma.auditEvent.findFirst({
      where: { resourceId: id, action: 'auth_secret.update', outcome: 'failure' },
    });
    assert.deepEqual(failed?.details, { status: 412, code: 'precondition_failed' });
  });

  it('DELETE with a stale If-Match: 412 and still there; with the current one: 204', async () => {
    const id = (await createSecret()).body.data.id as string;
    const stale = (await call('get', path(id))).headers.etag as string;
    const current = (await rename(id, 'moved on')).headers.etag as string;
    const before = await row(id);
    expectError(await call('delete', path(id), { ifMatch: stale }), 412, 'precondition_failed');
    assert.deepEqual(await row(id), before);
    assert.equal((await call('get', path(id))).status, 200);
    const res = await call('delete', path(id), { ifMatch: current });
    assert.equal(res.status, 204);
    expectError(await call('get', path(id)), 404);
  });

  it('a refresh between GET and PATCH makes the If-Match stale', async () => {
    const id = (await createSecret()).body.data.id as string;
    const seen = (await call('get', path(id))).headers.etag as string;
    const refreshed = await call('post', `${path(id)}/refresh`);
    assert.equal(refreshed.status, 200, refreshed.text);
    const before = await row(id);
    expectError(await rename(id, 'too late', seen), 412, 'precondition_failed');
    assert.deepEqual(await row(id), before);
    expectError(await call('delete', path(id), { ifMatch: seen }), 412, 'precondition_failed');
    assert.deepEqual(await row(id), before);
  });

  it('If-Match is checked under the row lock: of two PATCHes with the same ETag, one wins and one gets 412', async () => {
    const id = (await createSecret()).body.data.id as string;
    const tag = (await call('get', path(id))).headers.etag as string;
    const results = await Promise.all([rename(id, 'left', tag), rename(id, 'right', tag)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 412]);
    const winner = results.find((r) => r.status === 200);
    assert.equal((await row(id)).name, winner?.body.data.attributes.name);
  });

  it('without If-Match PATCH and DELETE behave as before', async () => {
    const id = (await createSecret()).body.data.id as string;
    assert.equal((await rename(id, 'no condition')).status, 200);
    assert.equal((await call('delete', path(id))).status, 204);
  });
});
