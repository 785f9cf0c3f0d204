// The trash of a workspace (API.md §9.2): list and read trashed secrets (metadata only), restore
// one, purge one. DELETE …/secrets/{id} (auth-secret-router.ts) is what puts a secret here.
import { collectionResult, resourceResult } from '../../../http/responses.js';
import { type AnyRoute, access, route } from '../../../http/route-table.js';
import { auditActorOf } from '../../audit-events/audit-recorder.js';
import { withEtag } from '../auth-secret-router.js';
import { authSecretSpec } from '../auth-secret-serializer.js';
import { shownToCaller } from '../credential-disclosure.js';
import { trashedSecretSpec } from './trash-serializer.js';
import type { TrashService } from './trash-service.js';

const TRASH = '/v2/workspaces/:workspace/deleted-secrets';

export function trashRoutes(trash: TrashService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: TRASH,
      access: access.workspace('workspaces.auth_secret.get'),
      response: { status: 200, type: 'auth-secret', many: true },
      query: { paginated: true },
      handler: async (ctx) =>
        collectionResult(trashedSecretSpec, await trash.list(ctx.workspace, ctx.query.page), ctx),
    }),
    route({
      method: 'GET',
      path: `${TRASH}/:id`,
      access: access.workspace('workspaces.auth_secret.get'),
      response: { status: 200, type: 'auth-secret' },
      handler: async (ctx) =>
        resourceResult(trashedSecretSpec, await trash.get(ctx.workspace, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'POST',
      path: `${TRASH}/:id/restore`,
      access: access.workspace('workspaces.auth_secret.delete'),
      response: { status: 200, type: 'auth-secret' },
      handler: async (ctx) => {
        const secret = await trash.restore(ctx.workspace, ctx.params.id ?? '', auditActorOf(ctx));
        return withEtag(secret, resourceResult(authSecretSpec, shownToCaller(ctx.workspace, secret), ctx));
      },
    }),
    route({
      method: 'DELETE',
      path: `${TRASH}/:id`,
      access: access.workspace('workspaces.auth_secret.delete'),
      response: { status: 204 },
      handler: async (ctx) => {
        await trash.purge(ctx.workspace, ctx.params.id ?? '', auditActorOf(ctx));
        return { status: 204 };
      },
    }),
  ];
}
