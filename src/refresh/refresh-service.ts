// One refresh path for both triggers (POST …/refresh and the worker), so that they can never both
// call the provider for one secret: in-process single flight → cross-process lease (Redis when
// configured) → re-read the secret and skip when someone else already renewed it → provider call
// → conditional write. The outcome is shared with every caller that joined.
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/key-ring.js';
import type { AuthSecret } from '../generated/prisma/client.js';
import { type AuditActor, systemActor } from '../modules/audit-events/audit-recorder.js';
import { toExtraParams } from '../modules/auth-clients/extra-params.js';
import { openCredentials, sealCredentials } from '../modules/auth-secrets/credentials.js';
import { refreshDueAt } from '../modules/auth-secrets/refresh-schedule.js';
import { sealVersionCredentials } from '../modules/auth-secrets/versions/version-credentials.js';
import { clientAuthOf } from './client-auth.js';
import type { ProviderClient, ProviderTokens } from './provider-client.js';
import { ProviderError } from './provider-error.js';
import { CoordinationError, type RefreshCoordinator, type SharedOutcome } from './refresh-lease.js';
import type { RefreshMetrics, RefreshTrigger } from './refresh-metrics.js';
import { decideFailure } from './refresh-policy.js';
import type { RefreshStore, RefreshTarget } from './refresh-store.js';
import { SingleFlight } from './single-flight.js';

export interface RefreshRequest {
  trigger: RefreshTrigger;
  /**
   * request: when the caller asked; a secret refreshed at or after this instant already carries
   * the token the caller wants. Worker: unused (a secret no longer due needs nothing).
   */
  startedAt: Date;
  /** Who asked, for the audit event; absent for the worker (the system actor). */
  actor?: AuditActor;
  /** The workspace a request named: the secret is read within it. Absent for the worker. */
  workspaceId?: string;
  /**
   * A read with min_validity (API.md §10.4): an access token valid until then needs nothing.
   * Absent: the caller wants a renewal whatever the token's expiry.
   */
  minValidUntil?: Date;
}

/** `wrote`: this call itself stored the outcome (and its audit event); joiners and waiters did not. */
export interface RefreshResult {
  outcome: SharedOutcome;
  wrote: boolean;
}

export interface RefreshServiceDependencies {
  store: RefreshStore;
  provider: ProviderClient;
  coordinator: RefreshCoordinator;
  keyRing: KeyRing;
  logger: Logger;
  metrics: RefreshMetrics;
  /** REFRESH_AHEAD_SECONDS: the margin of clients that set none. */
  aheadSeconds: number;
  /**
   * REFRESH_COALESCE_SECONDS (API.md §10.5): an on-demand refresh this soon after the last
   * successful one returns that one's result. 0: off.
   */
  coalesceSeconds: number;
  now?: () => Date;
}

/** Outcomes whose owner wrote no audit event itself (the route records one per caller). */
const STORED_NOTHING = new Set<SharedOutcome['kind']>(['already_renewed', 'superseded', 'gone']);

export function createRefreshService(deps: RefreshServiceDependencies) {
  const flights = new SingleFlight<string, { outcome: SharedOutcome; waited: boolean }>();
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ component: 'refresh' });

  /**
   * Whether `secret` (read under the lease) already carries what the caller wants, so that the
   * provider is not called. On demand: renewed since the caller asked, or within the coalescing
   * window before (however a burst is spread, one provider call serves it), or, for a read with
   * min_validity, valid long enough. Worker: no longer due (someone renewed it, or it is in error).
   */
  function alreadyRenewed(secret: AuthSecret, request: RefreshRequest): boolean {
    if (request.trigger === 'request') {
      const renewedSince = request.startedAt.getTime() - deps.coalesceSeconds * 1000;
      if (secret.refreshedAt !== null && secret.refreshedAt.getTime() >= renewedSince) return true;
      const wanted = request.minValidUntil;
      return wanted !== undefined && secret.expiresAt !== null && secret.expiresAt >= wanted;
    }
    return (
      secret.state !== 'ready' ||
      secret.refreshDueAt === null ||
      secret.refreshDueAt.getTime() > now().getTime()
    );
  }

  const auditOf = (secret: AuthSecret, request: RefreshRequest) => ({
    actor: request.actor ?? systemActor(secret.tenantId),
    trigger: request.trigger,
  });

  async function attempt(id: string, request: RefreshRequest): Promise<SharedOutcome> {
    // Re-read under the lease: another process may have renewed the secret while we waited.
    const target = await deps.store.load(id, request.workspaceId);
    if (target?.secret.authType !== 'oauth2') return { kind: 'gone' };
    if (alreadyRenewed(target.secret, request)) return { kind: 'already_renewed' };
    return callProvider(target, request);
  }

  /** The provider's new tokens for `target`: the client's grant, parameters and authentication. */
  function renew({ client }: RefreshTarget, credentials: Record<string, unknown>): Promise<ProviderTokens> {
    const auth = clientAuthOf(deps.keyRing, client);
    if (!client.tokenUrl) {
      throw new ProviderError('invalid_response', 'The auth-client has no complete oauth2 configuration.');
    }
    const common = {
      ...auth,
      tokenUrl: client.tokenUrl,
      defaultExpiresIn: client.defaultExpiresIn,
      accessToken: typeof credentials.access_token === 'string' ? credentials.access_token : undefined,
    };
    // Machine-to-machine secrets have no refresh token: a new token is simply obtained (API.md §10.3).
    if (client.grantType === 'client_credentials') {
      return deps.provider.clientCredentials({
        ...common,
        scopes: client.scopes,
        params: toExtraParams(client.tokenParams),
      });
    }
    return deps.provider.refresh({
      ...common,
      refreshToken: typeof credentials.refresh_token === 'string' ? credentials.refresh_token : '',
      params: toExtraParams(client.refreshParams),
    });
  }

  async function callProvider(target: RefreshTarget, request: RefreshRequest): Promise<SharedOutcome> {
    const { secret, client } = target;
    const credentials = openCredentials(deps.keyRing, secret);
    const oldRefreshToken =
      typeof credentials.refresh_token === 'string' ? credentials.refresh_token : undefined;
    try {
      const tokens = await renew(target, credentials);
      const at = now();
      // A provider that does not rotate sends no refresh_token: the old one stays valid and is kept.
      // A client-credentials token has none to keep: it is renewed by asking again.
      const refreshToken =
        client.grantType === 'client_credentials'
          ? tokens.refreshToken
          : (tokens.refreshToken ?? oldRefreshToken);
      const stored = {
        access_token: tokens.accessToken,
        ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
      };
      const timing = { marginSeconds: client.refreshMarginSeconds, everySeconds: client.refreshEverySeconds };
      const written = await deps.store.recordSuccess(
        secret,
        {
          credentialsSealed: sealCredentials(deps.keyRing, secret, stored),
          // The version this write makes if it is stored (API.md §9.1): the next credentials_version.
          versionSealed: sealVersionCredentials(deps.keyRing, secret, secret.credentialsVersion + 1, stored),
          expiresAt: tokens.expiresAt,
          refreshDueAt: refreshDueAt(tokens.expiresAt, at, timing, deps.aheadSeconds),
          at,
        },
        auditOf(secret, request),
      );
      if (!written) {
        // Only new credentials (or the secret's deletion) stop the write; they win over this renewal.
        log.warn(
          { authSecretId: secret.id, trigger: request.trigger },
          'auth-secret credentials were replaced during its refresh; the renewed token was not stored',
        );
        return { kind: 'superseded' };
      }

      log.info(
        { authSecretId: secret.id, trigger: request.trigger, rotated: tokens.refreshToken !== undefined },
        'auth-secret refreshed',
      );
      return { kind: 'refreshed' };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      return recordFailure(secret, err, request);
    }
  }

  /**
   * A rejection (invalid_grant) is final only for the credentials it was about: the write is
   * conditional on credentials_version, so when another process renewed the secret meanwhile (a
   * rotated refresh token is refused once used) or a caller PATCHed new credentials, nothing is
   * marked and every caller is answered with the secret as stored now, the renewed one (API.md §10.5).
   */
  async function recordFailure(secret: AuthSecret, err: ProviderError, request: RefreshRequest) {
    const at = now();
    const decision = decideFailure({
      kind: err.kind,
      detail: err.detail,
      previousFailures: secret.failureCount,
      expiresAt: secret.expiresAt,
      now: at,
      trigger: request.trigger,
    });
    await deps.store.recordFailure(secret, { kind: err.kind, at, ...decision }, auditOf(secret, request));
    log.warn(
      {
        authSecretId: secret.id,
        trigger: request.trigger,
        kind: err.kind,
        providerStatus: err.status,
        failureCount: decision.failureCount,
        state: decision.errorText ? 'error' : secret.state,
      },
      'auth-secret refresh failed',
    );

    if (err.kind === 'rejected') return { kind: 'rejected' } as const;
    return { kind: 'failed', error: err.kind, detail: err.detail } as const;
  }

  return {
    /** Refreshes secret `id` (or joins the refresh already running for it). */
    async refresh(id: string, request: RefreshRequest): Promise<RefreshResult> {
      deps.metrics.attempts.inc({ trigger: request.trigger });
      try {
        const { promise, joined } = flights.run(id, async () => {
          const { outcome, waited } = await deps.coordinator.exclusive(id, () => attempt(id, request));
          return { outcome, waited };
        });
        const { outcome, waited } = await promise;
        deps.metrics.outcomes.inc({ trigger: request.trigger, outcome: outcomeLabel(outcome) });
        const wrote = !joined && !waited && !STORED_NOTHING.has(outcome.kind);
        return { outcome, wrote };
      } catch (err) {
        const outcome = err instanceof CoordinationError ? 'coordination_error' : 'internal_error';
        deps.metrics.outcomes.inc({ trigger: request.trigger, outcome });
        throw err;
      }
    },

    /** Settles when no refresh is running in this process (shutdown). */
    idle: () => flights.idle(),
  };
}

export type RefreshService = ReturnType<typeof createRefreshService>;

function outcomeLabel(outcome: SharedOutcome): string {
  return outcome.kind === 'failed' ? outcome.error : outcome.kind;
}
