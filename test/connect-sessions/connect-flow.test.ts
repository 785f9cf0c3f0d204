// The authorization-code flow with PKCE (API.md §10.2) end to end against a real OpenID Provider
// (oidc-provider on 127.0.0.1): an auth-client, a connect session, the user's browser through the
// provider's login and consent pages, the callback, the session, and the secret whose tokens the
// provider accepts. Then every way the callback must refuse or fail, each leaving nothing written.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import {
  createClient,
  createTenant,
  createWorkspace,
  type Http,
  JSONAPI,
  type JsonApiResource,
  pathOf,
} from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { OIDC_SCOPES, OidcTestProvider, TestBrowser } from '../support/oidc-provider.js';
import { marker, track, usedClientSecrets } from '../support/secrets.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';

const PUBLIC_URL = 'https://auth-secrets.example.test';
const REDIRECT_URI = `${PUBLIC_URL}/v2/oauth/callback`;
const RETURN_URL = 'https://app.example.test/connected?from=test';

describe('connect sessions: authorization code with PKCE against oidc-provider (API.md §10.2)', function () {
  this.timeout(30_000);
  let t: TestApp;
  let http: Http;
  let op: OidcTestProvider;
  let auth: string;
  let tenantId: string;
  let workspaceId: string;
  let client: JsonApiResource;

  before(async () => {
    t = await createTestApp({ PUBLIC_URL });
    http = request(t.app);
    op = await OidcTestProvider.start({ redirectUri: REDIRECT_URI });
    const tenant = await createTenant(t.prisma);
    tenantId = tenant.tenantId;
    auth = tenant.admin.auth;
    workspaceId = await createWorkspace(t.prisma, tenantId, tenant.admin.userId);
    client = await createClient(http, auth, tenantId, {
      name: marker('oidc'),
      auth_type: 'oauth2',
      oauth2: {
        client_id: op.confidential.clientId,
        client_secret: op.confidential.clientSecret,
        token_url: op.tokenUrl,
        authorize_url: op.authorizeUrl,
        scopes: OIDC_SCOPES,
        grant_type: 'authorization_code',
        // oidc-provider issues refresh tokens for offline_access only with prompt=consent.
        authorize_params: { prompt: 'consent' },
      },
    });
  });

  after(async () => {
    await op?.close();
    await t?.close();
  });

  function sessionDocument(attributes: Record<string, unknown>, relationships: Record<string, unknown> = {}) {
    return {
      data: {
        type: 'connect-session',
        attributes: { name: marker('connection'), ...attributes },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: client.id } }, ...relationships },
      },
    };
  }

  async function startSession(attributes: Record<string, unknown> = {}, relationships = {}) {
    const res = track(
      await http
        .post(`/v2/workspaces/${workspaceId}/connect-sessions`)
        .set('Authorization', auth)
        .set('Content-Type', JSONAPI)
        .send(sessionDocument({ return_url: RETURN_URL, ...attributes }, relationships)),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 201, res.text);
    return res;
  }

  async function getSession(id: string): Promise<JsonApiResource> {
    const res = track(
      await http.get(`/v2/workspaces/${workspaceId}/connect-sessions/${id}`).set('Authorization', auth),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 200, res.text);
    return res.body.data as JsonApiResource;
  }

  async function getSecret(id: string): Promise<JsonApiResource> {
    const res = track(
      await http.get(`/v2/workspaces/${workspaceId}/secrets/${id}`).set('Authorization', auth),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 200, res.text);
    return res.body.data as JsonApiResource;
  }

  /** The browser follows the callback URL to this service (whose PUBLIC_URL is not a real host). */
  const callback = async (url: string) => track(await http.get(pathOf(url)));

  const secretCount = () => t.prisma.authSecret.count({ where: { workspaceId } });

  function assertCallbackPage(res: request.Response, status: number) {
    assert.equal(res.status, status, res.text);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(res.headers['content-security-policy'] ?? '', /default-src 'none'/);
    assert.match(res.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.doesNotMatch(res.text, /<script/i);
  }

  let completedSecretId: string;
  let usedCallbackUrl: string;

  it('creates a secret from the provider consent: 201 session → browser → 303 success → tokens that work', async () => {
    const created = await startSession();
    const session = created.body.data as JsonApiResource;
    assert.equal(created.headers.location, session.links?.self);
    assert.equal(session.type, 'connect-session');
    assert.equal(session.attributes.status, 'pending');
    assert.equal(session.attributes.error, null);
    const expiresIn = Date.parse(session.attributes.expires_at) - Date.now();
    assert.ok(expiresIn > 590_000 && expiresIn <= 600_000, `expires in 10 minutes (${expiresIn} ms)`);

    const authorizeUrl = new URL(session.attributes.authorize_url);
    assert.equal(`${authorizeUrl.origin}${authorizeUrl.pathname}`, op.authorizeUrl);
    const q = authorizeUrl.searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), op.confidential.clientId);
    assert.equal(q.get('redirect_uri'), REDIRECT_URI);
    assert.equal(q.get('scope'), OIDC_SCOPES.join(' '));
    assert.equal(q.get('prompt'), 'consent', 'authorize_params are sent');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    // At least 128 bits: 22 base64url characters; ours are 256 bits.
    assert.match(q.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
    // Neither the state nor the verifier is stored as such.
    const row = await t.prisma.connectSession.findUniqueOrThrow({ where: { id: session.id } });
    assert.notEqual(Buffer.from(row.stateHash).toString('base64url'), q.get('state'));
    assert.ok(!Buffer.from(row.codeVerifierSealed).includes(Buffer.from(q.get('code_challenge') ?? '')));

    const callbackUrl = await new TestBrowser().authorize(authorizeUrl.toString(), {
      redirectUri: REDIRECT_URI,
    });
    assert.equal(new URL(callbackUrl).searchParams.get('state'), q.get('state'));
    const res = await callback(callbackUrl);
    assert.equal(res.status, 303, res.text);
    const target = new URL(res.headers.location ?? '');
    assert.equal(`${target.origin}${target.pathname}`, 'https://app.example.test/connected');
    assert.equal(target.searchParams.get('from'), 'test');
    assert.equal(target.searchParams.get('connect_session'), session.id);
    assert.equal(target.searchParams.get('status'), 'success');

    // The provider saw S256 and a verifier whose hash is the challenge (it refuses a code otherwise).
    const seen = op.authorizationRequests.find((p) => p.state === q.get('state'));
    assert.equal(seen?.code_challenge_method, 'S256');
    const exchange = op.tokenRequests.find((p) => p.grant_type === 'authorization_code' && p.code_verifier);
    const verifier = String(exchange?.code_verifier);
    assert.equal(createHash('sha256').update(verifier).digest('base64url'), q.get('code_challenge'));
    assert.equal(exchange?.redirect_uri, REDIRECT_URI);

    const polled = await getSession(session.id);
    assert.equal(polled.attributes.status, 'completed');
    assert.equal(polled.attributes.error, null);
    assert.equal(polled.attributes.authorize_url, undefined, 'the authorization URL is shown once');
    const secretId = polled.relationships?.['auth-secret']?.data?.id as string;
    assert.ok(secretId, 'the session names its secret');
    completedSecretId = secretId;
    usedCallbackUrl = callbackUrl;

    const secret = await getSecret(secretId);
    assert.equal(secret.attributes.name, session.attributes.name);
    assert.equal(secret.attributes.state, 'ready');
    assert.equal(secret.relationships?.['auth-client']?.data?.id, client.id);
    const creatorId = (await t.prisma.connectSession.findUniqueOrThrow({ where: { id: session.id } })).userId;
    assert.equal(secret.relationships?.user?.data?.id, creatorId);
    const { access_token, refresh_token, expires_in } = secret.attributes.credentials;
    assert.ok(expires_in > 3000 && expires_in <= 3600, `expires_in from the provider (${expires_in})`);
    const introspected = await op.introspect(access_token);
    assert.equal(introspected.active, true, 'the provider accepts the access token');
    assert.equal(introspected.client_id, op.confidential.clientId);

    // The refresh token works too: a refresh through the service renews (and rotates) it.
    const refreshed = track(
      await http.post(`/v2/workspaces/${workspaceId}/secrets/${secretId}/refresh`).set('Authorization', auth),
    );
    assertJsonApiResponse(refreshed);
    assert.equal(refreshed.status, 200, refreshed.text);
    const renewed = refreshed.body.data.attributes.credentials;
    assert.equal(refreshed.body.data.attributes.state, 'ready');
    assert.notEqual(renewed.access_token, access_token);
    assert.notEqual(renewed.refresh_token, refresh_token, 'oidc-provider rotates refresh tokens');
    assert.equal((await op.introspect(renewed.access_token)).active, true);

    const events = await t.prisma.auditEvent.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } });
    const create = events.find((e) => e.action === 'connect_session.create' && e.resourceId === session.id);
    const secretCreate = events.find((e) => e.action === 'auth_secret.create' && e.resourceId === secretId);
    assert.ok(create && secretCreate, 'connect_session.create and auth_secret.create are audited');
    assert.equal(secretCreate.actorUserId, creatorId, "the callback acts as the session's creator");
    assert.equal(secretCreate.outcome, 'success');
  });

  it('refuses the same callback again (replayed state): 400 page, nothing written, no redirect', async () => {
    assert.ok(usedCallbackUrl, 'the flow above ran');
    const before = await secretCount();
    const secretBefore = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: completedSecretId } });
    const res = await callback(usedCallbackUrl);
    assertCallbackPage(res, 400);
    assert.equal(res.headers.location, undefined);
    assert.match(res.text, /not valid/);
    assert.equal(await secretCount(), before);
    const secretAfter = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: completedSecretId } });
    assert.deepEqual(secretAfter, secretBefore);
    // Neither the code nor the state (the callback's credentials) ever reached a log line.
    const callbackQuery = new URL(usedCallbackUrl).searchParams;
    for (const value of [callbackQuery.get('code'), callbackQuery.get('state')]) {
      assert.ok(value && !capturedLogs.some((line) => line.includes(value)), 'not logged');
    }
  });

  it('refuses a forged, missing or repeated state: 400 page, nothing written', async () => {
    const before = await secretCount();
    const pending = await startSession();
    const state = new URL(pending.body.data.attributes.authorize_url).searchParams.get('state') as string;
    const forged = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;
    for (const query of [
      `code=abc&state=${forged}`,
      'code=abc',
      `code=abc&state=${'x'.repeat(600)}`,
      `code=abc&state=${state}&state=${state}`,
    ]) {
      const res = track(await http.get(`/v2/oauth/callback?${query}`));
      assertCallbackPage(res, 400);
      assert.equal(res.headers.location, undefined, query.slice(0, 40));
    }
    assert.equal(await secretCount(), before);
    // The real state is still pending and unclaimed: a forged one does not burn it.
    const row = await t.prisma.connectSession.findUniqueOrThrow({ where: { id: pending.body.data.id } });
    assert.equal(row.status, 'pending');
    assert.equal(row.claimedAt, null);
  });

  it('refuses an expired session: 400 page, nothing written, the session reads as failed', async () => {
    const created = await startSession();
    const id = created.body.data.id as string;
    await t.prisma.connectSession.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const before = await t.prisma.connectSession.findUniqueOrThrow({ where: { id } });
    const callbackUrl = await new TestBrowser().authorize(created.body.data.attributes.authorize_url, {
      redirectUri: REDIRECT_URI,
    });
    const count = await secretCount();
    const res = await callback(callbackUrl);
    assertCallbackPage(res, 400);
    assert.equal(await secretCount(), count);
    assert.deepEqual(await t.prisma.connectSession.findUniqueOrThrow({ where: { id } }), before);
    const polled = await getSession(id);
    assert.equal(polled.attributes.status, 'failed');
    assert.match(polled.attributes.error, /expired/);
  });

  it('records a denial (error=access_denied): session failed, 303 with status=error, no secret', async () => {
    const created = await startSession();
    const count = await secretCount();
    const callbackUrl = await new TestBrowser().authorize(created.body.data.attributes.authorize_url, {
      redirectUri: REDIRECT_URI,
      decision: 'deny',
    });
    assert.equal(new URL(callbackUrl).searchParams.get('error'), 'access_denied');
    const res = await callback(callbackUrl);
    assert.equal(res.status, 303, res.text);
    const target = new URL(res.headers.location ?? '');
    assert.equal(target.searchParams.get('status'), 'error');
    assert.equal(target.searchParams.get('connect_session'), created.body.data.id);
    assert.equal(await secretCount(), count);
    const polled = await getSession(created.body.data.id);
    assert.equal(polled.attributes.status, 'failed');
    assert.match(polled.attributes.error, /access_denied/);
    assert.equal(polled.relationships?.['auth-secret']?.data, null);
  });

  it('records a failed code exchange (a code the provider refuses): session failed, status=error, no secret', async () => {
    const created = await startSession();
    const state = new URL(created.body.data.attributes.authorize_url).searchParams.get('state') as string;
    const count = await secretCount();
    const res = track(await http.get(`/v2/oauth/callback?code=not-a-real-code&state=${state}&iss=x`));
    assert.equal(res.status, 303, res.text);
    assert.equal(new URL(res.headers.location ?? '').searchParams.get('status'), 'error');
    assert.equal(await secretCount(), count);
    const polled = await getSession(created.body.data.id);
    assert.equal(polled.attributes.status, 'failed');
    assert.match(polled.attributes.error, /code exchange failed: invalid_grant/);
    assert.doesNotMatch(polled.attributes.error, /not-a-real-code/);
  });

  it('takes an authorization code longer than the 1 KiB query limit of other routes to the provider', async () => {
    const created = await startSession();
    const state = new URL(created.body.data.attributes.authorize_url).searchParams.get('state') as string;
    const longCode = 'c'.repeat(3000);
    const res = track(await http.get(`/v2/oauth/callback?code=${longCode}&state=${state}`));
    // The provider (not the query limit) refuses the unknown code: the session records its answer.
    assert.equal(res.status, 303, res.text);
    assert.equal(new URL(res.headers.location ?? '').searchParams.get('status'), 'error');
    const polled = await getSession(created.body.data.id);
    assert.equal(polled.attributes.status, 'failed');
    assert.match(polled.attributes.error, /code exchange failed: invalid_grant/);
  });

  it('re-authorizes an existing secret in place: same id, new tokens, state ready, error null', async () => {
    assert.ok(completedSecretId, 'the flow above ran');
    const patched = track(
      await http
        .patch(`/v2/workspaces/${workspaceId}/secrets/${completedSecretId}`)
        .set('Authorization', auth)
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'auth-secret',
            id: completedSecretId,
            attributes: { state: 'error', error: 'revoked' },
          },
        }),
    );
    assert.equal(patched.status, 200, patched.text);
    const before = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: completedSecretId } });
    const oldCredentials = (await getSecret(completedSecretId)).attributes.credentials;
    const count = await secretCount();
    const created = await startSession(
      {},
      { 'auth-secret': { data: { type: 'auth-secret', id: completedSecretId } } },
    );
    assert.equal(created.body.data.relationships['auth-secret'].data.id, completedSecretId);
    const callbackUrl = await new TestBrowser().authorize(created.body.data.attributes.authorize_url, {
      redirectUri: REDIRECT_URI,
      login: 'user-2',
    });
    const res = await callback(callbackUrl);
    assert.equal(res.status, 303, res.text);
    assert.equal(new URL(res.headers.location ?? '').searchParams.get('status'), 'success');
    assert.equal(await secretCount(), count, 'no new secret');
    const secret = await getSecret(completedSecretId);
    assert.equal(secret.attributes.state, 'ready');
    assert.equal(secret.attributes.error, null);
    assert.notEqual(secret.attributes.credentials.access_token, oldCredentials.access_token);
    assert.equal((await op.introspect(secret.attributes.credentials.access_token)).active, true);
    const after = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: completedSecretId } });
    assert.equal(after.credentialsVersion, before.credentialsVersion + 1);
    assert.equal(after.name, before.name, 'the name stays');
    const polled = await getSession(created.body.data.id);
    assert.equal(polled.attributes.status, 'completed');
    assert.equal(polled.relationships?.['auth-secret']?.data?.id, completedSecretId);
    const update = await t.prisma.auditEvent.findFirst({
      where: { workspaceId, action: 'auth_secret.update', resourceId: completedSecretId, outcome: 'success' },
      orderBy: { id: 'desc' },
    });
    assert.ok(update, 'auth_secret.update is audited');
    assert.deepEqual((update.details as { changed: string[] }).changed, ['credentials', 'error', 'state']);
  });

  it('lets exactly one of several concurrent callbacks with one state through', async () => {
    const created = await startSession();
    const callbackUrl = await new TestBrowser().authorize(created.body.data.attributes.authorize_url, {
      redirectUri: REDIRECT_URI,
    });
    const count = await secretCount();
    const results = await Promise.all(Array.from({ length: 6 }, () => callback(callbackUrl)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [303, 400, 400, 400, 400, 400]);
    assert.equal(await secretCount(), count + 1);
  });

  it('shows a small escaped page without return_url', async () => {
    const name = `<script>alert("x")</script> & ${marker('n')}`;
    const created = await startSession({ name, return_url: null });
    const callbackUrl = await new TestBrowser().authorize(created.body.data.attributes.authorize_url, {
      redirectUri: REDIRECT_URI,
    });
    const res = await callback(callbackUrl);
    assertCallbackPage(res, 200);
    assert.ok(res.text.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;'), res.text);
    assert.equal((await getSession(created.body.data.id)).attributes.status, 'completed');
  });

  it('runs the flow for a public client (auth_method none): client_id only, PKCE carries it', async () => {
    const publicClient = await createClient(http, auth, tenantId, {
      name: marker('oidc-public'),
      auth_type: 'oauth2',
      oauth2: {
        client_id: op.public.clientId,
        auth_method: 'none',
        token_url: op.tokenUrl,
        authorize_url: op.authorizeUrl,
        scopes: OIDC_SCOPES,
        authorize_params: { prompt: 'consent' },
      },
    });
    const created = track(
      await http
        .post(`/v2/workspaces/${workspaceId}/connect-sessions`)
        .set('Authorization', auth)
        .set('Content-Type', JSONAPI)
        .send({
          data: {
            type: 'connect-session',
            attributes: { name: marker('public'), scopes: ['openid', 'offline_access'] },
            relationships: { 'auth-client': { data: { type: 'auth-client', id: publicClient.id } } },
          },
        }),
    );
    assert.equal(created.status, 201, created.text);
    const authorizeUrl = created.body.data.attributes.authorize_url as string;
    assert.equal(new URL(authorizeUrl).searchParams.get('scope'), 'openid offline_access', 'scopes override');
    const res = await callback(
      await new TestBrowser().authorize(authorizeUrl, { redirectUri: REDIRECT_URI }),
    );
    assertCallbackPage(res, 200);
    const polled = await getSession(created.body.data.id);
    assert.equal(polled.attributes.status, 'completed', polled.attributes.error);
    const secret = await getSecret(polled.relationships?.['auth-secret']?.data?.id as string);
    assert.equal((await op.introspect(secret.attributes.credentials.access_token)).active, true);
  });

  it('never stored or logged the client secret in the clear (the suite-wide scan checks the rest)', () => {
    assert.ok(usedClientSecrets.has(op.confidential.clientSecret));
  });
});
