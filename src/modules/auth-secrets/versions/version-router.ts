// The versions of an auth-secret (API.md §9.1): parse, call the use case (version-service.ts),
// present.
import { ApiError } from '../../../errors/api-error.js';
import { collectionResult, resourceResult } from '../../../http/responses.js';
import { type AnyRoute, access, route } from '../../../http/route-table.js';
import { auditActorOf } from '../../audit-events/audit-recorder.js';
import { withEtag } from '../auth-secret-router.js';
import { authSecretSpec } from '../auth-secret-serializer.js';
import type { AuthSecretService } from '../auth-secret-service.js';
import { shownToCaller } from '../credential-disclosure.js';
import { versionSpec } from './version-serializer.js';
import type { VersionService } from './version-service.js';

const VERSIONS = '/v2/workspaces/:workspace/secrets/:id/versions';

export function versionRoutes(versions: VersionService, secrets: AuthSecretService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: VERSIONS,
      access: access.workspace('workspaces.auth_secret.get'),
      response: { status: 200, type: 'auth-secret-version', many: true },
      query: { paginated: true, cursor: 'number' },
      handler: async (ctx) => {
        const page = await versions.list(ctx.workspace, ctx.params.id ?? '', ctx.query.page);
        return collectionResult(versionSpec, page, ctx);
      },
    }),
    route({
      method: 'GET',
      path: `${VERSIONS}/:number`,
      access: access.workspace('workspaces.auth_secret.get'),
      response: { status: 200, type: 'auth-secret-version' },
      handler: async (ctx) => {
        const version = await versions.read(ctx.workspace, ctx.params.id ?? '', ctx.params.number, {
          actor: auditActorOf(ctx),
          fields: ctx.query.fields['auth-secret-version'],
        });
        return resourceResult(versionSpec, version, ctx);
      },
    }),
    route({
      method: 'POST',
      path: `${VERSIONS}/:number/restore`,
      access: access.workspace('workspaces.auth_secret.edit'),
      response: { status: 200, type: 'auth-secret', etag: true },
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        try {
          const secret = await versions.restore(ctx.workspace, id, ctx.params.number, auditActorOf(ctx));
          return await withEtag(
            secret,
            resourceResult(authSecretSpec, shownToCaller(ctx.workspace, secret), ctx),
          );
        } catch (err) {
          // A refused restore is a refused update of the secret, audited like one.
          if (err instanceof ApiError)
            await secrets.recordFailure(auditActorOf(ctx), 'auth_secret.update', ctx.workspace, id, err);
          throw err;
        }
      },
    }),
  ];
}
