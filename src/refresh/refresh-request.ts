// The use cases that refresh a secret because a caller asked: POST /v2/workspaces/{workspace}/
// secrets/{id}/refresh (API.md §4) and a read with min_validity (API.md §10.4). Both share the
// refresh service's single flight and lease, the coalescing window and the failure answers: 502/504
// with nothing changed when the provider failed, 200 with state error when it rejected the grant.
// The routers only parse and present; every decision about the request is made here.
import { DecryptionError } from '../crypto/envelope.js';
import { ApiError, conflict, notFound } from '../errors/api-error.js';
import type { AuditActor } from '../modules/audit-events/audit-recorder.js';
import type { AuthSecretView } from '../modules/auth-secrets/auth-secret-serializer.js';
import {
  type AuthSecretService,
  credentialsUnreadable,
} from '../modules/auth-secrets/auth-secret-service.js';
import type { CallerWorkspace, WorkspaceScope } from '../permissions/access-policy.js';
import type { WorkspacePermission } from '../permissions/permission-catalogue.js';
import { providerApiError } from './provider-error.js';
import type { RefreshService } from './refresh-service.js';
import type { RefreshStore } from './refresh-store.js';

const notSupported = () =>
  conflict('refresh_not_supported', 'Only auth-secrets of an oauth2 auth-client can be refreshed.');

/**
 * What a read with min_validity needs besides the route's own auth_secret.get (API.md §10.4): to see
 * the credentials (reveal, API.md §8.1) and to cause a refresh. The one place that decides.
 */
export const FRESH_READ_PERMISSIONS: readonly WorkspacePermission[] = [
  'workspaces.auth_secret.get',
  'workspaces.auth_secret.reveal',
  'workspaces.auth_secret.refresh',
];

export const MIN_VALIDITY_PARAMETER = 'min_validity';

export function createRefreshRequests(deps: {
  refresh: RefreshService;
  store: RefreshStore;
  secrets: AuthSecretService;
  /** REFRESH_COALESCE_SECONDS (refresh-service.ts applies it again under the lease). */
  coalesceSeconds: number;
}) {
  const { refresh, store, secrets } = deps;

  /**
   * Refreshes secret `id` for a caller (or shares the refresh running for it) and audits the
   * caller's request. Throws the 502/504 of a transient provider failure.
   */
  async function refreshFor(
    workspace: WorkspaceScope,
    id: string,
    actor: AuditActor,
    receivedAt: Date,
    minValidUntil?: Date,
  ): Promise<'gone' | 'done'> {
    const { outcome, wrote } = await refresh
      .refresh(id, {
        trigger: 'request',
        startedAt: receivedAt,
        actor,
        workspaceId: workspace.id,
        ...(minValidUntil ? { minValidUntil } : {}),
      })
      .catch((err: unknown) => {
        throw err instanceof DecryptionError ? credentialsUnreadable(err) : err;
      });
    const result = outcome.kind === 'failed' ? outcome.error : outcome.kind;
    // The caller whose provider call changed the secret was audited with that change; every
    // other caller (joined, or already renewed) gets an event of its own request here.
    if (outcome.kind !== 'gone' && !wrote) {
      const shared = outcome.kind === 'refreshed' ? 'shared' : result;
      await store.audit(actor, { id, workspaceId: workspace.id }, shared, 'request');
    }
    if (outcome.kind === 'failed') throw providerApiError(outcome.error, outcome.detail);
    return outcome.kind === 'gone' ? 'gone' : 'done';
  }

  return {
    /**
     * A caller asks for secret `id` to be refreshed. `receivedAt` is the request's arrival, not
     * now: a caller that queued behind authentication while another refresh finished must see that
     * renewal as "after I asked" and not call the provider a second time.
     */
    async onRequest(
      workspace: CallerWorkspace,
      id: string,
      actor: AuditActor,
      receivedAt: Date,
    ): Promise<AuthSecretView> {
      // Checked before joining any refresh: 404 and 409 are answered without a lease.
      const row = await store.findInWorkspace(workspace.id, id);
      if (!row) throw notFound('auth-secret');
      if (row.authType !== 'oauth2') throw notSupported();
      const coalesceFrom = receivedAt.getTime() - deps.coalesceSeconds * 1000;
      if (row.refreshedAt !== null && row.refreshedAt.getTime() >= coalesceFrom) {
        // Renewed moments ago (API.md §10.5): that renewal is the answer, without a lease or a
        // provider call. The service checks the same again under the lease for requests that
        // arrive while a renewal is still running.
        await store.audit(actor, { id, workspaceId: workspace.id }, 'already_renewed', 'request');
      } else if ((await refreshFor(workspace, id, actor, receivedAt)) === 'gone') {
        // Deleted (get → 404) or moved to a non-oauth2 client (→ 409).
        await secrets.get(workspace, id);
        throw notSupported();
      }
      // Read again after the refresh: the caller gets the secret as stored now, whichever caller
      // or process wrote it, with credentials only if it may see them (get applies API.md §8.1; the
      // refresh event above records the request, so no `auth_secret.read` is added).
      return secrets.get(workspace, id);
    },

    /**
     * GET …/secrets/{id}?min_validity=SECONDS (API.md §10.4): an oauth2 secret whose access token
     * expires within SECONDS is refreshed first. Nothing happens for `other` secrets, for tokens
     * of unknown lifetime (nothing to compare) and for secrets in state error (a rejected grant
     * stays rejected until someone re-authorizes or refreshes it on purpose; every read would
     * otherwise call the provider again). The caller then reads the secret as usual.
     */
    async ensureValidFor(
      workspace: WorkspaceScope,
      permissions: ReadonlySet<WorkspacePermission>,
      id: string,
      request: { actor: AuditActor; receivedAt: Date; minValiditySeconds: number },
    ): Promise<void> {
      const missing = FRESH_READ_PERMISSIONS.filter((p) => !permissions.has(p));
      if (missing.length > 0) {
        throw new ApiError({
          status: 403,
          code: 'refresh_not_permitted',
          title: 'Forbidden',
          detail: `${MIN_VALIDITY_PARAMETER} may refresh the secret and needs ${missing.join(' and ')}.`,
          source: { parameter: MIN_VALIDITY_PARAMETER },
        });
      }
      const row = await store.findInWorkspace(workspace.id, id);
      if (row?.authType !== 'oauth2' || row.state !== 'ready' || row.expiresAt === null) return;
      const minValidUntil = new Date(Date.now() + request.minValiditySeconds * 1000);
      if (row.expiresAt.getTime() >= minValidUntil.getTime()) return;
      await refreshFor(workspace, id, request.actor, request.receivedAt, minValidUntil);
    },
  };
}

export type RefreshRequests = ReturnType<typeof createRefreshRequests>;
