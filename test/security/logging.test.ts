// Request logs: one structured line per request with request id, actor, route pattern, status and
// latency; credentials, Authorization headers and client secrets never reach any log line, wherever
// the client put them (headers, query string, body).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { parseApiKey } from '../../src/auth/api-key-token.js';
import { type Actor, createTenant, createWorkspace } from '../support/factories.js';
import { basicAuth, marker, secretMarker } from '../support/secrets.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';
import { waitForLogLine } from './helpers.js';

describe('security: request logging', () => {
  let t: TestApp;
  let admin: Actor;
  let tenantId: string;

  before(async () => {
    t = await createTestApp({ RATE_LIMIT_PER_KEY_PER_MINUTE: '20' });
    ({ admin, tenantId } = await createTenant(t.prisma));
  });
  after(async () => {
    await t.close();
  });

  it('writes request id, actor, route pattern, status and latency', async () => {
    const requestId = marker('req');
    const from = capturedLogs.length;
    const res = await request(t.app)
      .get(`/v2/tenants/${tenantId}?fields[tenant]=name`)
      .set('Authorization', admin.auth)
      .set('X-Request-Id', requestId);
    assert.equal(res.status, 200, res.text);
    const line = await waitForLogLine(from, (l) => (l.req as { id?: string })?.id === requestId);
    assert.deepEqual(line.req, { id: requestId, method: 'GET', url: `/v2/tenants/${tenantId}` });
    assert.equal(line.route, '/v2/tenants/:tenant');
    assert.deepEqual(line.actor, { user_id: admin.userId, api_key_id: parseApiKey(admin.apiKey)?.keyId });
    assert.deepEqual(line.res, { statusCode: 200 });
    assert.equal(typeof line.responseTime, 'number');
    assert.equal(line.service, 'auth-secrets');

    // Unauthenticated and unmatched requests: no actor, no route, same shape otherwise.
    const anonymousId = marker('req');
    await request(t.app).get('/v2/nowhere').set('X-Request-Id', anonymousId);
    const anonymous = await waitForLogLine(from, (l) => (l.req as { id?: string })?.id === anonymousId);
    assert.equal(anonymous.actor, undefined);
    assert.equal(anonymous.route, undefined);
    assert.deepEqual(anonymous.res, { statusCode: 404 });
  });

  it('never logs credentials, Authorization headers or secrets, wherever they are sent', async () => {
    const from = capturedLogs.length;
    const secrets = {
      header: secretMarker('header-secret'),
      query: secretMarker('query-secret'),
      clientSecret: secretMarker('client-secret'),
      accessToken: secretMarker('access-token'),
      refreshToken: secretMarker('refresh-token'),
      password: secretMarker('password'),
      ghostEmail: `${marker('ghost')}@example.test`,
    };
    const keySecret = admin.apiKey.slice(-43);
    const workspaceId = await createWorkspace(t.prisma, tenantId, admin.userId);
    const send = (method: 'get' | 'post', path: string, auth?: string) => {
      const r = request(t.app)
        [method](path)
        .set('X-Api-Key', secrets.header)
        .set('Cookie', `s=${secrets.header}`);
      return auth ? r.set('Authorization', auth) : r;
    };

    // In headers and the query string (credentials included), on a successful request.
    await send(
      'get',
      `/v2/tenants/${tenantId}/workspaces?filter[name]=${secrets.query}&api_key=${admin.apiKey}`,
      admin.auth,
    );
    await send('get', '/v2/users/me', `Bearer ${admin.apiKey}`);
    // In bodies: an auth-client's secret, an auth-secret's credentials, an API key.
    const client = await send('post', `/v2/tenants/${tenantId}/auth-clients`, admin.auth)
      .set('Content-Type', 'application/vnd.api+json')
      .send({
        data: {
          type: 'auth-client',
          attributes: {
            name: marker('client'),
            auth_type: 'oauth2',
            oauth2: {
              client_id: marker('client-id'),
              client_secret: secrets.clientSecret,
              token_url: 'https://auth.example.test/oauth/token',
            },
          },
        },
      });
    assert.ok(client.status < 500, client.text);
    const secret = await send('post', `/v2/workspaces/${workspaceId}/secrets`, admin.auth)
      .set('Content-Type', 'application/json')
      .send({
        data: {
          type: 'auth-secret',
          attributes: {
            name: marker('secret'),
            state: 'ready',
            credentials: {
              access_token: secrets.accessToken,
              refresh_token: secrets.refreshToken,
              expires_in: 3600,
            },
          },
          relationships: {
            'auth-client': { data: { type: 'auth-client', id: client.body?.data?.id ?? 'x' } },
          },
        },
      });
    assert.ok(secret.status < 500, secret.text);
    const keyInBody = await send('post', `/v2/tenants/${tenantId}/workspaces`, admin.auth)
      .set('Content-Type', 'application/json')
      .send({ data: { type: 'workspace', attributes: { name: marker('ws'), api_key: admin.apiKey } } });
    assert.equal(keyInBody.status, 422, keyInBody.text);
    // Failed authentications: unknown email with a password-like secret, a wrong secret, a malformed header.
    const failures = [
      basicAuth(secrets.ghostEmail, secrets.password),
      basicAuth(secrets.ghostEmail, admin.apiKey),
      basicAuth(admin.email, `${admin.apiKey.slice(0, -4)}AAAA`),
      `Bearer ${secrets.password}`,
    ];
    for (const auth of failures) assert.equal((await send('get', '/v2/users/me', auth)).status, 401);
    // Rate limited with valid credentials (limit 20 per key in this app).
    let limited = 0;
    for (let i = 0; i < 25 && limited === 0; i++) {
      if ((await send('get', '/v2/users/me', admin.auth)).status === 429) limited += 1;
    }
    assert.equal(limited, 1, 'reached the per-key limit');

    // Wait for the last request's log line, then scan everything logged in this process so far.
    await waitForLogLine(from, (l) => (l.res as { statusCode?: number })?.statusCode === 429);
    const needles = [
      ...Object.values(secrets),
      admin.auth,
      admin.auth.slice('Basic '.length),
      admin.apiKey,
      keySecret,
      ...failures,
      ...failures.map((f) => f.slice(f.indexOf(' ') + 1)),
    ];
    const logText = capturedLogs.join('');
    const leaks = needles.filter((n) => logText.includes(n));
    assert.deepEqual(leaks, [], 'secrets found in the logs');
    // The failures were logged, by category only.
    assert.ok(capturedLogs.slice(from).join('').includes('"event":"authentication_failed"'));
  });
});
