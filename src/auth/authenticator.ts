// Turns an Authorization header into a Principal. Every failure is the same 401, whatever
// was wrong (unknown email, unknown key, wrong secret, revoked, expired), and costs the same work.
import { createBatchLoader, uuidParts } from '../db/batch-loader.js';
import type { Sql } from '../db/prisma-client.js';
import { ApiError, unauthorized } from '../errors/api-error.js';
import type { TenantRole } from '../generated/prisma/enums.js';
import { parseApiKey, secretMatches } from './api-key-token.js';
import type { Principal } from './principal.js';

interface PresentedCredentials {
  email: string | undefined;
  token: string;
}

export function readAuthorizationHeader(header: string | undefined): PresentedCredentials | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space === -1) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return { email: undefined, token: value };
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { email: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

/** Why authentication failed, for the warn log line only; the response is the same 401 for all. */
export type AuthFailureReason =
  | 'missing_credentials'
  | 'malformed_credentials'
  // Unknown key, wrong secret or an email that is not the key's owner: one category, so the log
  // does not say which half was wrong either.
  | 'invalid_credentials'
  // Only when key, secret and email all matched: the caller holds the key, so nothing is revealed.
  | 'revoked_key'
  | 'expired_key';

export class AuthenticationError extends ApiError {
  constructor(readonly reason: AuthFailureReason) {
    const template = unauthorized();
    super(template.items, template.headers);
    this.name = 'AuthenticationError';
  }

  /** A request without credentials guesses nothing; every other failure counts as an attempt. */
  get isAttempt(): boolean {
    return this.reason !== 'missing_credentials';
  }
}

interface KeyRow {
  id: string;
  secret_hash: Uint8Array;
  scopes: string[] | null;
  scoped: boolean;
  expires_at: Date | null;
  revoked_at: Date | null;
  user_id: string;
  email: string;
  tenant_id: string;
  tenant_role: TenantRole;
}

// One query by key id, whether or not the key exists (an unknown id costs the same round trip as
// a known one). Batched per event-loop turn: concurrent requests share one statement
// (src/db/batch-loader.ts), which never serves a result older than the request.
function createKeyFinder(sql: Sql) {
  return createBatchLoader<string, KeyRow>(async (keyIds) => {
    const { rows } = await sql.query<KeyRow>({
      name: 'authenticate-find-keys',
      text: `SELECT k.id::text AS id, k.secret_hash, k.scopes, k.scoped, k.expires_at, k.revoked_at,
              u.id::text AS user_id, u.email, u.tenant_id::text AS tenant_id, u.tenant_role::text AS tenant_role
       FROM api_keys k JOIN users u ON u.id = k.user_id
       WHERE k.id = ANY($1::uuid[])`,
      values: [keyIds],
    });
    return new Map(rows.map((row) => [row.id, row]));
  }, uuidParts);
}

export function createAuthenticator(sql: Sql) {
  const findKey = createKeyFinder(sql);
  return async function authenticate(header: string | undefined, now = new Date()): Promise<Principal> {
    if (header === undefined || header.trim() === '') throw new AuthenticationError('missing_credentials');
    const presented = readAuthorizationHeader(header);
    const parsed = presented ? parseApiKey(presented.token) : undefined;
    // The lookup is by key id only: the email is compared after, so an unknown email costs the
    // same database work as a known one.
    const key = parsed ? await findKey(parsed.keyId) : undefined;
    // Always run the comparison, even without a candidate row, to keep timing flat.
    const secretOk = secretMatches(parsed?.secret ?? '', key?.secret_hash);
    const emailOk =
      presented?.email === undefined || presented.email.toLowerCase() === key?.email.toLowerCase();
    if (!parsed) throw new AuthenticationError('malformed_credentials');
    if (!key || !secretOk || !emailOk) throw new AuthenticationError('invalid_credentials');
    if (key.revoked_at !== null) throw new AuthenticationError('revoked_key');
    if (key.expires_at !== null && key.expires_at <= now) throw new AuthenticationError('expired_key');
    return {
      userId: key.user_id,
      email: key.email,
      tenantId: key.tenant_id,
      tenantRole: key.tenant_role,
      apiKeyId: key.id,
      scopes: key.scoped ? new Set(key.scopes ?? []) : null,
    };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
