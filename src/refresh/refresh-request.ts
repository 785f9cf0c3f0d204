// The use case behind POST /v2/workspaces/{workspace}/secrets/{id}/refresh (API.md §4): 200 with
// the refreshed (or, when the provider rejected the grant, errored) resource; 502/504 with nothing
// changed when the provider failed; 409 refresh_not_supported for non-oauth2 secrets. The router
// only parses and presents; every decision about the request is made here.
import { DecryptionError } from '../crypto/envelope.js';
import { conflict, notFound } from '../errors/api-error.js';
import type { AuditActor } from '../modules/audit-events/audit-recorder.js';
import type { AuthSecretView } from '../modules/auth-secrets/auth-secret-serializer.js';
import {
  type AuthSecretService,
  credentialsUnreadable,
} from '../modules/auth-secrets/auth-secret-service.js';
import type { CallerWorkspace } from '../permissions/access-policy.js';
import { providerApiError } from './provider-error.js';
import type { RefreshService } from './refresh-service.js';
import type { RefreshStore } from './refresh-store.js';

const notSupported = () =>
  conflict('refresh_not_supported', 'Only auth-secrets of an oauth2 auth-client can be refreshed.');

export function createRefreshRequests(deps: {
  refresh: RefreshService;
  store: RefreshStore;
  secrets: AuthSecretService;
}) {
  const { refresh, store, secrets } = deps;
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
      const authType = await store.typeInWorkspace(workspace.id, id);
      if (authType === null) throw notFound('auth-secret');
      if (authType !== 'oauth2') throw notSupported();
      const { outcome, wrote } = await refresh
        .refresh(id, { trigger: 'request', startedAt: receivedAt, actor, workspaceId: workspace.id })
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
      // Read again after the refresh: the caller gets the secret as stored now, whichever caller
      // or process wrote it, with credentials only if it may see them (get applies API.md §8.1; the
      // refresh event above records the request, so no `auth_secret.read` is added).
      // `gone`: deleted (get → 404) or moved to a non-oauth2 client (→ 409).
      const secret = await secrets.get(workspace, id);
      if (outcome.kind === 'gone') throw notSupported();
      return secret;
    },
  };
}

export type RefreshRequests = ReturnType<typeof createRefreshRequests>;
