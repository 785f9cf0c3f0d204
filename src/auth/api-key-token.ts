// API key format: "ask_<key id, 32 hex>_<secret, 43 base64url chars = 256 bits>".
// The key id makes lookup one primary-key read; the secret is stored only as an HMAC.
// A password hash (bcrypt, scrypt) would cap throughput on every request and buys nothing for
// 256 random bits, which cannot be guessed offline anyway.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'ask';
const TOKEN_RE = /^ask_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
// Domain separation: the same bytes hashed for another purpose never match an API key hash.
const HASH_KEY = 'auth-secret-service/api-key/v1';

export interface ParsedApiKey {
  keyId: string;
  secret: string;
}

const uuidToHex = (uuid: string) => uuid.replace(/-/g, '');
const hexToUuid = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

export function hashApiKeySecret(secret: string): Buffer {
  return createHmac('sha256', HASH_KEY).update(secret, 'utf8').digest();
}

/** Creates a key for an already chosen key id; returns the token (shown once) and its hash. */
export function generateApiKey(keyId: string): { token: string; secretHash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${PREFIX}_${uuidToHex(keyId)}_${secret}`, secretHash: hashApiKeySecret(secret) };
}

export function parseApiKey(token: string): ParsedApiKey | undefined {
  const m = TOKEN_RE.exec(token);
  if (!m) return undefined;
  return { keyId: hexToUuid(m[1] as string), secret: m[2] as string };
}

// Compared against when the key id is unknown, so a miss costs the same as a wrong secret.
const DUMMY_HASH = hashApiKeySecret('no-such-key');

/** Constant-time check of a presented secret against a stored hash (or a dummy when none). */
export function secretMatches(secret: string, storedHash: Uint8Array | undefined): boolean {
  const presented = hashApiKeySecret(secret);
  const stored = storedHash && storedHash.length === presented.length ? Buffer.from(storedHash) : DUMMY_HASH;
  return timingSafeEqual(presented, stored) && storedHash !== undefined;
}
