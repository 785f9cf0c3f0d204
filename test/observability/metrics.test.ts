// GET /metrics (API.md §6, §12): request counts and durations by method, route pattern and status
// class; the process's default metrics; the database pool; the refresher's series. Label values come
// from the route table only: no id, tenant, query string or secret. METRICS_TOKEN guards the scrape.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import {
  type Actor,
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
} from '../support/factories.js';
import { expectError } from '../support/jsonapi-schema.js';
import { secretMarker } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const SECRET_ROUTE = '/v2/workspaces/:workspace/secrets/:id';

/** `name{labels} value` lines of one metric family, as a map from the label text to the value. */
function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

const labels = (method: string, route: string, statusClass: string) =>
  `{method="${method}",route="${route}",status_class="${statusClass}"}`;

async function scrape(t: TestApp, token?: string): Promise<string> {
  const req = request(t.app).get('/metrics');
  const res = await (token ? req.set('Authorization', `Bearer ${token}`) : req);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text;
}

describe('GET /metrics: requests by route, process, pool and refresh series', () => {
  let t: TestApp;
  let admin: Actor;
  let tenantId: string;
  let workspaceId: string;
  let secretId: string;
  let clientSecret: string;

  before(async () => {
    t = await createTestApp({}, { metricsRegistry: createMetricsRegistry() });
    ({ admin, tenantId } = await createTenant(t.prisma));
    workspaceId = await createWorkspace(t.prisma, tenantId, admin.userId);
    const client = await createClient(request(t.app), admin.auth, tenantId);
    // Sent in a query string below: it must not reach a label.
    clientSecret = secretMarker('query-secret');
    const secret = await createSecret(request(t.app), admin.auth, workspaceId, client.id);
    secretId = secret.id;
  });
  after(() => t.close());

  it('counts a mix of requests by method, route pattern and status class, and times them', async () => {
    const before = series(await scrape(t), 'http_requests_total');
    const count = (l: string) => (series_after.get(l) ?? 0) - (before.get(l) ?? 0);
    const get = (path: string, auth = admin.auth) => request(t.app).get(path).set('Authorization', auth);

    for (let i = 0; i < 3; i++) {
      const res = await get(`/v2/workspaces/${workspaceId}/secrets/${secretId}`);
      assert.equal(res.status, 200, res.text);
    }
    expectError(await get(`/v2/workspaces/${workspaceId}/secrets/${randomUUID()}`), 404, 'not_found');
    expectError(await get(`/v2/workspaces/${workspaceId}/secrets/${secretId}`, 'Bearer nope'), 401);
    expectError(await get(`/v2/no-such-thing/${tenantId}?token=${clientSecret}`), 404);
    expectError(await request(t.app).delete('/healthz'), 405, 'method_not_allowed');
    assert.equal((await request(t.app).get('/healthz')).status, 200);

    const text = await scrape(t);
    const series_after = series(text, 'http_requests_total');
    assert.equal(count(labels('GET', SECRET_ROUTE, '2xx')), 3);
    assert.equal(count(labels('GET', SECRET_ROUTE, '4xx')), 2, 'the 404 and the 401 on the secret route');
    assert.equal(count(labels('GET', 'unmatched', '4xx')), 1, 'an unknown path is one label value');
    assert.equal(count(labels('DELETE', '/healthz', '4xx')), 1, 'a 405 keeps the pattern its path fits');
    assert.equal(count(labels('GET', '/healthz', '2xx')), 1);
    assert.ok((series_after.get(labels('GET', '/metrics', '2xx')) ?? 0) >= 1, 'scrapes are counted too');

    const durations = series(text, 'http_request_duration_seconds_count');
    assert.ok((durations.get(labels('GET', SECRET_ROUTE, '2xx')) ?? 0) >= 3);
    const buckets = series(text, 'http_request_duration_seconds_bucket');
    const inf = [...buckets].find(([l]) => l.includes(`route="${SECRET_ROUTE}"`) && l.includes('le="+Inf"'));
    assert.ok(inf && inf[1] >= 3, 'the histogram has buckets up to +Inf');

    // No label value carries an id, a tenant, a query string or a secret: only route patterns.
    const labelValues = [...text.matchAll(/[a-z_]+="([^"]*)"/g)].map((m) => m[1] ?? '');
    for (const value of labelValues) {
      assert.doesNotMatch(value, /[0-9a-f]{8}-[0-9a-f]{4}-/i, `an id in a label: ${value}`);
      assert.ok(
        !value.includes('?') && !value.includes(clientSecret),
        `a query or secret in a label: ${value}`,
      );
    }
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1] ?? ''));
    const known = new Set([...t.routes.map((r) => r.path), '/metrics', 'unmatched']);
    for (const route of routes) assert.ok(known.has(route), `route label outside the route table: ${route}`);
  });

  it('carries the process metrics, the database pool and the refresher', async () => {
    const text = await scrape(t);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds_count',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name.replace(/_count$/, '')} `, 'm'), name);
    }
    for (const name of [
      'db_pool_connections_in_use',
      'db_pool_connections_idle',
      'db_pool_waiting_requests',
    ]) {
      const values = [...series(text, name).values()];
      assert.equal(values.length, 1, name);
      assert.ok(Number.isInteger(values[0]) && (values[0] ?? -1) >= 0, `${name} ${values[0]}`);
    }
    assert.ok((series(text, 'db_pool_connections_idle').get('') ?? 0) >= 1, 'the pool has served queries');
    assert.match(text, /^# TYPE auth_secret_refresh_attempts_total counter$/m);
  });
});

describe('METRICS_TOKEN', () => {
  let t: TestApp;
  const token = secretMarker('credential');

  before(async () => {
    t = await createTestApp({ METRICS_TOKEN: token });
  });
  after(() => t.close());

  it('without it, or with another token or scheme: 401 with a Bearer challenge, no metrics', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Basic ${token}`,
    ]) {
      const req = request(t.app).get('/metrics');
      const res = await (authorization ? req.set('Authorization', authorization) : req);
      const [error] = expectError(res, 401, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.match(error?.detail ?? '', /Bearer METRICS_TOKEN/);
      assert.doesNotMatch(res.text, /http_requests_total/);
      assert.ok(!res.text.includes(token));
    }
  });

  it('with it: the metrics', async () => {
    const text = await scrape(t, token);
    assert.match(text, /^# TYPE http_requests_total counter$/m);
    assert.equal(series(text, 'http_requests_total').get(labels('GET', '/metrics', '4xx')), 4);
  });

  it('must be at least 16 printable characters; the error never echoes it', () => {
    for (const bad of ['short', 'has a space in the middle of it']) {
      assert.throws(
        () => loadConfig({ METRICS_TOKEN: bad }),
        (err: ConfigError) =>
          err instanceof ConfigError && !err.message.includes(bad) && /METRICS_TOKEN/.test(err.message),
      );
    }
  });
});
