/**
 * Envelope encryption with AES-256-GCM (see docs/adr/0003-encryption-at-rest.md).
 *
 * Each value gets its own random 32-byte data key; the data key is wrapped by the ring's
 * active key-encryption key (KEK). One self-describing blob, all lengths fixed except two:
 *
 *   offset  size  field
 *   0       1     format version (0x01)
 *   1       1     key id length L (1..32)
 *   2       L     key id (ASCII) of the KEK that wrapped the data key
 *   2+L     12    wrap IV
 *   14+L    32    wrapped data key (AES-256-GCM ciphertext)
 *   46+L    16    wrap tag
 *   62+L    12    data IV
 *   74+L    N     data ciphertext
 *   74+L+N  16    data tag
 *
 * AAD: the data is encrypted with AAD = the record's aad string; the data key is wrapped with
 * AAD = header (version, L, key id) ‖ aad. Binding the header stops a blob's key id from being
 * swapped; binding aad in both places means a blob copied into another row fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KEY_ID_PATTERN, KEY_LENGTH, type KeyRing } from './key-ring.js';

export const FORMAT_VERSION = 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const ALGORITHM = 'aes-256-gcm';

export type DecryptionErrorCode = 'decryption_failed' | 'unknown_key' | 'malformed';

/** Thrown by open()/reseal(). Carries only the key id and a code: never plaintext or key bytes. */
export class DecryptionError extends Error {
  readonly code: DecryptionErrorCode;
  readonly keyId: string | undefined;

  constructor(code: DecryptionErrorCode, message: string, keyId?: string) {
    super(message);
    this.name = 'DecryptionError';
    this.code = code;
    this.keyId = keyId;
  }
}

interface ParsedBlob {
  header: Buffer;
  keyId: string;
  wrapIv: Buffer;
  wrappedKey: Buffer;
  wrapTag: Buffer;
  dataIv: Buffer;
  ciphertext: Buffer;
  dataTag: Buffer;
}

// Prisma 7 returns Bytes as plain Uint8Array; view it as a Buffer without copying.
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function header(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  return Buffer.concat([Buffer.from([FORMAT_VERSION, id.length]), id]);
}

function wrapAad(head: Buffer, aad: string): Buffer {
  return Buffer.concat([head, Buffer.from(aad, 'utf8')]);
}

function parse(sealed: Uint8Array): ParsedBlob {
  const buf = asBuffer(sealed);
  const malformed = (why: string) => new DecryptionError('malformed', `Ciphertext is malformed: ${why}`);
  if (buf.length < 2) throw malformed('too short');
  if (buf[0] !== FORMAT_VERSION) throw malformed(`unsupported format version ${buf[0]}`);
  const idLength = buf[1] as number;
  const fixed = 2 + idLength + IV_LENGTH + KEY_LENGTH + TAG_LENGTH + IV_LENGTH + TAG_LENGTH;
  if (idLength < 1 || idLength > 32 || buf.length < fixed) throw malformed('truncated or corrupt header');
  const keyId = buf.subarray(2, 2 + idLength).toString('ascii');
  if (!KEY_ID_PATTERN.test(keyId)) throw malformed('invalid key id');
  let at = 2 + idLength;
  const take = (n: number) => {
    const part = buf.subarray(at, at + n);
    at += n;
    return part;
  };
  return {
    header: buf.subarray(0, 2 + idLength),
    keyId,
    wrapIv: take(IV_LENGTH),
    wrappedKey: take(KEY_LENGTH),
    wrapTag: take(TAG_LENGTH),
    dataIv: take(IV_LENGTH),
    ciphertext: take(buf.length - at - TAG_LENGTH),
    dataTag: take(TAG_LENGTH),
  };
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer) {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

// Returns undefined on any failure: the caller turns it into one uniform error, so nothing
// about *why* GCM rejected the input (or the OpenSSL message) leaks.
function gcmDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer) {
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Encrypts `plaintext` (strings as UTF-8) for the record identified by `aad`. The result is typed
 * Buffer<ArrayBuffer> so it can go straight into a Prisma 7 Bytes field.
 */
export function seal(ring: KeyRing, plaintext: Uint8Array | string, aad: string): Buffer<ArrayBuffer> {
  const kek = ring.keyFor(ring.activeKeyId) as Buffer;
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : asBuffer(plaintext);
  const dataKey = randomBytes(KEY_LENGTH);
  try {
    const head = header(ring.activeKeyId);
    const body = gcmEncrypt(dataKey, data, Buffer.from(aad, 'utf8'));
    const wrap = gcmEncrypt(kek, dataKey, wrapAad(head, aad));
    // Not Buffer.concat: it may return a view into Node's shared pool, whose `.buffer` also holds
    // unrelated bytes; code that serialises `.buffer` must only ever see this blob.
    const parts = [head, wrap.iv, wrap.ciphertext, wrap.tag, body.iv, body.ciphertext, body.tag];
    const out = Buffer.alloc(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) at += p.copy(out, at);
    return out;
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Decrypts a blob produced by seal() for the same `aad`. Throws DecryptionError with code
 * 'unknown_key' if the sealing key is not in the ring, 'decryption_failed' if the blob belongs
 * to another record or was altered, 'malformed' if it is not a blob of this format.
 */
export function open(ring: KeyRing, sealed: Uint8Array, aad: string): Buffer {
  const blob = parse(sealed);
  const kek = ring.keyFor(blob.keyId);
  if (!kek) {
    throw new DecryptionError(
      'unknown_key',
      `Ciphertext was sealed with key "${blob.keyId}", which is not in the key ring ` +
        `(known: ${ring.keyIds.join(', ')}); restore that key in ENCRYPTION_KEYS to open it`,
      blob.keyId,
    );
  }
  const failed = () =>
    new DecryptionError(
      'decryption_failed',
      `Ciphertext sealed with key "${blob.keyId}" could not be decrypted: ` +
        'it does not belong to this record or was tampered with',
      blob.keyId,
    );
  const dataKey = gcmDecrypt(kek, blob.wrapIv, blob.wrappedKey, blob.wrapTag, wrapAad(blob.header, aad));
  if (!dataKey) throw failed();
  try {
    const plaintext = gcmDecrypt(
      dataKey,
      blob.dataIv,
      blob.ciphertext,
      blob.dataTag,
      Buffer.from(aad, 'utf8'),
    );
    if (!plaintext) throw failed();
    return plaintext;
  } finally {
    dataKey.fill(0);
  }
}

/** Id of the key that sealed `sealed` (throws DecryptionError 'malformed' if unreadable). */
export function sealedKeyId(sealed: Uint8Array): string {
  return parse(sealed).keyId;
}

export function isSealedWithActiveKey(ring: KeyRing, sealed: Uint8Array): boolean {
  return sealedKeyId(sealed) === ring.activeKeyId;
}

/**
 * Opens and seals again under the active key with a *fresh data key*, rather than re-wrapping
 * the old data key. Rotation is often done because a key may have leaked; anyone who unwrapped
 * a data key with the old KEK (e.g. from a backup) could otherwise still read the rotated row.
 * Secrets are small, so re-encrypting the data costs next to nothing over re-wrapping.
 */
export function reseal(ring: KeyRing, sealed: Uint8Array, aad: string): Buffer<ArrayBuffer> {
  const plaintext = open(ring, sealed, aad);
  try {
    return seal(ring, plaintext, aad);
  } finally {
    plaintext.fill(0);
  }
}
