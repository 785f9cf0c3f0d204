// POST /v2/workspaces/{workspace}/secrets/{id}/refresh (API.md §4): 200 with the refreshed (or,
// when the provider rejected the grant, errored) resource; 502/504 with nothing changed when the
// provider failed; 409 refresh_not_supported for non-oauth2 secrets.
import { DecryptionError } from '../crypto/envelope.js';
import { conflict, notFound } from '../http/errors.js';
import { isUuid } from '../http/jsonapi/query.js';
import { resourceResult } from '../http/responses.js';
import { access, type RouteDefinition } from '../http/route-table.js';
import { auditActorOf } from '../modules/audit-events/audit-recorder.js';
import { authSecretSpec } from '../modules/auth-secrets/auth-secret-serializer.js';
import {
  type AuthSecretService,
  credentialsUnreadable,
} from '../modules/auth-secrets/auth-secret-service.js';
import { providerApiError } from './provider-error.js';
import type { RefreshService } from './refresh-service.js';
import type { RefreshStore } from './refresh-store.js';

const notSupported = () =>
  conflict('refresh_not_supported', 'Only auth-secrets of an oauth2 auth-client can be refreshed.');

export function refreshRoutes(
  refresh: RefreshService,
  store: RefreshStore,
  secrets: AuthSecretService,
): RouteDefinition[] {
  return [
    {
      method: 'POST',
      path: '/v2/workspaces/:workspace/secrets/:id/refresh',
      access: access.workspace('workspaces.auth_secret.refresh'),
      handler: async (ctx) => {
        // Arrival, not now: a caller that queued behind authentication while another refresh finished
        // must see that renewal as "after I asked" and not call the provider a second time.
        const startedAt = ctx.receivedAt;
        const id = ctx.params.id ?? '';
        const authType = isUuid(id) ? await store.typeInWorkspace(ctx.workspace.id, id) : null;
        if (authType === null) throw notFound('auth-secret');
        if (authType !== 'oauth2') throw notSupported();
        const actor = auditActorOf(ctx);
        const { outcome, wrote } = await refresh
          .refresh(id, { trigger: 'request', startedAt, actor, workspaceId: ctx.workspace.id })
          .catch((err: unknown) => {
            throw err instanceof DecryptionError ? credentialsUnreadable(err) : err;
          });
        const result = outcome.kind === 'failed' ? outcome.error : outcome.kind;
        // The caller whose provider call changed the secret was audited with that change; every
        // other caller (joined, or already renewed) gets an event of its own request here.
        if (outcome.kind !== 'gone' && !wrote) {
          const shared = outcome.kind === 'refreshed' ? 'shared' : result;
          await store.audit(actor, { id, workspaceId: ctx.workspace.id }, shared, 'request');
        }
        if (outcome.kind === 'failed') throw providerApiError(outcome.error, outcome.detail);
        // `gone`: deleted (get → 404) or moved to a non-oauth2 client meanwhile (→ 409).
        const secret = await secrets.get(ctx.workspace, id);
        if (outcome.kind === 'gone') throw notSupported();
        return resourceResult(authSecretSpec, secret, ctx);
      },
    },
  ];
}
