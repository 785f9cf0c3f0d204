// Rate limiting in one process (in-memory counters): per API key, per client address, failed
// authentications per address; Retry-After; health endpoints never limited; fail open.
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { after, describe, it } from 'mocha';
import request from 'supertest';
import { createApiKey, createTenant } from '../support/factories.js';
import { expectError } from '../support/jsonapi-schema.js';
import { basicAuth } from '../support/secrets.js';
import { capturedLogs, createTestApp, type TestApp } from '../support/test-app.js';
import { logLinesSince, waitForLogLine } from './helpers.js';

function assertRetryAfter(res: request.Response): number {
  const value = res.headers['retry-after'];
  assert.match(String(value), /^\d+$/, `Retry-After in whole seconds, got ${value}`);
  const seconds = Number(value);
  assert.ok(seconds >= 1 && seconds <= 60, `Retry-After ${seconds} within the 60 s window`);
  return seconds;
}

describe('security: rate limits (one process)', () => {
  const apps: TestApp[] = [];
  const open = async (env: Record<string, string>) => {
    const t = await createTestApp(env);
    apps.push(t);
    return t;
  };
  after(async () => {
    await Promise.all(apps.map((t) => t.close()));
  });

  it('limits requests per API key: 429 with Retry-After, other keys unaffected', async () => {
    const t = await open({ RATE_LIMIT_PER_KEY_PER_MINUTE: '5' });
    const { admin } = await createTenant(t.prisma);
    for (let i = 0; i < 5; i++) {
      const res = await request(t.app).get('/v2/users/me').set('Authorization', admin.auth);
      assert.equal(res.status, 200, res.text);
    }
    const from = capturedLogs.length;
    const limited = await request(t.app).get('/v2/users/me').set('Authorization', admin.auth);
    const [error] = expectError(limited, 429, 'rate_limited');
    assert.match(String(error?.detail), /API key/);
    assertRetryAfter(limited);
    // The request log line of the refused request still names the actor.
    const line = await waitForLogLine(from, (l) => (l.res as { statusCode?: number })?.statusCode === 429);
    assert.equal((line.actor as { user_id?: string })?.user_id, admin.userId);
    // Another key of the same user has a budget of its own.
    const second = await createApiKey(t.prisma, admin.userId);
    const other = await request(t.app)
      .get('/v2/users/me')
      .set('Authorization', basicAuth(admin.email, second));
    assert.equal(other.status, 200, other.text);
  });

  it('limits requests per client address, but never /healthz and /readyz', async () => {
    const t = await open({ RATE_LIMIT_PER_IP_PER_MINUTE: '4' });
    for (let i = 0; i < 4; i++) {
      expectError(await request(t.app).get('/v2/no-such-route'), 404, 'route_not_found');
    }
    const limited = await request(t.app).get('/v2/no-such-route');
    const [error] = expectError(limited, 429, 'rate_limited');
    assert.match(String(error?.detail), /client address/);
    assertRetryAfter(limited);
    for (const path of ['/healthz', '/readyz', '/healthz/', '/HEALTHZ']) {
      assert.equal((await request(t.app).get(path)).status, 200, path);
    }
  });

  it('never answers 429 to normal traffic under the default limits', async () => {
    const t = await open({});
    const { admin, tenantId } = await createTenant(t.prisma);
    const statuses = new Map<number, number>();
    const paths = ['/v2/users/me', `/v2/tenants/${tenantId}`, '/v2/permissions', '/healthz'];
    // 300 requests, 10 at a time: well above what one client does in a few seconds.
    for (let batch = 0; batch < 30; batch++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(t.app)
            .get(paths[(batch + i) % paths.length] as string)
            .set('Authorization', admin.auth),
        ),
      );
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    assert.deepEqual([...statuses.keys()], [200], `statuses seen: ${JSON.stringify([...statuses])}`);
  });

  it('blocks a client address after too many failed authentications, even with right credentials', async () => {
    const t = await open({ AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE: '3' });
    const { admin } = await createTenant(t.prisma);
    const from = capturedLogs.length;
    // Requests without credentials guess nothing and are not counted.
    for (let i = 0; i < 5; i++) expectError(await request(t.app).get('/v2/users/me'), 401, 'unauthorized');
    assert.equal(
      (await request(t.app).get('/v2/users/me').set('Authorization', admin.auth)).status,
      200,
      'not blocked by requests without credentials',
    );
    const wrong = [
      basicAuth('nobody@example.test', admin.apiKey), // unknown email, valid key
      basicAuth(admin.email, `${admin.apiKey.slice(0, -4)}AAAA`), // wrong secret
      basicAuth(admin.email, `ask_${'0'.repeat(32)}_${'A'.repeat(43)}`), // unknown key id
    ];
    for (const header of wrong) {
      expectError(await request(t.app).get('/v2/users/me').set('Authorization', header), 401, 'unauthorized');
    }
    const blocked = await request(t.app).get('/v2/users/me').set('Authorization', admin.auth);
    expectError(blocked, 429, 'too_many_authentication_failures');
    assertRetryAfter(blocked);
    // Health checks still answer.
    assert.equal((await request(t.app).get('/healthz')).status, 200);

    const warnings = logLinesSince(from).filter((l) => l.event === 'authentication_failed');
    assert.deepEqual(
      warnings.map((w) => w.reason),
      [
        ...Array(5).fill('missing_credentials'),
        'invalid_credentials',
        'invalid_credentials',
        'invalid_credentials',
      ],
    );
    for (const w of warnings) {
      assert.equal(w.level, 40, 'warn level');
      assert.equal(typeof w.request_id, 'string');
      assert.match(String(w.client_ip), /127\.0\.0\.1|::1/);
      assert.equal(w.route, '/v2/users/me');
      const text = JSON.stringify(w);
      for (const needle of [admin.email, 'nobody@example.test', admin.apiKey, admin.apiKey.slice(-43)]) {
        assert.ok(!text.includes(needle), `the warning must not contain ${needle}`);
      }
    }
  });

  it('limits by the forwarded client address only behind a trusted proxy (TRUST_PROXY)', async () => {
    const trusted = await open({ RATE_LIMIT_PER_IP_PER_MINUTE: '2', TRUST_PROXY: 'loopback' });
    const get = (app: typeof trusted.app, ip: string) =>
      request(app).get('/v2/no-such-route').set('X-Forwarded-For', ip);
    assert.equal((await get(trusted.app, '198.51.100.7')).status, 404);
    assert.equal((await get(trusted.app, '198.51.100.7')).status, 404);
    assert.equal((await get(trusted.app, '198.51.100.7')).status, 429);
    assert.equal((await get(trusted.app, '198.51.100.8')).status, 404, 'another address has its own budget');
    // One IPv6 /64 is one client.
    assert.equal((await get(trusted.app, '2001:db8:1:2::1')).status, 404);
    assert.equal((await get(trusted.app, '2001:db8:1:2::ffff')).status, 404);
    assert.equal((await get(trusted.app, '2001:db8:1:2:abcd::1')).status, 429);

    // Not trusted (the default): X-Forwarded-For is client input and ignored.
    const direct = await open({ RATE_LIMIT_PER_IP_PER_MINUTE: '2' });
    assert.equal((await get(direct.app, '198.51.100.1')).status, 404);
    assert.equal((await get(direct.app, '198.51.100.2')).status, 404);
    assert.equal((await get(direct.app, '198.51.100.3')).status, 429);
  });

  it('fails open with a warning when Redis is unreachable', async () => {
    const t = await open({});
    // A client that never connects: nothing listens on port 1 and it does not retry.
    const redis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    let withRedis: TestApp | undefined;
    try {
      withRedis = await createTestApp(
        {
          RATE_LIMIT_PER_IP_PER_MINUTE: '1',
          RATE_LIMIT_PER_KEY_PER_MINUTE: '1',
          AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE: '1',
        },
        { redis },
      );
      const { app } = withRedis;
      const { admin } = await createTenant(t.prisma);
      const from = capturedLogs.length;
      for (let i = 0; i < 3; i++) {
        expectError(await request(app).get('/v2/users/me').set('Authorization', 'Bearer nope'), 401);
        const res = await request(app).get('/v2/users/me').set('Authorization', admin.auth);
        assert.equal(res.status, 200, res.text);
      }
      const warnings = logLinesSince(from).filter((l) => String(l.msg).includes('fail open'));
      assert.equal(warnings.length, 1, 'one warning, not one per request');
      assert.equal(warnings[0]?.level, 40);
    } finally {
      await withRedis?.close();
      redis.disconnect();
    }
  });
});
