/**
 * Key ring for envelope encryption at rest (see docs/adr/0003-encryption-at-rest.md).
 *
 * ENCRYPTION_KEYS format — comma-separated entries `keyId:base64key`:
 *   - keyId matches [A-Za-z0-9_-]{1,32}; it is stored in every ciphertext, so it must stay stable.
 *   - base64key decodes to exactly 32 bytes (AES-256); standard or URL-safe alphabet.
 *   - The FIRST entry is the active key: it seals every new ciphertext. The others only open
 *     existing ciphertexts until `rotate-keys` has moved them to the active key.
 *   Example: `key-2025b:3q2+7w...=,key-2025a:q83v...=` (key-2025a is being retired).
 *
 * Key material is kept in a private field so logging a KeyRing (console.log, pino, JSON) only
 * ever shows key ids. Errors name entries by position and valid ids, never by their content.
 */
import { randomBytes } from 'node:crypto';

export const KEY_LENGTH = 32;
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

// Strict check: Buffer.from(…, 'base64') silently skips invalid characters, which would turn a
// typo into a different (wrong-length or, worse, right-length) key instead of an error.
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

export class KeyRingError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], source = 'ENCRYPTION_KEYS') {
    super(`Invalid ${source}: ${problems.join('; ')}`);
    this.name = 'KeyRingError';
    this.problems = problems;
  }
}

export interface KeyRingEntry {
  readonly id: string;
  readonly key: Uint8Array;
}

export class KeyRing {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** Id of the key that seals new ciphertexts (the first entry). */
  readonly activeKeyId: string;
  /** All key ids, active first. */
  readonly keyIds: readonly string[];

  constructor(entries: readonly KeyRingEntry[]) {
    const problems = validateEntries(entries);
    if (problems.length > 0) throw new KeyRingError(problems);
    // Copy so a caller zeroing or reusing its buffers cannot change the ring underneath us.
    this.#keys = new Map(entries.map((e) => [e.id, Buffer.from(e.key)]));
    this.keyIds = Object.freeze(entries.map((e) => e.id));
    this.activeKeyId = this.keyIds[0] as string;
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** The raw key for `keyId`; only src/crypto should need this. */
  keyFor(keyId: string): Buffer | undefined {
    return this.#keys.get(keyId);
  }

  toJSON(): { activeKeyId: string; keyIds: readonly string[] } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds };
  }
}

function validateEntries(entries: readonly KeyRingEntry[]): string[] {
  if (entries.length === 0) return ['no keys given (expected "keyId:base64key[,keyId:base64key…]")'];
  const problems: string[] = [];
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const where = `entry #${i + 1}`;
    if (!KEY_ID_PATTERN.test(e.id)) problems.push(`${where}: key id must match [A-Za-z0-9_-]{1,32}`);
    else if (seen.has(e.id)) problems.push(`${where}: duplicate key id "${e.id}"`);
    seen.add(e.id);
    if (e.key.length !== KEY_LENGTH) {
      problems.push(`${where}: key must be ${KEY_LENGTH} bytes, got ${e.key.length}`);
    }
  });
  return problems;
}

/**
 * Parses an ENCRYPTION_KEYS value. Throws one KeyRingError listing every problem so an operator
 * fixes the variable in one go; `source` names where the spec came from (env var or key file).
 */
export function parseKeyRing(spec: string, options: { source?: string } = {}): KeyRing {
  const source = options.source ?? 'ENCRYPTION_KEYS';
  const trimmed = spec.trim();
  if (trimmed === '') {
    throw new KeyRingError(['empty (expected "keyId:base64key[,keyId:base64key…]")'], source);
  }
  const problems: string[] = [];
  const entries: KeyRingEntry[] = [];
  const seen = new Set<string>();
  trimmed.split(',').forEach((raw, i) => {
    const where = `entry #${i + 1}`;
    const entry = raw.trim();
    if (entry === '') {
      problems.push(`${where}: empty`);
      return;
    }
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${where}: missing "keyId:" prefix`);
      return;
    }
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    let idOk = KEY_ID_PATTERN.test(id);
    // Only ids that passed the pattern are echoed: anything else might be pasted key material.
    if (!idOk) problems.push(`${where}: key id must match [A-Za-z0-9_-]{1,32}`);
    else if (seen.has(id)) {
      problems.push(`${where}: duplicate key id "${id}"`);
      idOk = false;
    }
    seen.add(id);
    const key = decodeKey(encoded, `${where}${idOk ? ` ("${id}")` : ''}`, problems);
    if (idOk && key) entries.push({ id, key });
  });
  if (problems.length > 0) throw new KeyRingError(problems, source);
  return new KeyRing(entries);
}

function decodeKey(encoded: string, where: string, problems: string[]): Buffer | undefined {
  if (encoded === '') {
    problems.push(`${where}: key is empty`);
    return undefined;
  }
  if (!BASE64_PATTERN.test(encoded)) {
    problems.push(`${where}: key is not valid base64`);
    return undefined;
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_LENGTH) {
    problems.push(`${where}: key must decode to ${KEY_LENGTH} bytes, got ${key.length}`);
    return undefined;
  }
  return key;
}

/**
 * A fresh `keyId:base64key` entry, for the embedded key file and for operators preparing a
 * rotation. The default id carries the date so ENCRYPTION_KEYS shows which key is older.
 */
export function generateKeySpec(id?: string): string {
  const keyId = id ?? defaultKeyId();
  if (!KEY_ID_PATTERN.test(keyId))
    throw new KeyRingError(['key id must match [A-Za-z0-9_-]{1,32}'], 'key id');
  return `${keyId}:${randomBytes(KEY_LENGTH).toString('base64')}`;
}

function defaultKeyId(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  // Random suffix: two keys generated on the same day must still get distinct ids.
  return `key-${day}-${randomBytes(3).toString('hex')}`;
}
