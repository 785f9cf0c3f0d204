// Revocation of a purged secret's tokens at the provider (API.md §10.1 `revocation_url`, RFC 7009):
// the refresh token first (revoking it usually ends the whole grant), then the access token, each
// with its token_type_hint and the client's authentication. Best effort: it runs after the purge
// has committed (every caller of purgeSecrets hands its result to `afterPurge`), never holds up the
// caller, goes through the same outbound guard, timeout and size cap as refreshes, and its outcome
// is audited (`auth_secret.revoke`) whatever it is. A secret only moved to the trash keeps its
// tokens: it may be restored.
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/key-ring.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { recordAuditEvent } from '../modules/audit-events/audit-recorder.js';
import type { RefreshClient } from '../modules/auth-clients/auth-client-reader.js';
import { openCredentials, type StoredCredentials } from '../modules/auth-secrets/credentials.js';
import type { PurgedSecret } from '../modules/auth-secrets/trash/purge.js';
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
  const running = new Set<Promise<void>>();

  async function revokePurged({ secret, actor, revocationClient: client }: PurgedSecret): Promise<void> {
    if (secret.authType !== 'oauth2' || !client?.revocationUrl) return;
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
    if (result.failure) log.warn(line, 'token revocation failed (the secret is purged all the same)');
    else log.info(line, 'tokens revoked');
  }

  /** One purge's secrets one after the other: a large purge never floods its providers. */
  async function revokeAll(purged: readonly PurgedSecret[]): Promise<void> {
    for (const one of purged) {
      await revokePurged(one).catch((err: unknown) =>
        log.error({ err, authSecretId: one.secret.id }, 'token revocation could not run'),
      );
    }
  }

  return {
    /**
     * Starts revoking the tokens of just-purged secrets and returns at once (src/modules/auth-secrets/
     * trash/purge.ts, AfterPurge): the purge is done, and a slow or failing provider must not hold
     * up its caller.
     */
    afterPurge(purged: readonly PurgedSecret[]): void {
      if (!purged.some((p) => p.revocationClient)) return;
      const task: Promise<void> = revokeAll(purged).finally(() => running.delete(task));
      running.add(task);
    },

    /** Settles when no revocation is running (shutdown, tests). */
    async idle(): Promise<void> {
      await Promise.allSettled([...running]);
    },
  };
}

export type TokenRevoker = ReturnType<typeof createTokenRevoker>;
