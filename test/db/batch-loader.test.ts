// Per-turn batching (src/db/batch-loader.ts) as pure logic: which lookups share a call.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { createBatchLoader } from '../../src/db/batch-loader.js';

function recordingLoader(values: Record<string, number>) {
  const calls: string[][] = [];
  const load = createBatchLoader<string, number>(async (keys) => {
    calls.push(keys);
    return new Map(keys.filter((k) => k in values).map((k) => [k, values[k] as number]));
  });
  return { load, calls };
}

describe('db: batch loader', () => {
  it('asks once for everything requested in the same turn of the event loop, each key once', async () => {
    const { load, calls } = recordingLoader({ a: 1, b: 2 });
    const results = await Promise.all([load('a'), load('b'), load('a'), load('missing')]);
    assert.deepEqual(results, [1, 2, 1, undefined]);
    assert.deepEqual(calls, [['a', 'b', 'missing']]);
  });

  it('does not hold a result between turns: a later lookup asks again', async () => {
    const { load, calls } = recordingLoader({ a: 1 });
    assert.equal(await load('a'), 1);
    assert.equal(await load('a'), 1);
    assert.deepEqual(calls, [['a'], ['a']]);
  });

  it('collects lookups made by separate I/O callbacks of one turn (setImmediate dispatch)', async () => {
    const { load, calls } = recordingLoader({ a: 1, b: 2 });
    // Two timers due together run in the same timers phase, like two requests read in one poll.
    const results = await new Promise<(number | undefined)[]>((resolve) => {
      const out: Promise<number | undefined>[] = [];
      setTimeout(() => out.push(load('a')), 1);
      setTimeout(() => {
        out.push(load('b'));
        void Promise.all(out).then(resolve);
      }, 1);
    });
    assert.deepEqual(results, [1, 2]);
    assert.deepEqual(calls, [['a', 'b']]);
  });

  it('fails every lookup of a batch whose query fails', async () => {
    const load = createBatchLoader<string, number>(async () => {
      throw new Error('database down');
    });
    const results = await Promise.allSettled([load('a'), load('b')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });
});
