// POST /v2/workspaces/{workspace}/secrets/{id}/refresh: parse, call the use case
// (refresh-request.ts), present the secret.
import { resourceResult } from '../http/responses.js';
import { type AnyRoute, access, route } from '../http/route-table.js';
import { auditActorOf } from '../modules/audit-events/audit-recorder.js';
import { withEtag } from '../modules/auth-secrets/auth-secret-router.js';
import { authSecretSpec } from '../modules/auth-secrets/auth-secret-serializer.js';
import type { RefreshRequests } from './refresh-request.js';

export function refreshRoutes(requests: RefreshRequests): AnyRoute[] {
  return [
    route({
      method: 'POST',
      path: '/v2/workspaces/:workspace/secrets/:id/refresh',
      access: access.workspace('workspaces.auth_secret.refresh'),
      response: { status: 200, type: 'auth-secret', etag: true },
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        const secret = await requests.onRequest(ctx.workspace, id, auditActorOf(ctx), ctx.receivedAt);
        return withEtag(secret, resourceResult(authSecretSpec, secret, ctx));
      },
    }),
  ];
}
