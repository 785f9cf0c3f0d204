// Limits on everything a client controls: body size, JSON depth, query parameters; security
// headers; the configuration of these limits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { loadConfig } from '../../src/config/config.js';
import { clientAddressKey } from '../../src/security/client-address.js';
import {
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  MAX_QUERY_PARAMETERS,
  MAX_QUERY_VALUE_LENGTH,
} from '../../src/security/request-limits.js';
import { createTenant } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

describe('security: request limits', () => {
  let t: TestApp;
  let auth: string;
  let tenantId: string;

  before(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: '4096' });
    const tenant = await createTenant(t.prisma);
    auth = tenant.admin.auth;
    tenantId = tenant.tenantId;
  });
  after(async () => {
    await t.close();
  });

  const postWorkspace = (body: string) =>
    request(t.app)
      .post(`/v2/tenants/${tenantId}/workspaces`)
      .set('Authorization', auth)
      .set('Content-Type', 'application/vnd.api+json')
      .send(body);

  describe('JSON bodies', () => {
    it('measures depth iteratively, objects and arrays alike', () => {
      assert.equal(jsonDepthExceeds({}, 1), false);
      assert.equal(jsonDepthExceeds({ a: {} }, 1), true);
      assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH), false);
      assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH), true);
      assert.equal(jsonDepthExceeds(nested(200_000), MAX_JSON_DEPTH), true, 'no stack overflow');
    });

    it('rejects a body nested deeper than the limit with 400 before validation', async () => {
      const deep = { data: { type: 'workspace', attributes: { name: 'x', extra: nested(MAX_JSON_DEPTH) } } };
      expectError(await postWorkspace(JSON.stringify(deep)), 400, 'json_too_deep');
      // Far deeper, still within the body size limit: a 400, never a 500.
      const n = 2000;
      expectError(await postWorkspace(`${'['.repeat(n)}${']'.repeat(n)}`), 400, 'json_too_deep');
    });

    it('lets an ordinary body through to validation', async () => {
      const shallow = { data: { type: 'workspace', attributes: { name: 'x', extra: nested(3) } } };
      // Validation answers (the extra member is not allowed), not the depth limit.
      expectError(await postWorkspace(JSON.stringify(shallow)), 422, 'unknown_member');
    });

    it('rejects a body over BODY_LIMIT_BYTES with 413', async () => {
      const big = JSON.stringify({ data: { type: 'workspace', attributes: { name: 'x'.repeat(5000) } } });
      expectError(await postWorkspace(big), 413, 'payload_too_large');
    });
  });

  describe('query parameters', () => {
    it(`rejects more than ${MAX_QUERY_PARAMETERS} parameters`, async () => {
      const query = Array.from({ length: MAX_QUERY_PARAMETERS + 1 }, (_, i) => `p${i}=1`).join('&');
      expectError(
        await request(t.app).get(`/v2/permissions?${query}`).set('Authorization', auth),
        400,
        'too_many_query_parameters',
      );
      // At the limit, the route's own rules apply (here: unknown parameters).
      const atLimit = Array.from({ length: MAX_QUERY_PARAMETERS }, (_, i) => `p${i}=1`).join('&');
      expectError(
        await request(t.app).get(`/v2/permissions?${atLimit}`).set('Authorization', auth),
        400,
        'unknown_query_parameter',
      );
    });

    it(`rejects a value longer than ${MAX_QUERY_VALUE_LENGTH} characters, naming the parameter`, async () => {
      const long = 'a'.repeat(MAX_QUERY_VALUE_LENGTH + 1);
      const [error] = expectError(
        await request(t.app)
          .get(`/v2/tenants/${tenantId}/workspaces?filter%5Bname%5D=${long}`)
          .set('Authorization', auth),
        400,
        'query_parameter_too_long',
      );
      assert.equal(error?.source?.parameter, 'filter[name]');
      // Percent-encoding does not count against the limit.
      const encoded = encodeURIComponent('é'.repeat(MAX_QUERY_VALUE_LENGTH / 2));
      const res = await request(t.app)
        .get(`/v2/tenants/${tenantId}/workspaces?filter[name]=${encoded}`)
        .set('Authorization', auth);
      assert.ok(
        expectError(res, 400).every((e) => e.code !== 'query_parameter_too_long'),
        'within the limit once decoded',
      );
    });
  });

  it('sends the security headers, Strict-Transport-Security included, on every response', async () => {
    for (const res of [
      await request(t.app).get('/healthz'),
      await request(t.app).get('/v2/users/me').set('Authorization', auth),
      await request(t.app).get('/v2/users/me'),
    ]) {
      assertJsonApiResponse(res);
      assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  describe('configuration', () => {
    it('has defaults high enough for normal traffic, and validates the variables', () => {
      const c = loadConfig({});
      assert.equal(c.rateLimitPerKeyPerMinute, 6000);
      assert.equal(c.rateLimitPerIpPerMinute, 12000);
      assert.equal(c.authFailureLimitPerIpPerMinute, 50);
      assert.equal(c.trustProxy, undefined);
      assert.equal(c.headersTimeoutMs, 20000);
      assert.equal(c.keepAliveTimeoutMs, 65000);
      assert.equal(loadConfig({ RATE_LIMIT_PER_KEY_PER_MINUTE: '0' }).rateLimitPerKeyPerMinute, 0);
      assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
      assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).trustProxy, [
        'loopback',
        '10.0.0.0/8',
        'fd00::/8',
      ]);
      for (const [name, value] of [
        ['RATE_LIMIT_PER_IP_PER_MINUTE', '-1'],
        ['AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE', 'many'],
        ['TRUST_PROXY', 'true'],
        ['TRUST_PROXY', '10.0.0.0/33'],
        ['TRUST_PROXY', '1,2'],
        ['HEADERS_TIMEOUT_MS', '10'],
      ] as const) {
        assert.throws(() => loadConfig({ [name]: value }), new RegExp(name), `${name}=${value}`);
      }
    });
  });

  it('keys client addresses: IPv4 alone, IPv4-mapped as IPv4, IPv6 by /64', () => {
    assert.equal(clientAddressKey('203.0.113.9'), '203.0.113.9');
    assert.equal(clientAddressKey('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(clientAddressKey('2001:db8:a:b:c:d:e:f'), '2001:db8:a:b::/64');
    assert.equal(clientAddressKey('2001:DB8:A:B::1'), '2001:db8:a:b::/64');
    assert.equal(clientAddressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientAddressKey('::1'), '0:0:0:0::/64');
    assert.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientAddressKey(undefined), 'unknown');
    assert.equal(clientAddressKey('not an address'), 'unknown');
  });
});
