// POST /v2/workspaces/{w}/secrets/{id}/refresh in one process against a real token endpoint:
// each provider behaviour asserts both the HTTP response and the stored secret.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'mocha';
import request from 'supertest';
import { randomUUID7 } from '../../src/db/uuid7.js';
import type { AuthSecret } from '../../src/generated/prisma/client.js';
import { openCredentials, sealCredentials } from '../../src/modules/auth-secrets/credentials.js';
import {
  addMember,
  createUser,
  createWorkspace,
  type SeededSecret,
  type SeededTenant,
  seedSecrets,
  seedTenant,
  uniqueName,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';

const TIMEOUT_MS = 700;

describe('refresh: POST …/secrets/{id}/refresh (API.md §4)', () => {
  let provider: OAuthTestServer;
  let t: TestApp;
  let tenant: SeededTenant;

  const refreshPath = (id: string, ws = tenant.workspaceId) => `/v2/workspaces/${ws}/secrets/${id}/refresh`;
  const refresh = async (id: string, auth = tenant.admin.auth, ws = tenant.workspaceId) => {
    const res = await request(t.app).post(refreshPath(id, ws)).set('Authorization', auth);
    assertJsonApiResponse(res);
    return res;
  };
  const row = (id: string) => t.prisma.authSecret.findUniqueOrThrow({ where: { id } });
  const stored = (r: AuthSecret) => openCredentials(t.keyRing, r);
  const oneSecret = async (expiresIn = 3600): Promise<SeededSecret> =>
    (await seedSecrets(t.prisma, t.keyRing, provider, tenant, 1, expiresIn))[0] as SeededSecret;
  /** The row as a client could observe it: everything but bookkeeping columns. */
  const visible = (r: AuthSecret) => ({
    state: r.state,
    error: r.error,
    expiresAt: r.expiresAt?.getTime(),
    refreshedAt: r.refreshedAt?.getTime(),
    updatedAt: r.updatedAt.getTime(),
    credentials: stored(r),
  });

  before(async () => {
    provider = await OAuthTestServer.start();
    // Coalescing off: these tests refresh one secret several times in a row, each meant to reach the
    // provider (coalescing has its own suite, test/refresh/coalescing.test.ts).
    t = await createTestApp({ OAUTH_TIMEOUT_MS: String(TIMEOUT_MS), REFRESH_COALESCE_SECONDS: '0' });
    tenant = await seedTenant(t.prisma, t.keyRing, provider);
  });
  beforeEach(() => provider.reset());
  after(async () => {
    // Never a token, a client secret or an Authorization header in any log line.
    const logs = capturedLogs.join('\n');
    for (const secret of [provider.clientSecret, ...provider.received.map((r) => r.split('\n')[0] ?? '')]) {
      if (secret.length > 8) assert.ok(!logs.includes(secret), 'a credential reached a log line');
    }
    assert.ok(!/rt_[0-9a-f]{32}|at_[0-9a-f]{32}/.test(logs), 'a token reached a log line');
    await t?.close();
    await provider?.close();
  });

  it('rotation: stores the new access and refresh tokens and expires_at from expires_in', async () => {
    const s = await oneSecret();
    const before = Date.now();
    const res = await refresh(s.id);
    const after = Date.now();
    assert.equal(res.status, 200);
    const data = res.body.data;
    assert.ok(!Array.isArray(data), 'a single resource object');
    assert.equal(data.type, 'auth-secret');
    assert.equal(data.id, s.id);
    const a = data.attributes;
    assert.equal(a.state, 'ready');
    assert.match(a.credentials.access_token, /^at_/);
    assert.notEqual(a.credentials.access_token, s.accessToken);
    assert.match(a.credentials.refresh_token, /^rt_/);
    assert.notEqual(a.credentials.refresh_token, s.refreshToken);
    assert.ok(a.credentials.expires_in >= 3598 && a.credentials.expires_in <= 3600);
    const r = await row(s.id);
    assert.deepEqual(stored(r), {
      access_token: a.credentials.access_token,
      refresh_token: a.credentials.refresh_token,
    });
    const expires = r.expiresAt?.getTime() ?? 0;
    assert.ok(
      expires >= before + 3600_000 && expires <= after + 3600_000,
      'expires_at = response time + expires_in',
    );
    assert.equal(a.expires_at, r.expiresAt?.toISOString());
    assert.ok((r.refreshedAt?.getTime() ?? 0) >= before);
    assert.equal(a.refreshed_at, r.refreshedAt?.toISOString());
    assert.equal(r.failureCount, 0);
    assert.equal(provider.callsFor(s.refreshToken), 1);
    assert.equal(provider.isValid(s.refreshToken), false, 'the provider rotated the old refresh token out');
    const events = await t.prisma.auditEvent.findMany({
      where: { resourceId: s.id, action: 'auth_secret.refresh' },
    });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.outcome, 'success');
    assert.equal(events[0]?.actorUserId, tenant.admin.userId);
    assert.equal(events[0]?.workspaceId, tenant.workspaceId);
    assert.deepEqual(events[0]?.details, { trigger: 'request', result: 'refreshed' });
  });

  it('no rotation: keeps the old refresh token when the provider sends none; any token_type case', async () => {
    provider.set({ rotate: false, tokenType: 'BEARER', expiresIn: 120 });
    const s = await oneSecret();
    const res = await refresh(s.id);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes.credentials.refresh_token, s.refreshToken);
    assert.ok(res.body.data.attributes.credentials.expires_in <= 120);
    const r = await row(s.id);
    assert.equal(stored(r).refresh_token, s.refreshToken);
    assert.notEqual(stored(r).access_token, s.accessToken);
    // And the kept token still works for the next refresh.
    assert.equal((await refresh(s.id)).status, 200);
    assert.equal(provider.callsFor(s.refreshToken), 2);
  });

  it('revoked grant: 200 with state error and a useful message; the worker will not retry it', async () => {
    const s = await oneSecret();
    provider.revoke(s.refreshToken);
    const before = await row(s.id);
    const res = await refresh(s.id);
    assert.equal(res.status, 200);
    const a = res.body.data.attributes;
    assert.equal(a.state, 'error');
    assert.match(
      a.error,
      /rejected the refresh token \(invalid_grant: The refresh token is invalid or was revoked\.\)/,
    );
    assert.equal(a.credentials.refresh_token, s.refreshToken, 'credentials are kept as they were');
    const r = await row(s.id);
    assert.equal(r.state, 'error');
    assert.equal(r.lastFailureKind, 'rejected');
    assert.ok(r.lastFailureAt);
    assert.equal(r.nextAttemptAt, null);
    assert.equal(r.expiresAt?.getTime(), before.expiresAt?.getTime());
    assert.deepEqual(stored(r), stored(before));
    const [event] = await t.prisma.auditEvent.findMany({
      where: { resourceId: s.id, action: 'auth_secret.refresh' },
    });
    assert.equal(event?.outcome, 'failure');
    assert.deepEqual(event?.details, { trigger: 'request', result: 'rejected' });
  });

  it('a secret in state error is refreshed by hand back to ready', async () => {
    const s = await oneSecret();
    await t.prisma.authSecret.update({
      where: { id: s.id },
      data: { state: 'error', error: 'old problem', failureCount: 4 },
    });
    const res = await refresh(s.id);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes.state, 'ready');
    assert.equal(res.body.data.attributes.error, null);
    assert.equal((await row(s.id)).failureCount, 0);
  });

  it('provider 5xx: 502 and the stored secret is unchanged (the failure is recorded)', async () => {
    const s = await oneSecret();
    const before = await row(s.id);
    provider.set({ fail: { status: 503, body: '<h1>down</h1>', contentType: 'text/html' } });
    const res = await refresh(s.id);
    const [e] = expectError(res, 502, 'oauth_provider_error');
    assert.match(e?.detail ?? '', /HTTP 503.*unchanged/);
    const r = await row(s.id);
    assert.deepEqual(visible(r), visible(before));
    assert.equal(r.lastFailureKind, 'provider_error');
    assert.equal(r.failureCount, 1);
  });

  it('provider timeout: 504 within the timeout, the stored secret unchanged', async () => {
    const s = await oneSecret();
    const before = await row(s.id);
    provider.set({ hang: true });
    const started = Date.now();
    const res = await refresh(s.id);
    expectError(res, 504, 'oauth_provider_timeout');
    assert.ok(Date.now() - started < TIMEOUT_MS + 1000, `answered after ${Date.now() - started} ms`);
    const r = await row(s.id);
    assert.deepEqual(visible(r), visible(before));
    assert.equal(r.lastFailureKind, 'timeout');
  });

  it('unreachable provider: 502', async () => {
    const s = await oneSecret();
    const closed = await OAuthTestServer.start();
    const url = closed.tokenUrl;
    await closed.close();
    await t.prisma.authClient.update({ where: { id: tenant.authClientId }, data: { tokenUrl: url } });
    try {
      expectError(await refresh(s.id), 502, 'oauth_provider_unreachable');
    } finally {
      await t.prisma.authClient.update({
        where: { id: tenant.authClientId },
        data: { tokenUrl: provider.tokenUrl },
      });
    }
  });

  it('slow provider: concurrent refreshes share one call and get the same new token', async () => {
    const s = await oneSecret();
    provider.set({ latencyMs: 400 });
    const responses = await Promise.all(Array.from({ length: 15 }, () => refresh(s.id)));
    assert.ok(responses.every((r) => r.status === 200));
    const tokens = new Set(responses.map((r) => r.body.data.attributes.credentials.access_token));
    assert.equal(tokens.size, 1);
    assert.equal(provider.callsFor(s.refreshToken), 1);
    assert.equal(stored(await row(s.id)).access_token, [...tokens][0]);
  });

  it('redirects and oversized responses are 502, nothing changed', async () => {
    const s = await oneSecret();
    const before = await row(s.id);
    provider.set({ redirectTo: 'http://127.0.0.1:1/elsewhere' });
    expectError(await refresh(s.id), 502, 'oauth_provider_invalid_response');
    provider.set({ redirectTo: undefined, hugeBody: true });
    expectError(await refresh(s.id), 502, 'oauth_provider_invalid_response');
    assert.deepEqual(visible(await row(s.id)), visible(before));
  });

  it('a token URL resolving to a private address is refused without any call', async () => {
    const s = await oneSecret();
    await t.prisma.authClient.update({
      where: { id: tenant.authClientId },
      data: { tokenUrl: 'https://10.9.8.7/token' },
    });
    try {
      expectError(await refresh(s.id), 502, 'oauth_provider_address_forbidden');
    } finally {
      await t.prisma.authClient.update({
        where: { id: tenant.authClientId },
        data: { tokenUrl: provider.tokenUrl },
      });
    }
  });

  it('uses the auth-client auth_method (client_secret_post)', async () => {
    const post = await seedTenant(t.prisma, t.keyRing, provider, 'client_secret_post');
    const [s] = await seedSecrets(t.prisma, t.keyRing, provider, post, 1, 3600);
    const res = await refresh(s?.id ?? '', post.admin.auth, post.workspaceId);
    assert.equal(res.status, 200);
    assert.equal(provider.lastAuthMethod, 'client_secret_post');
  });

  it('409 refresh_not_supported for a secret of an `other` auth-client', async () => {
    const clientId = randomUUID7();
    await t.prisma.authClient.create({
      data: {
        id: clientId,
        tenantId: tenant.tenantId,
        name: uniqueName('other'),
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
        name: uniqueName('api-key'),
        state: 'ready',
        credentialsSealed: sealCredentials(t.keyRing, ids, { api_key: 'k' }),
      },
    });
    expectError(await refresh(ids.id), 409, 'refresh_not_supported');
    assert.equal(provider.totalCalls, 0);
  });

  it('404 for an unknown, malformed or other-workspace id; 403 without the refresh permission', async () => {
    const s = await oneSecret();
    expectError(await refresh(randomUUID7()), 404, 'not_found');
    expectError(await refresh('not-a-uuid'), 404);
    const otherWs = await createWorkspace(t.prisma, tenant.tenantId, tenant.admin.userId);
    expectError(await refresh(s.id, tenant.admin.auth, otherWs), 404, 'not_found');
    const viewer = await createUser(t.prisma, tenant.tenantId);
    await addMember(t.prisma, tenant.workspaceId, viewer.userId, 'viewer');
    expectError(await refresh(s.id, viewer.auth), 403, 'forbidden');
    const connector = await createUser(t.prisma, tenant.tenantId);
    await addMember(t.prisma, tenant.workspaceId, connector.userId, 'connector');
    assert.equal((await refresh(s.id, connector.auth)).status, 200);
    const stranger = await createUser(t.prisma, tenant.tenantId);
    expectError(await refresh(s.id, stranger.auth), 404);
    expectError(await request(t.app).post(refreshPath(s.id)), 401);
  });

  it('GET /metrics: attempts, outcomes, provider latency and due secrets in Prometheus text', async () => {
    await oneSecret(60); // due within REFRESH_AHEAD_SECONDS (300)
    const res = await request(t.app).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(res.text, /auth_secret_refresh_attempts_total\{trigger="request"\} \d+/);
    assert.match(res.text, /auth_secret_refresh_outcomes_total\{trigger="request",outcome="refreshed"\} \d+/);
    assert.match(res.text, /auth_secret_refresh_outcomes_total\{trigger="request",outcome="rejected"\} \d+/);
    assert.match(
      res.text,
      /oauth_provider_request_duration_seconds_bucket\{le="0.05",outcome="success"\} \d+/,
    );
    assert.match(res.text, /oauth_provider_request_duration_seconds_count\{outcome="timeout"\} 1/);
    const due = Number(/auth_secrets_refresh_due (\d+)/.exec(res.text)?.[1]);
    assert.ok(due >= 1, 'the due gauge counts the secret expiring in 60 s');
  });
});
