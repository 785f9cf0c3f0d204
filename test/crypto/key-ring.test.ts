import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it } from 'mocha';
import { generateKeySpec, KeyRing, KeyRingError, parseKeyRing } from '../../src/crypto/key-ring.js';

const b64 = (n: number) => randomBytes(n).toString('base64');

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

describe('crypto/key-ring', () => {
  it('parses entries in order; the first one is active', () => {
    const ring = parseKeyRing(` new:${b64(32)} , old:${b64(32)}\n`);
    assert.equal(ring.activeKeyId, 'new');
    assert.deepEqual(ring.keyIds, ['new', 'old']);
    assert.ok(ring.has('old'));
    assert.equal(ring.keyFor('old')?.length, 32);
    assert.equal(ring.keyFor('missing'), undefined);
  });

  it('accepts URL-safe base64 and unpadded keys', () => {
    const key = randomBytes(32);
    const ring = parseKeyRing(`a:${key.toString('base64url')}`);
    assert.deepEqual(ring.keyFor('a'), key);
  });

  it('lists every problem at once without echoing key material', () => {
    const short = b64(16);
    const spec = [
      `ok:${b64(32)}`,
      `dup:${b64(32)}`,
      `dup:${b64(32)}`,
      `bad:${short}`,
      'x:not base64!!',
      'no-colon',
      '',
      'bad id!:abc',
    ].join(',');
    const err = caught(() => parseKeyRing(spec));
    assert.ok(err instanceof KeyRingError);
    assert.deepEqual(err.problems, [
      'entry #3: duplicate key id "dup"',
      'entry #4 ("bad"): key must decode to 32 bytes, got 16',
      'entry #5 ("x"): key is not valid base64',
      'entry #6: missing "keyId:" prefix',
      'entry #7: empty',
      'entry #8: key id must match [A-Za-z0-9_-]{1,32}',
      'entry #8: key must decode to 32 bytes, got 2',
    ]);
    assert.match(err.message, /^Invalid ENCRYPTION_KEYS: /);
    for (const part of spec.split(/[,:]/).filter((p) => p.length > 12))
      assert.ok(!err.message.includes(part));
    assert.ok(!err.message.includes(short));
  });

  it('rejects an empty spec and names the source', () => {
    assert.throws(() => parseKeyRing('  \n'), /Invalid ENCRYPTION_KEYS: empty/);
    assert.throws(
      () => parseKeyRing('', { source: '/data/encryption-keys' }),
      /Invalid \/data\/encryption-keys/,
    );
  });

  it('rejects a 33-character key id', () => {
    assert.throws(() => parseKeyRing(`${'a'.repeat(33)}:${b64(32)}`), /key id must match/);
  });

  it('never shows key material when logged or serialised', () => {
    const spec = `k1:${b64(32)}`;
    const ring = parseKeyRing(spec);
    const key = spec.slice(3);
    assert.ok(!inspect(ring, { depth: 10, showHidden: true }).includes(key));
    assert.equal(JSON.stringify(ring), '{"activeKeyId":"k1","keyIds":["k1"]}');
  });

  it('validates entries passed to the constructor', () => {
    assert.throws(() => new KeyRing([]), KeyRingError);
    assert.throws(() => new KeyRing([{ id: 'a', key: randomBytes(31) }]), /32 bytes, got 31/);
  });

  it('generateKeySpec produces a parseable entry with the given or a dated id', () => {
    const ring = parseKeyRing(`${generateKeySpec('mine')},${generateKeySpec()}`);
    assert.equal(ring.activeKeyId, 'mine');
    assert.match(ring.keyIds[1] ?? '', /^key-\d{8}-[0-9a-f]{6}$/);
    assert.notEqual(generateKeySpec('a'), generateKeySpec('a'));
    assert.throws(() => generateKeySpec('no:colons'), KeyRingError);
  });
});
