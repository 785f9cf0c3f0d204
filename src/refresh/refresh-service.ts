// One refresh path for both triggers (POST …/refresh and the worker), so that they can never both
// call the provider for one secret: in-process single flight → cross-process lease (Redis when
// configured) → re-read the secret and skip when someone else already renewed it → provider call
// → conditional write. The outcome is shared with every caller that joined.
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/key-ring.js';
import type { AuthSecret } from '../generated/prisma/client.js';
import { type AuditActor, systemActor } from '../modules/audit-events/audit-recorder.js';
import { openClientSecret } from '../modules/auth-clients/client-secret.js';
import { openCredentials, sealCredentials } from '../modules/auth-secrets/credentials.js';
import { sealVersionCredentials } from '../modules/auth-secrets/versions/version-credentials.js';
import type { ProviderClient } from './provider-client.js';
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
  aheadSeconds: number;
  now?: () => Date;
}

/** Outcomes whose owner wrote no audit event itself (the route records one per caller). */
const STORED_NOTHING = new Set<SharedOutcome['kind']>(['already_renewed', 'superseded', 'gone']);

export function createRefreshService(deps: RefreshServiceDependencies) {
  const flights = new SingleFlight<string, { outcome: SharedOutcome; waited: boolean }>();
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ component: 'refresh' });

  function alreadyRenewed(secret: AuthSecret, request: RefreshRequest): boolean {
    if (request.trigger === 'request') {
      return secret.refreshedAt !== null && secret.refreshedAt.getTime() >= request.startedAt.getTime();
    }
    const dueBy = now().getTime() + deps.aheadSeconds * 1000;
    return secret.state !== 'ready' || secret.expiresAt === null || secret.expiresAt.getTime() > dueBy;
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

  async function callProvider(
    { secret, client }: RefreshTarget,
    request: RefreshRequest,
  ): Promise<SharedOutcome> {
    const credentials = openCredentials(deps.keyRing, secret);
    const oldRefreshToken = typeof credentials.refresh_token === 'string' ? credentials.refresh_token : '';
    try {
      const authMethod = client.authMethod ?? 'client_secret_basic';
      const publicClient = authMethod === 'none';
      if (!client.tokenUrl || !client.clientId || (!publicClient && !client.clientSecretSealed)) {
        throw new ProviderError('invalid_response', 'The auth-client has no complete oauth2 configuration.');
      }
      const tokens = await deps.provider.refresh({
        tokenUrl: client.tokenUrl,
        clientId: client.clientId,
        clientSecret:
          publicClient || !client.clientSecretSealed
            ? ''
            : openClientSecret(deps.keyRing, client, client.clientSecretSealed),
        authMethod,
        refreshToken: oldRefreshToken,
        accessToken: typeof credentials.access_token === 'string' ? credentials.access_token : undefined,
      });
      const at = now();
      // A provider that does not rotate sends no refresh_token: the old one stays valid and is kept.
      const stored = {
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken ?? oldRefreshToken,
      };
      const written = await deps.store.recordSuccess(
        secret,
        {
          credentialsSealed: sealCredentials(deps.keyRing, secret, stored),
          // The version this write makes if it is stored (API.md §9.1): the next credentials_version.
          versionSealed: sealVersionCredentials(deps.keyRing, secret, secret.credentialsVersion + 1, stored),
          expiresAt: tokens.expiresAt,
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
