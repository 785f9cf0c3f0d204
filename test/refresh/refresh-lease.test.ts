import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'mocha';
import { CoordinationError, redisCoordinator, type SharedOutcome } from '../../src/refresh/refresh-lease.js';
import { SingleFlight } from '../../src/refresh/single-flight.js';
import { testRedisUrl } from '../support/test-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('refresh: in-process single flight', () => {
  it('shares one call per key while it runs, and starts afresh afterwards', async () => {
    const flights = new SingleFlight<string, number>();
    let calls = 0;
    const work = async () => {
      calls += 1;
      await sleep(30);
      return calls;
    };
    const runs = Array.from({ length: 20 }, () => flights.run('a', work));
    const other = flights.run('b', work);
    assert.deepEqual(
      runs.map((r) => r.joined),
      [false, ...Array(19).fill(true)],
    );
    const values = await Promise.all(runs.map((r) => r.promise));
    assert.ok(values.every((v) => v === values[0]));
    await other.promise;
    assert.equal(calls, 2);
    assert.equal(flights.size, 0);
    await flights.run('a', work).promise;
    assert.equal(calls, 3);
  });

  it('shares a failure with every joined caller and forgets it', async () => {
    const flights = new SingleFlight<string, number>();
    const failing = async () => {
      await sleep(10);
      throw new Error('boom');
    };
    const results = await Promise.allSettled([
      flights.run('k', failing).promise,
      flights.run('k', failing).promise,
    ]);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(flights.size, 0);
  });
});

describe('refresh: Redis lease (cross-process single flight)', () => {
  const url = testRedisUrl();
  let a: Redis;
  let b: Redis;
  const prefix = `test-${randomBytes(4).toString('hex')}:`;

  before(function () {
    if (!url) this.skip();
    a = new Redis(url as string);
    b = new Redis(url as string);
  });
  after(async () => {
    await a?.quit();
    await b?.quit();
  });

  it('one owner does the work; a waiter elsewhere gets its outcome, not an error', async () => {
    const ca = redisCoordinator(a, { leaseTtlMs: 2000, keyPrefix: prefix, pollMs: 10 });
    const cb = redisCoordinator(b, { leaseTtlMs: 2000, keyPrefix: prefix, pollMs: 10 });
    let calls = 0;
    const work = async (): Promise<SharedOutcome> => {
      calls += 1;
      await sleep(200);
      return { kind: 'refreshed' };
    };
    const first = ca.exclusive('s1', work);
    await sleep(20);
    const second = cb.exclusive('s1', work);
    const [r1, r2] = await Promise.all([first, second]);
    assert.equal(calls, 1);
    assert.deepEqual(r1, { outcome: { kind: 'refreshed' }, waited: false });
    assert.deepEqual(r2, { outcome: { kind: 'refreshed' }, waited: true });
    assert.equal(await a.exists(`${prefix}lease:s1`), 0, 'the owner released its lease');
  });

  it('shares a transient failure with the waiters too', async () => {
    const ca = redisCoordinator(a, { leaseTtlMs: 2000, keyPrefix: prefix, pollMs: 10 });
    const cb = redisCoordinator(b, { leaseTtlMs: 2000, keyPrefix: prefix, pollMs: 10 });
    const failed: SharedOutcome = { kind: 'failed', error: 'timeout', detail: 'slow' };
    const first = ca.exclusive('s2', async () => {
      await sleep(150);
      return failed;
    });
    await sleep(20);
    const second = await cb.exclusive('s2', async () => assert.fail('the waiter must not call the provider'));
    assert.deepEqual(second, { outcome: failed, waited: true });
    await first;
  });

  it('releases only its own lease (compare-and-delete)', async () => {
    const ca = redisCoordinator(a, { leaseTtlMs: 2000, keyPrefix: prefix });
    const key = `${prefix}lease:s3`;
    await ca.exclusive('s3', async () => {
      // Simulate: our lease lapsed and another process took it while we were still working.
      await b.set(key, 'someone-else', 'PX', 5000);
      return { kind: 'refreshed' };
    });
    assert.equal(await a.get(key), 'someone-else', "another owner's lease survives our release");
    await a.del(key);
  });

  it('extends the lease while its owner works longer than the TTL', async () => {
    const ca = redisCoordinator(a, { leaseTtlMs: 300, keyPrefix: prefix, pollMs: 10 });
    const cb = redisCoordinator(b, { leaseTtlMs: 300, keyPrefix: prefix, pollMs: 10 });
    let calls = 0;
    const work = async (): Promise<SharedOutcome> => {
      calls += 1;
      await sleep(700);
      return { kind: 'refreshed' };
    };
    const first = ca.exclusive('s4', work);
    await sleep(450);
    const second = await cb.exclusive('s4', work).catch((e: unknown) => e);
    await first;
    assert.equal(calls, 1, 'the lease did not lapse under a live owner');
    assert.ok(second instanceof CoordinationError || (second as { waited?: boolean }).waited === true);
  });

  it('takes over when the owner died: its lease expires and there is no outcome', async () => {
    const key = `${prefix}lease:s5`;
    await a.set(key, 'dead-owner', 'PX', 300);
    const cb = redisCoordinator(b, { leaseTtlMs: 2000, keyPrefix: prefix, pollMs: 10 });
    const started = Date.now();
    const r = await cb.exclusive('s5', async () => ({ kind: 'refreshed' }));
    assert.deepEqual(r, { outcome: { kind: 'refreshed' }, waited: false });
    assert.ok(Date.now() - started >= 250);
  });

  it('answers 503 when Redis is unavailable', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    try {
      const c = redisCoordinator(down, { leaseTtlMs: 1000, keyPrefix: prefix });
      await assert.rejects(
        c.exclusive('s6', async () => ({ kind: 'refreshed' })),
        (e: unknown) => {
          assert.ok(e instanceof CoordinationError);
          assert.equal(e.status, 503);
          return true;
        },
      );
    } finally {
      down.disconnect();
    }
  });
});
