import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { authClientAad, authSecretAad } from '../../src/crypto/aad.js';
import {
  DecryptionError,
  type DecryptionErrorCode,
  isSealedWithActiveKey,
  open,
  reseal,
  seal,
  sealedKeyId,
} from '../../src/crypto/envelope.js';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';

const PLAINTEXT = '{"access_token":"very-secret-token-value-123"}';
const oldSpec = generateKeySpec('old');
const newSpec = generateKeySpec('new');
const ring = parseKeyRing(oldSpec);
const aad = authSecretAad({ tenantId: 't1', workspaceId: 'w1', id: 's1' });

function decryptionError(fn: () => unknown, code: DecryptionErrorCode): DecryptionError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DecryptionError, `expected DecryptionError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const text of [err.message, String(err), err.stack ?? '', JSON.stringify(err)]) {
      assert.ok(!text.includes(PLAINTEXT) && !text.includes('very-secret'), 'error leaks plaintext');
      assert.ok(!text.includes(oldSpec.slice(4)) && !text.includes(newSpec.slice(4)), 'error leaks a key');
    }
    return err;
  }
  assert.fail('expected open() to throw');
}

describe('crypto/envelope', () => {
  it('round-trips strings and buffers, including empty values', () => {
    assert.equal(open(ring, seal(ring, PLAINTEXT, aad), aad).toString('utf8'), PLAINTEXT);
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(open(ring, seal(ring, bytes, aad), aad), bytes);
    assert.equal(open(ring, seal(ring, '', aad), aad).length, 0);
  });

  it('accepts a plain Uint8Array, as Prisma 7 returns Bytes', () => {
    const sealed = seal(ring, PLAINTEXT, aad);
    const copy = new Uint8Array(sealed.length + 8).subarray(4, 4 + sealed.length);
    copy.set(sealed);
    assert.equal(open(ring, copy, aad).toString(), PLAINTEXT);
    assert.equal(sealedKeyId(copy), 'old');
  });

  it('never produces the same blob twice and does not contain the plaintext', () => {
    const a = seal(ring, PLAINTEXT, aad);
    assert.notDeepEqual(a, seal(ring, PLAINTEXT, aad));
    assert.ok(!a.includes(Buffer.from(PLAINTEXT)));
    assert.equal(a[0], 1);
    assert.equal(a.length, 2 + 3 + 12 + 32 + 16 + 12 + Buffer.byteLength(PLAINTEXT) + 16);
  });

  it('fails with a clear error when opened for another record', () => {
    const sealed = seal(ring, PLAINTEXT, aad);
    const other = authSecretAad({ tenantId: 't1', workspaceId: 'w1', id: 's2' });
    const err = decryptionError(() => open(ring, sealed, other), 'decryption_failed');
    assert.equal(err.keyId, 'old');
    assert.match(err.message, /key "old".*does not belong to this record or was tampered with/);
    decryptionError(
      () => open(ring, sealed, authClientAad({ tenantId: 't1', id: 's1' })),
      'decryption_failed',
    );
  });

  it('detects any single flipped byte', () => {
    const sealed = seal(ring, PLAINTEXT, aad);
    for (let i = 0; i < sealed.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const tampered = Buffer.from(sealed);
        tampered[i] = (tampered[i] as number) ^ mask;
        assert.throws(() => open(ring, tampered, aad), DecryptionError, `byte ${i} mask ${mask}`);
      }
    }
  });

  it('rejects truncated, extended and foreign data as malformed or undecryptable', () => {
    const sealed = seal(ring, PLAINTEXT, aad);
    for (const len of [0, 1, 2, 20, sealed.length - 1]) {
      assert.throws(() => open(ring, sealed.subarray(0, len), aad), DecryptionError);
    }
    decryptionError(() => open(ring, Buffer.concat([sealed, Buffer.from([0])]), aad), 'decryption_failed');
    decryptionError(() => open(ring, Buffer.from(PLAINTEXT), aad), 'malformed');
    decryptionError(() => sealedKeyId(Buffer.alloc(0)), 'malformed');
  });

  it('names the missing key when the sealing key is not in the ring', () => {
    const sealed = seal(ring, PLAINTEXT, aad);
    const err = decryptionError(() => open(parseKeyRing(newSpec), sealed, aad), 'unknown_key');
    assert.equal(err.keyId, 'old');
    assert.match(err.message, /sealed with key "old", which is not in the key ring \(known: new\)/);
  });

  it('does not open with a different key under the same id', () => {
    const sealed = seal(ring, PLAINTEXT, aad);
    decryptionError(() => open(parseKeyRing(generateKeySpec('old')), sealed, aad), 'decryption_failed');
  });

  it('rotates blobs from an old ring to a new one', () => {
    const blobs = ['a', 'b', 'c'].map((id) => {
      const rowAad = authSecretAad({ tenantId: 't', workspaceId: 'w', id });
      return { rowAad, sealed: seal(ring, `secret-${id}`, rowAad) };
    });
    // Step 1: the new key is added first; old ciphertexts still open, new ones use the new key.
    const transition = parseKeyRing(`${newSpec},${oldSpec}`);
    assert.equal(transition.activeKeyId, 'new');
    for (const { rowAad, sealed } of blobs) {
      assert.equal(open(transition, sealed, rowAad).toString(), `secret-${rowAad.slice(-1)}`);
      assert.equal(isSealedWithActiveKey(transition, sealed), false);
    }
    // Step 2: rotate-keys re-seals every blob under the active key.
    const rotated = blobs.map(({ rowAad, sealed }) => ({
      rowAad,
      sealed: reseal(transition, sealed, rowAad),
    }));
    // Step 3: the old key is removed; only rotated blobs still open.
    const final = parseKeyRing(newSpec);
    for (const [i, { rowAad, sealed }] of rotated.entries()) {
      assert.equal(sealedKeyId(sealed), 'new');
      assert.ok(isSealedWithActiveKey(final, sealed));
      assert.equal(open(final, sealed, rowAad).toString(), `secret-${rowAad.slice(-1)}`);
      decryptionError(() => open(final, blobs[i]?.sealed ?? Buffer.alloc(0), rowAad), 'unknown_key');
    }
  });

  it('reseal uses a fresh data key and refuses a blob of another record', () => {
    const transition = parseKeyRing(`${newSpec},${oldSpec}`);
    const sealed = seal(ring, PLAINTEXT, aad);
    const resealed = reseal(transition, sealed, aad);
    // Same data-ciphertext bytes would mean the old data key was kept.
    assert.ok(
      !resealed
        .subarray(-16 - Buffer.byteLength(PLAINTEXT))
        .equals(sealed.subarray(-16 - Buffer.byteLength(PLAINTEXT))),
    );
    decryptionError(() => reseal(transition, sealed, `${aad}x`), 'decryption_failed');
  });
});

describe('crypto/aad', () => {
  it('builds the documented strings', () => {
    assert.equal(authSecretAad({ tenantId: 't', workspaceId: 'w', id: 's' }), 'auth-secret:t:w:s');
    assert.equal(authClientAad({ tenantId: 't', id: 'c' }), 'auth-client:t:c');
  });

  it('refuses empty parts (e.g. sealing before the row id exists) and separators', () => {
    assert.throws(() => authSecretAad({ tenantId: 't', workspaceId: 'w', id: '' }), /"id"/);
    assert.throws(() => authClientAad({ tenantId: 'a:b', id: 'c' }), /"tenantId"/);
  });
});
