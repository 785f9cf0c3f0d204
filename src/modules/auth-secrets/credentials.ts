// Credentials of an auth-secret: checked against the auth-client's type (schemas/credentials-*.schema.json),
// bounded, sealed bound to their row, and shown with a live expires_in.
//
// Stored (sealed) form, a JSON object:
//   oauth2: {"access_token": "...", "refresh_token": "..."}; the expiry is the row's expires_at,
//           so it never goes stale inside the ciphertext (API.md §4: "the stored truth is expires_at").
//   other:  the object exactly as the client sent it.
import { type AuthSecretAadParts, authSecretAad } from '../../crypto/aad.js';
import { DecryptionError, open, seal } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { unprocessable } from '../../errors/api-error.js';
import type { AuthType } from '../../generated/prisma/client.js';
import { type SchemaRegistry, validationError } from '../../http/validation/schema-registry.js';
import type { CredentialsValidator } from '../credential-schemas/credential-schemas.js';

/**
 * Bounds on credentials (documented in docs/API-DECISIONS.md). They keep one secret from
 * dominating storage and responses, and keep every later JSON.stringify (which recurses) far
 * from the stack limit: the depth is checked first, without recursion.
 */
export const CREDENTIAL_LIMITS = {
  /** Serialised JSON in UTF-8 bytes. */
  maxBytes: 64 * 1024,
  /** Nesting levels of objects/arrays; the credentials object itself is level 1. */
  maxDepth: 16,
  /** Largest oauth2 expires_in in seconds (int32, about 68 years). */
  maxExpiresIn: 2_147_483_647,
} as const;

export const CREDENTIALS_POINTER = '/data/attributes/credentials';

export type StoredCredentials = Record<string, unknown>;

export interface CheckedCredentials {
  stored: StoredCredentials;
  expiresAt: Date | null;
}

/** True when `value` nests objects/arrays deeper than `max` levels. Iterative: any depth is safe. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, depth } = item;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

export interface CredentialCheckOptions {
  /** Where the credentials are in the request document (errors point inside it). */
  pointer?: string;
  /** The `other` client's credentials schema (API.md §8.3), compiled; absent: any JSON object. */
  clientSchema?: CredentialsValidator | undefined;
}

/**
 * Validates credentials for an auth-client of `authType` (and its credentials schema, if it has one)
 * and returns what to store. Throws a 422 listing every problem, each with its source.pointer
 * inside `pointer`.
 */
export function checkCredentials(
  schemas: SchemaRegistry,
  authType: AuthType,
  value: unknown,
  now: Date,
  { pointer = CREDENTIALS_POINTER, clientSchema }: CredentialCheckOptions = {},
): CheckedCredentials {
  if (nestsDeeperThan(value, CREDENTIAL_LIMITS.maxDepth)) {
    throw unprocessable([
      {
        code: 'credentials_too_deep',
        detail: `credentials may nest objects and arrays at most ${CREDENTIAL_LIMITS.maxDepth} levels deep.`,
        pointer,
      },
    ]);
  }
  schemas.assertValid(`credentials-${authType}`, value, pointer);
  const credentials = value as StoredCredentials;
  if (Buffer.byteLength(JSON.stringify(credentials), 'utf8') > CREDENTIAL_LIMITS.maxBytes) {
    throw unprocessable([
      {
        code: 'credentials_too_large',
        detail: `credentials may be at most ${CREDENTIAL_LIMITS.maxBytes} bytes as JSON.`,
        pointer,
      },
    ]);
  }
  if (authType === 'other') {
    // Last, on a value already bounded in depth and size. Ajv's messages name the rule, never the
    // value (no `verbose`), and the pointers are member names: no credential value reaches the error.
    if (clientSchema && !clientSchema(credentials)) throw validationError(clientSchema.errors ?? [], pointer);
    return { stored: credentials, expiresAt: null };
  }
  // The schema allows an integer or a string of digits; both become a number of seconds.
  const expiresIn = Number(credentials.expires_in);
  if (expiresIn > CREDENTIAL_LIMITS.maxExpiresIn) {
    throw unprocessable([
      {
        code: 'invalid_value',
        detail: `expires_in must be at most ${CREDENTIAL_LIMITS.maxExpiresIn} seconds.`,
        pointer: `${pointer}/expires_in`,
      },
    ]);
  }
  return {
    stored: { access_token: credentials.access_token, refresh_token: credentials.refresh_token },
    expiresAt: new Date(now.getTime() + expiresIn * 1000),
  };
}

/** The credentials as the API shows them at `at`: oauth2 gets the whole seconds left, never negative. */
export function presentCredentials(
  authType: AuthType,
  stored: StoredCredentials,
  expiresAt: Date | null,
  at: Date,
): StoredCredentials {
  if (authType === 'other') return stored;
  const left = expiresAt ? Math.floor((expiresAt.getTime() - at.getTime()) / 1000) : 0;
  return {
    access_token: stored.access_token,
    refresh_token: stored.refresh_token,
    expires_in: Math.max(0, left),
  };
}

export function sealCredentials(
  ring: KeyRing,
  row: AuthSecretAadParts,
  stored: StoredCredentials,
): Buffer<ArrayBuffer> {
  return seal(ring, JSON.stringify(stored), authSecretAad(row));
}

/** Throws DecryptionError (which never carries plaintext) when the value cannot be opened or parsed. */
export function openCredentials(
  ring: KeyRing,
  row: AuthSecretAadParts & { credentialsSealed: Uint8Array },
): StoredCredentials {
  const plaintext = open(ring, row.credentialsSealed, authSecretAad(row));
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    parsed = undefined;
  } finally {
    plaintext.fill(0);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecryptionError('malformed', 'Decrypted credentials are not a JSON object');
  }
  return parsed as StoredCredentials;
}
