// Two real server processes sharing Redis: every limit is one global budget, not one per process.
// Each test uses client addresses of its own (X-Forwarded-For from loopback, TRUST_PROXY=loopback)
// so counters left in the shared Redis by other tests or runs never interfere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { generateKeySpec } from '../../src/crypto/key-ring.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { createTenant } from '../support/factories.js';
import { expectError } from '../support/jsonapi-schema.js';
import { LISTENING_RE, type RunningProcess, startProcess, stopAll } from '../support/processes.js';
import { basicAuth } from '../support/secrets.js';
import { testDatabaseUrl, testRedisUrl } from '../support/test-database.js';
import { randomClientAddress } from './helpers.js';

const PER_KEY = 10;
const PER_IP = 15;
const AUTH_FAILURES = 3;

describe('security: rate limits across two server processes sharing Redis', function () {
  this.timeout(60_000);
  let servers: { process: RunningProcess; url: string }[] = [];
  let prisma: PrismaClient | undefined;

  before(async function () {
    const redisUrl = testRedisUrl();
    if (!redisUrl) {
      // CI always has Redis; locally: eval "$(scripts/test-services.sh start)".
      process.stderr.write('skipped: cross-process rate limits need Redis (TEST_REDIS_URL is not set)\n');
      this.skip();
    }
    prisma = createPrismaClient({ url: testDatabaseUrl(), poolMax: 2 });
    await ensureBuiltInRoles(prisma);
    const env = {
      DATABASE_URL: testDatabaseUrl(),
      DATABASE_POOL_MAX: '3',
      REDIS_URL: redisUrl,
      ENCRYPTION_KEYS: generateKeySpec('rate-limit-test'),
      PORT: '0',
      HOST: '127.0.0.1',
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_PER_KEY_PER_MINUTE: String(PER_KEY),
      RATE_LIMIT_PER_IP_PER_MINUTE: String(PER_IP),
      AUTH_FAILURE_LIMIT_PER_IP_PER_MINUTE: String(AUTH_FAILURES),
    };
    const started = [startProcess('src/server.ts', [], env), startProcess('src/server.ts', [], env)];
    servers = await Promise.all(
      started.map(async (p) => {
        const m = await p.waitFor(LISTENING_RE, 45_000);
        return { process: p, url: `http://127.0.0.1:${m[1]}` };
      }),
    );
  });

  after(async () => {
    // SIGTERM first (a clean shutdown closes Redis and the pool), then make sure.
    await Promise.all(
      servers.map(async ({ process: p }) => {
        p.child.kill('SIGTERM');
        await Promise.race([p.exited(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      }),
    );
    await stopAll();
    await prisma?.$disconnect();
  });

  /** Sends `count` requests alternately to the two servers, one at a time; returns them in order. */
  async function alternate(count: number, send: (url: string) => request.Test): Promise<request.Response[]> {
    const out: request.Response[] = [];
    for (let i = 0; i < count; i++) out.push(await send(servers[i % 2]?.url as string));
    return out;
  }

  it('the per-key limit is global', async () => {
    const { admin } = await createTenant(prisma as PrismaClient);
    const ip = randomClientAddress();
    const responses = await alternate(PER_KEY + 2, (url) =>
      request(url).get('/v2/users/me').set('Authorization', admin.auth).set('X-Forwarded-For', ip),
    );
    const statuses = responses.map((r) => r.status);
    assert.deepEqual(statuses, [...Array(PER_KEY).fill(200), 429, 429], `statuses: ${statuses}`);
    for (const r of responses.slice(PER_KEY)) {
      expectError(r, 429, 'rate_limited');
      assert.match(String(r.headers['retry-after']), /^\d+$/);
    }
  });

  it('the per-address limit is global, and normal traffic under it never sees a 429', async () => {
    const ip = randomClientAddress();
    const responses = await alternate(PER_IP + 2, (url) =>
      request(url).get('/v2/no-such-route').set('X-Forwarded-For', ip),
    );
    const statuses = responses.map((r) => r.status);
    assert.deepEqual(statuses, [...Array(PER_IP).fill(404), 429, 429], `statuses: ${statuses}`);
    assert.match(String(responses[PER_IP]?.headers['retry-after']), /^\d+$/);
    // The health endpoints of both processes still answer that client.
    for (const { url } of servers) {
      assert.equal((await request(url).get('/healthz').set('X-Forwarded-For', ip)).status, 200);
    }
  });

  it('failed authentications on one process block the address on the other', async () => {
    const { admin } = await createTenant(prisma as PrismaClient);
    const ip = randomClientAddress();
    const [first, second] = servers.map((s) => s.url) as [string, string];
    for (let i = 0; i < AUTH_FAILURES; i++) {
      const res = await request(first)
        .get('/v2/users/me')
        .set('X-Forwarded-For', ip)
        .set('Authorization', basicAuth(admin.email, `${admin.apiKey.slice(0, -4)}AAAA`));
      expectError(res, 401, 'unauthorized');
    }
    const blocked = await request(second)
      .get('/v2/users/me')
      .set('X-Forwarded-For', ip)
      .set('Authorization', admin.auth);
    expectError(blocked, 429, 'too_many_authentication_failures');
    assert.match(String(blocked.headers['retry-after']), /^\d+$/);
    // Another address is not affected.
    const other = await request(second)
      .get('/v2/users/me')
      .set('X-Forwarded-For', randomClientAddress())
      .set('Authorization', admin.auth);
    assert.equal(other.status, 200, other.text);
  });
});
