import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import pg from 'pg';
import { testDatabaseUrl, testRedisUrl } from './test-database.js';

describe('test database (global setup)', () => {
  it('provides a migrated database to connect to', async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string }>('select current_database() as db');
      if (process.env.TEST_DATABASE_URL) assert.match(rows[0]?.db ?? '', /^test_\d+_[0-9a-f]{8}$/);
    } finally {
      await client.end();
    }
  });

  it('provides TEST_REDIS_URL when a Redis is available', async function () {
    const url = testRedisUrl();
    if (!url) this.skip();
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      assert.equal(await redis.ping(), 'PONG');
    } finally {
      redis.disconnect();
    }
  });
});
