// GET /v2/oauth/callback (API.md §10.2): the provider sends the user's browser back with `code` and
// `state` (or `error`). The state is the only credential: its session is claimed by the hash of it,
// once. Then the code is exchanged (with the PKCE verifier, through the refresher's provider client:
// same outbound guard, deadline and size cap) and the secret is written through the auth-secret use
// cases (validation, encryption, audit), with the session's completion in the same transaction.
// Any failure after the claim ends the session `failed`, and nothing else is written.
import type { Logger } from 'pino';
import { DecryptionError } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { ApiError } from '../../errors/api-error.js';
import type { AuthClient, ConnectSession, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { WorkspaceScope } from '../../permissions/access-policy.js';
import type { ProviderClient, ProviderTokens } from '../../refresh/provider-client.js';
import { ProviderError, sanitizeProviderText } from '../../refresh/provider-error.js';
import type { AuditActor } from '../audit-events/audit-recorder.js';
import { authClientReader } from '../auth-clients/auth-client-reader.js';
import { openClientSecret } from '../auth-clients/client-secret.js';
import { toExtraParams } from '../auth-clients/extra-params.js';
import type { AuthSecretService } from '../auth-secrets/auth-secret-service.js';
import { hashState, stateMatches } from './authorization-request.js';
import { openCodeVerifier } from './code-verifier.js';
import type { ConnectSessionStore } from './connect-session-store.js';

/** The query parameters the callback reads (anything else the provider adds is ignored). */
export interface CallbackParameters {
  state: string | undefined;
  code: string | undefined;
  error: string | undefined;
  errorDescription: string | undefined;
}

export type CallbackOutcome =
  /** No pending session has this state: nothing was written, nobody is redirected. */
  | { kind: 'invalid_state' }
  | { kind: 'completed'; session: ConnectSession }
  | { kind: 'failed'; session: ConnectSession };

export interface ConnectCallbackDependencies {
  prisma: PrismaClient;
  store: ConnectSessionStore;
  secrets: Pick<AuthSecretService, 'create' | 'update'>;
  provider: Pick<ProviderClient, 'exchangeCode'>;
  keyRing: KeyRing;
  logger: Logger;
}

// Our states are 43 characters; anything far longer is not one and is not hashed.
const MAX_STATE_LENGTH = 512;

/** A failure whose text is already safe to store and show (no credential in it). */
class SessionFailure extends Error {}

export function createConnectCallback(deps: ConnectCallbackDependencies) {
  const { prisma, store, keyRing } = deps;
  const log = deps.logger.child({ component: 'connect-session' });

  /** The one way a session ends well: in the transaction that wrote its secret. */
  async function completeConnectSession(
    tx: Prisma.TransactionClient,
    session: ConnectSession,
    authSecretId: string,
  ): Promise<ConnectSession> {
    return store.complete(tx, session.id, authSecretId);
  }

  /** The one way a claimed session ends badly; `error` is already clean of credentials. */
  async function failConnectSession(session: ConnectSession, error: string): Promise<ConnectSession> {
    const failed = await store.fail(prisma, session.id, error);
    log.info({ connectSessionId: session.id, workspaceId: session.workspaceId }, 'connect session failed');
    return failed;
  }

  const actorOf = (session: ConnectSession, requestId: string): AuditActor => ({
    tenantId: session.tenantId,
    // The session's creator acts: the callback itself is unauthenticated.
    userId: session.userId,
    apiKeyId: session.apiKeyId,
    requestId: requestId || null,
  });

  async function workspaceOf(session: ConnectSession): Promise<WorkspaceScope> {
    // The session's foreign key (ON DELETE CASCADE) means its workspace exists while it does.
    return prisma.workspace.findUniqueOrThrow({ where: { id: session.workspaceId } });
  }

  async function exchange(
    session: ConnectSession,
    client: AuthClient,
    code: string,
  ): Promise<ProviderTokens> {
    if (!client.tokenUrl || !client.clientId) throw new SessionFailure('The auth-client has no token_url.');
    const authMethod = client.authMethod ?? 'client_secret_basic';
    let codeVerifier: string;
    let clientSecret = '';
    try {
      codeVerifier = openCodeVerifier(keyRing, session);
      if (authMethod !== 'none') {
        if (!client.clientSecretSealed) throw new SessionFailure('The auth-client has no client_secret.');
        clientSecret = openClientSecret(keyRing, client, client.clientSecretSealed);
      }
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      log.error({ connectSessionId: session.id, keyId: err.keyId, reason: err.code }, 'cannot decrypt');
      throw new SessionFailure(
        'A stored value of the session or its auth-client cannot be decrypted (encryption key missing).',
      );
    }
    try {
      return await deps.provider.exchangeCode({
        tokenUrl: client.tokenUrl,
        clientId: client.clientId,
        clientSecret,
        authMethod,
        code,
        codeVerifier,
        redirectUri: session.redirectUri,
        extraParams: toExtraParams(client.tokenParams),
      });
    } catch (err) {
      if (err instanceof ProviderError) throw new SessionFailure(`The code exchange failed: ${err.detail}`);
      throw err;
    }
  }

  /** Writes the secret (create, or re-authorize) and completes the session with it, atomically. */
  async function writeSecret(
    session: ConnectSession,
    client: AuthClient,
    tokens: ProviderTokens,
    requestId: string,
    now: Date,
  ) {
    if (!tokens.refreshToken) {
      throw new SessionFailure(
        'The provider issued no refresh token, so the connection could not be kept alive. Ask for offline access (for example scope offline_access, or authorize_params access_type=offline).',
      );
    }
    // The provider's lifetime; else the client's assumption; else unknown (never renewed by time).
    const expiresAt =
      tokens.expiresAt ??
      (client.defaultExpiresIn ? new Date(now.getTime() + client.defaultExpiresIn * 1000) : null);
    const credentials = {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      expires_in: expiresAt ? Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000)) : 0,
    };
    // The callback answers with a redirect or a page, never with the secret, so the write is made
    // as a caller who may see nothing of it: no credentials are opened for a response.
    const workspace = { ...(await workspaceOf(session)), callerPermissions: new Set<never>() };
    const actor = actorOf(session, requestId);
    let completed: ConnectSession | undefined;
    const alsoWrite = async (tx: Prisma.TransactionClient, secretId: string) => {
      completed = await completeConnectSession(tx, session, secretId);
    };
    try {
      if (session.reauthorize) {
        if (!session.authSecretId) throw new SessionFailure('The auth-secret to re-authorize was deleted.');
        await deps.secrets.update(
          workspace,
          session.authSecretId,
          { credentials, state: 'ready', error: null, expiresAt, alsoWrite },
          actor,
          { now },
        );
      } else {
        await deps.secrets.create(
          workspace,
          { userId: session.userId },
          {
            name: session.name,
            state: 'ready',
            credentials,
            authClient: { id: client.id, pointer: '/data/relationships/auth-client' },
            expiresAt,
            alsoWrite,
          },
          actor,
          now,
        );
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 404)
        throw new SessionFailure('The auth-secret to re-authorize, or its auth-client, no longer exists.');
      if (err instanceof ApiError && err.status < 500)
        throw new SessionFailure(`The tokens could not be stored: ${err.items[0]?.detail ?? err.message}`);
      throw err;
    }
    return completed as ConnectSession;
  }

  return {
    completeConnectSession,
    failConnectSession,

    async handle(params: CallbackParameters, requestId: string, now = new Date()): Promise<CallbackOutcome> {
      const state = params.state;
      if (!state || state.length > MAX_STATE_LENGTH) return { kind: 'invalid_state' };
      const session = await store.claim(hashState(state), now);
      // The lookup was by the hash; comparing again in constant time costs nothing and keeps the
      // decision independent of how the database compared.
      if (!session || !stateMatches(state, session.stateHash)) return { kind: 'invalid_state' };
      try {
        if (params.error !== undefined) {
          const reason = sanitizeProviderText(
            params.errorDescription ? `${params.error}: ${params.errorDescription}` : params.error,
            [],
          );
          throw new SessionFailure(`The provider did not authorize the connection (${reason ?? 'error'}).`);
        }
        if (!params.code) throw new SessionFailure('The provider sent the user back without a code.');
        const client = await authClientReader(prisma).find(session.tenantId, session.authClientId);
        if (!client) throw new SessionFailure('The auth-client no longer exists.');
        const tokens = await exchange(session, client, params.code);
        const completed = await writeSecret(session, client, tokens, requestId, now);
        log.info(
          { connectSessionId: session.id, workspaceId: session.workspaceId },
          'connect session completed',
        );
        return { kind: 'completed', session: completed };
      } catch (err) {
        if (!(err instanceof SessionFailure)) throw err;
        return { kind: 'failed', session: await failConnectSession(session, err.message) };
      }
    },
  };
}

export type ConnectCallback = ReturnType<typeof createConnectCallback>;
