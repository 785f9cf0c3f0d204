// A failed authentication must not reveal whether the email (or the key id) exists: not in the
// response, not in the work done, not in the time taken. The deterministic guard is the first
// test (identical database work); the timing test only catches gross differences (a slow hash on
// one path, an extra query per request on a remote database), with a bound a loaded 2-core
// machine cannot break.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import pg from 'pg';
import request from 'supertest';
import { AuthenticationError, createAuthenticator } from '../../src/auth/authenticator.js';
import type { Sql, Statement } from '../../src/db/prisma-client.js';
import { type Actor, createTenant } from '../support/factories.js';
import { basicAuth } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { testDatabaseUrl } from '../support/test-database.js';

function failureCases(admin: Actor): Record<string, string> {
  return {
    'unknown email + valid key': basicAuth('nobody-at-all@example.test', admin.apiKey),
    'known email + wrong secret': basicAuth(admin.email, `${admin.apiKey.slice(0, -4)}AAAA`),
    'unknown key id': basicAuth(admin.email, `ask_${'0'.repeat(32)}_${admin.apiKey.slice(-43)}`),
  };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe('security: failed authentication reveals nothing', () => {
  let t: TestApp;
  let admin: Actor;

  before(async () => {
    // No failure limit here: this suite fails authentication on purpose, many times.
    t = await createTestApp({ AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE: '0' });
    ({ admin } = await createTenant(t.prisma));
  });
  after(async () => {
    await t.close();
  });

  it('does the same database work for an unknown email, a wrong secret and an unknown key id', async () => {
    const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 1 });
    try {
      // Every statement the authenticator sends, with its parameter types (not values).
      const queries: string[] = [];
      const recording: Sql = {
        query: <Row extends object>(statement: Statement) => {
          const types = statement.values.map((v) => (Array.isArray(v) ? `array(${v.length})` : typeof v));
          queries.push(`${statement.name} ${statement.text} ${JSON.stringify(types)}`);
          return pool.query(statement) as unknown as Promise<{ rows: Row[] }>;
        },
      };
      const authenticate = createAuthenticator(recording);
      const work: Record<string, { queries: string[]; reason: string }> = {};
      for (const [name, header] of Object.entries({
        'valid credentials': admin.auth,
        ...failureCases(admin),
      })) {
        queries.length = 0;
        const reason = await authenticate(header).then(
          () => 'authenticated',
          (err: unknown) => (err instanceof AuthenticationError ? err.reason : String(err)),
        );
        work[name] = { queries: [...queries], reason };
      }
      const expected = work['valid credentials']?.queries;
      assert.equal(expected?.length, 1, 'one query: the key and its user by key id');
      for (const name of Object.keys(failureCases(admin))) {
        assert.deepEqual(work[name], { queries: expected, reason: 'invalid_credentials' }, name);
      }
    } finally {
      await pool.end();
    }
  });

  it('answers every failure with the same document', async () => {
    const bodies = new Set<string>();
    for (const header of Object.values(failureCases(admin))) {
      const res = await request(t.app).get('/v2/users/me').set('Authorization', header);
      assert.equal(res.status, 401);
      bodies.add(JSON.stringify({ body: res.body, auth: res.headers['www-authenticate'] }));
    }
    assert.equal(bodies.size, 1);
  });

  it('takes about as long for each kind of failure (medians of 50, interleaved)', async function () {
    this.timeout(30_000);
    const cases = Object.entries(failureCases(admin));
    const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    const once = async (header: string) => {
      const started = process.hrtime.bigint();
      const res = await request(t.app).get('/v2/users/me').set('Authorization', header);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(res.status, 401);
      return ms;
    };
    for (const [, header] of cases) for (let i = 0; i < 5; i++) await once(header); // warm-up
    // Round-robin with a rotating start: load on the machine hits every case alike.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < cases.length; i++) {
        const [name, header] = cases[(round + i) % cases.length] as [string, string];
        samples.get(name)?.push(await once(header));
      }
    }
    const medians = Object.fromEntries([...samples].map(([name, xs]) => [name, median(xs)]));
    const values = Object.values(medians);
    const fastest = Math.min(...values);
    const slowest = Math.max(...values);
    // Generous: a 10 ms cushion plus 100 % of the fastest median. A password hash on one path
    // (tens of ms) or a second round trip to a remote database would still stand out.
    assert.ok(slowest <= 2 * fastest + 10, `medians (ms): ${JSON.stringify(medians)}`);
  });
});
