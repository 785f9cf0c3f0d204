// Turns an Authorization header into a Principal. Every failure is the same 401, whatever
// was wrong (unknown email, unknown key, wrong secret, revoked, expired), and costs the same work.
import type { PrismaClient } from '../generated/prisma/client.js';
import { unauthorized } from '../http/errors.js';
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

export function createAuthenticator(prisma: PrismaClient) {
  return async function authenticate(header: string | undefined, now = new Date()): Promise<Principal> {
    const presented = readAuthorizationHeader(header);
    const parsed = presented ? parseApiKey(presented.token) : undefined;
    const key = parsed
      ? await prisma.apiKey.findUnique({
          where: { id: parsed.keyId },
          include: { user: { select: { id: true, email: true, tenantId: true, tenantRole: true } } },
        })
      : null;
    // Always run the comparison, even without a candidate row, to keep timing flat.
    const secretOk = secretMatches(parsed?.secret ?? '', key?.secretHash);
    const emailOk =
      presented?.email === undefined || presented.email.toLowerCase() === key?.user.email.toLowerCase();
    const live = key !== null && key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
    if (!key || !secretOk || !emailOk || !live) throw unauthorized();
    return {
      userId: key.user.id,
      email: key.user.email,
      tenantId: key.user.tenantId,
      tenantRole: key.user.tenantRole,
      apiKeyId: key.id,
      scopes: key.scoped ? new Set(key.scopes) : null,
    };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
