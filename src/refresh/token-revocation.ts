// Revocation of a removed secret's tokens at the provider (API.md §10.1 `revocation_url`, RFC 7009):
// the refresh token first (revoking it usually ends the whole grant), then the access token, each
// with its token_type_hint and the client's authentication. Best effort: it runs after the removal
// has committed, never holds up the caller, goes through the same outbound guard, timeout and size
// cap as refreshes, and its outcome is audited (`auth_secret.revoke`) whatever it is.
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/key-ring.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { type AuditActor, recordAuditEvent } from '../modules/audit-events/audit-recorder.js';
import { authClientReader, type RefreshClient } from '../modules/auth-clients/auth-client-reader.js';
import type { AuthSecretRow } from '../modules/auth-secrets/auth-secret-store.js';
import { openCredentials, type StoredCredentials } from '../modules/auth-secrets/credentials.js';
import { clientAuthOf } from './client-auth.js';
import type { ProviderClient } from './provider-client.js';
import { ProviderError } from './provider-error.js';

const TOKEN_KINDS = ['refresh_token', 'access_token'] as const;

export interface RevocationResult {
  /** Token kinds the provider accepted. */
  revoked: string[];
  /** The first failure's kind (ProviderError kind, or `unreadable` for credentials that cannot be opened). */
  failure?: string;
}

/**
 * RFC 7009 for one secret's tokens at `client`'s revocation_url. Never throws: every failure is in
 * the result. Tokens that are not strings (absent) are skipped.
 */
export async function revokeTokens(
  provider: ProviderClient,
  keyRing: KeyRing,
  client: RefreshClient,
  credentials: StoredCredentials,
): Promise<RevocationResult> {
  const result: RevocationResult = { revoked: [] };
  if (!client.revocationUrl) return result;
  try {
    const auth = clientAuthOf(keyRing, client);
    for (const kind of TOKEN_KINDS) {
      const token = credentials[kind];
      if (typeof token !== 'string' || token.length === 0) continue;
      try {
        await provider.revoke({ ...auth, revocationUrl: client.revocationUrl, token, tokenTypeHint: kind });
        result.revoked.push(kind);
      } catch (err) {
        // Go on with the access token: revoking what can be revoked is the point.
        result.failure ??= err instanceof ProviderError ? err.kind : 'error';
      }
    }
  } catch (err) {
    result.failure = err instanceof ProviderError ? err.kind : 'unreadable';
  }
  return result;
}

export function createTokenRevoker(deps: {
  prisma: PrismaClient;
  provider: ProviderClient;
  keyRing: KeyRing;
  logger: Logger;
}) {
  const log = deps.logger.child({ component: 'revocation' });
  const clients = authClientReader(deps.prisma);
  const running = new Set<Promise<void>>();

  async function revokeRemoved(secret: AuthSecretRow, actor: AuditActor): Promise<void> {
    if (secret.authType !== 'oauth2') return;
    const client = await clients.forRefresh(secret.tenantId, secret.authClientId);
    if (!client?.revocationUrl) return;
    let result: RevocationResult;
    try {
      result = await revokeTokens(deps.provider, deps.keyRing, client, openCredentials(deps.keyRing, secret));
    } catch {
      result = { revoked: [], failure: 'unreadable' };
    }
    await recordAuditEvent(deps.prisma, actor, {
      action: 'auth_secret.revoke',
      outcome: result.failure === undefined ? 'success' : 'failure',
      resourceType: 'auth-secret',
      resourceId: secret.id,
      workspaceId: secret.workspaceId,
      // Which kinds were revoked and how it failed: never a token.
      details: { revoked: result.revoked, ...(result.failure ? { failure: result.failure } : {}) },
    });
    const line = { authSecretId: secret.id, revoked: result.revoked, failure: result.failure };
    if (result.failure) log.warn(line, 'token revocation failed (the secret is removed all the same)');
    else log.info(line, 'tokens revoked');
  }

  return {
    /**
     * Starts revoking a just-removed secret's tokens and returns at once: the removal is done,
     * and a slow or failing provider must not hold up its caller.
     */
    afterRemoval(secret: AuthSecretRow, actor: AuditActor): void {
      const task: Promise<void> = revokeRemoved(secret, actor)
        .catch((err: unknown) =>
          log.error({ err, authSecretId: secret.id }, 'token revocation could not run'),
        )
        .finally(() => running.delete(task));
      running.add(task);
    },

    /** Settles when no revocation is running (shutdown, tests). */
    async idle(): Promise<void> {
      await Promise.allSettled([...running]);
    },
  };
}

export type TokenRevoker = ReturnType<typeof createTokenRevoker>;
