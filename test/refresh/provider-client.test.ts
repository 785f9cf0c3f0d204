import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, it } from 'mocha';
import {
  createProviderClient,
  parseTokenResponse,
  type RefreshGrantRequest,
  silenceSimpleOauth2Debug,
} from '../../src/refresh/provider-client.js';
import { ProviderError } from '../../src/refresh/provider-error.js';
import { OAuthTestServer } from '../support/oauth-server.js';

describe('refresh: provider client (simple-oauth2 against a real token endpoint)', () => {
  let provider: OAuthTestServer;
  const client = createProviderClient({ timeoutMs: 800, allowLoopback: true });
  const request = (
    refreshToken: string,
    overrides: Partial<RefreshGrantRequest> = {},
  ): RefreshGrantRequest => ({
    tokenUrl: provider.tokenUrl,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    authMethod: 'client_secret_basic',
    refreshToken,
    ...overrides,
  });
  const failure = async (promise: Promise<unknown>): Promise<ProviderError> => {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof ProviderError, String(err));
      return err;
    }
    assert.fail('expected a ProviderError');
  };

  before(async () => {
    provider = await OAuthTestServer.start();
  });
  beforeEach(() => provider.reset());
  after(async () => {
    await provider.close();
  });

  it('renews with client_secret_basic, form-encoding the credentials (RFC 6749 §2.3.1)', async () => {
    const { refreshToken } = provider.grant();
    const before = Date.now();
    const tokens = await client.refresh(request(refreshToken));
    assert.equal(provider.lastAuthMethod, 'client_secret_basic');
    assert.match(tokens.accessToken, /^at_/);
    assert.match(tokens.refreshToken ?? '', /^rt_/);
    const expires = tokens.expiresAt?.getTime() ?? 0;
    assert.ok(expires >= before + 3600_000 && expires <= Date.now() + 3600_000);
  });

  it('renews with client_secret_post', async () => {
    const { refreshToken } = provider.grant();
    await client.refresh(request(refreshToken, { authMethod: 'client_secret_post' }));
    assert.equal(provider.lastAuthMethod, 'client_secret_post');
  });

  it('reports no refresh token when the provider does not rotate', async () => {
    provider.set({ rotate: false, tokenType: 'BEARER', expiresIn: null });
    const { refreshToken } = provider.grant();
    const tokens = await client.refresh(request(refreshToken));
    assert.equal(tokens.refreshToken, undefined);
    assert.equal(tokens.expiresAt, null);
  });

  it('classifies invalid_grant and invalid_client as rejections with a safe detail', async () => {
    const { refreshToken } = provider.grant();
    provider.revoke(refreshToken);
    const e = await failure(client.refresh(request(refreshToken)));
    assert.equal(e.kind, 'rejected');
    assert.equal(e.oauthError, 'invalid_grant');
    assert.match(e.detail, /^invalid_grant: The refresh token is invalid/);
    assert.ok(!e.detail.includes(refreshToken));
    const bad = await failure(
      client.refresh(request(provider.grant().refreshToken, { clientSecret: 'wrong' })),
    );
    assert.equal(bad.kind, 'rejected');
    assert.equal(bad.status, 401);
  });

  it('classifies 5xx (JSON or HTML), 429 and non-OAuth 4xx as provider errors', async () => {
    const { refreshToken } = provider.grant();
    for (const fail of [
      { status: 503 },
      { status: 500, body: '<html>oops</html>', contentType: 'text/html' },
      { status: 429, body: { error: 'slow_down' } },
      { status: 404, body: 'Not found', contentType: 'text/plain' },
      { status: 400, body: { error: 'temporarily_unavailable' } },
    ]) {
      provider.set({ fail });
      const e = await failure(client.refresh(request(refreshToken)));
      assert.equal(e.kind, 'provider_error', JSON.stringify(fail));
      assert.equal(e.status, fail.status);
    }
  });

  it('times out within the configured bound', async () => {
    provider.set({ hang: true });
    const started = Date.now();
    const e = await failure(client.refresh(request(provider.grant().refreshToken)));
    assert.equal(e.kind, 'timeout');
    assert.ok(Date.now() - started < 800 + 500, `took ${Date.now() - started} ms`);
  });

  it('does not follow redirects, and bounds the response size', async () => {
    const { refreshToken } = provider.grant();
    provider.set({ redirectTo: `${provider.tokenUrl}?again=1` });
    const redirected = await failure(client.refresh(request(refreshToken)));
    assert.equal(redirected.kind, 'invalid_response');
    assert.match(redirected.detail, /redirect/);
    assert.equal(provider.totalCalls, 1, 'the redirect target was not called');
    provider.set({ redirectTo: undefined, hugeBody: true });
    const huge = await failure(client.refresh(request(refreshToken)));
    assert.equal(huge.kind, 'invalid_response');
    assert.match(huge.detail, /64 KiB/);
  });

  it('reports an unreachable provider and a blocked token URL', async () => {
    const closed = await OAuthTestServer.start();
    const url = closed.tokenUrl;
    await closed.close();
    const e = await failure(client.refresh(request('rt', { tokenUrl: url })));
    assert.equal(e.kind, 'unreachable');
    const blocked = await failure(client.refresh(request('rt', { tokenUrl: 'https://10.1.2.3/token' })));
    assert.equal(blocked.kind, 'blocked');
    const strict = createProviderClient({ timeoutMs: 800, allowLoopback: false });
    const noLoopback = await failure(strict.refresh(request('rt')));
    assert.equal(noLoopback.kind, 'blocked');
    assert.equal(provider.totalCalls, 0);
  });

  it('validates token responses and computes expires_at from the moment of the response', () => {
    const at = Date.UTC(2026, 0, 1);
    const ok = parseTokenResponse({ access_token: 'a', token_type: 'bEaReR', expires_in: '120' }, at);
    assert.equal(ok.expiresAt?.getTime(), at + 120_000);
    assert.equal(ok.refreshToken, undefined);
    assert.equal(
      parseTokenResponse({ access_token: 'a', expires_in: 59.9 }, at).expiresAt?.getTime(),
      at + 59_000,
    );
    for (const bad of [
      {},
      { access_token: '' },
      { access_token: 5 },
      { access_token: 'a', expires_in: -1 },
      { access_token: 'a', expires_in: 'soon' },
      { access_token: 'a', refresh_token: 7 },
      { access_token: 'a', token_type: 3 },
    ]) {
      assert.throws(
        () => parseTokenResponse(bad, at),
        (e: unknown) => (e as ProviderError).kind === 'invalid_response',
      );
    }
  });

  it("never lets simple-oauth2's debug output (Authorization header, secrets) be enabled", () => {
    const fromLibrary = createRequire(createRequire(import.meta.url).resolve('simple-oauth2'));
    const debug = fromLibrary('debug') as {
      enable(ns: string): void;
      disable(): string;
      enabled(ns: string): boolean;
    };
    const before = debug.disable();
    try {
      debug.enable('simple-oauth2:*,other:*');
      silenceSimpleOauth2Debug();
      assert.equal(debug.enabled('simple-oauth2:request-options'), false);
      assert.equal(debug.enabled('other:thing'), true, 'other namespaces are untouched');
    } finally {
      debug.disable();
      if (before) debug.enable(before);
    }
  });
});
