import { ApiError, unprocessable } from '../../errors/api-error.js';
import type { KeyedFilterSpec } from '../../http/jsonapi/query.js';
import {
  assertResource,
  type ResourceDocument,
  relationshipId,
} from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import {
  type AnyRoute,
  access,
  type HttpResult,
  route,
  type WorkspaceContext,
} from '../../http/route-table.js';
import { requestSchemas } from '../../http/validation/request-schemas.generated.js';
import { MIN_VALIDITY_PARAMETER, type RefreshRequests } from '../../refresh/refresh-request.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { AUTH_SECRET_INCLUDES, includedSets } from './auth-secret-includes.js';
import type { AuthSecretView } from './auth-secret-serializer.js';
import { authSecretSpec } from './auth-secret-serializer.js';
import type { AuthSecretService, RelationshipRef, SecretReadRequest } from './auth-secret-service.js';
import { parseIfMatch } from './etag.js';
import type { TrashService } from './trash/trash-service.js';

/** Every response for one secret carries its strong ETag (API.md §9.3). */
export async function withEtag(secret: AuthSecretView, result: Promise<HttpResult>): Promise<HttpResult> {
  const done = await result;
  return { ...done, headers: { ...done.headers, ETag: secret.etag } };
}

/** The request's If-Match condition, if it sent one. */
export const ifMatchOf = (ctx: WorkspaceContext<unknown>) => parseIfMatch(ctx.req.get('if-match'));

/**
 * filter[tags.KEY]=VALUE (API.md §8.2): keys as the tags schema admits them (the same pattern, read
 * from it), values no longer than a stored one. At most 10 per request: each is one join on the tag
 * index, and a page must stay cheap (docs/API-DECISIONS.md).
 */
const tagsSchema = requestSchemas['auth-secret-common'].definitions.tags;
export const TAG_FILTERS: KeyedFilterSpec = {
  key: new RegExp(tagsSchema.propertyNames.pattern),
  maxCount: 10,
  maxValueLength: tagsSchema.additionalProperties.maxLength,
};

// API.md §4: `auth_client` is accepted on input as an alias of `auth-client`.
const AUTH_CLIENT_NAMES = ['auth-client', 'auth_client'];

function authClientRef(data: ResourceDocument['data']): RelationshipRef | undefined {
  const given = AUTH_CLIENT_NAMES.filter((n) => data.relationships?.[n] !== undefined);
  if (given.length > 1) {
    throw unprocessable([
      {
        code: 'ambiguous_relationship',
        detail: 'Send the auth-client relationship once, as "auth-client" or as its alias "auth_client".',
        pointer: '/data/relationships/auth_client',
      },
    ]);
  }
  return relationshipId(data, AUTH_CLIENT_NAMES, 'auth-client');
}

/** The parts of a GET the read use cases look at. */
function readRequest(ctx: WorkspaceContext): SecretReadRequest {
  return {
    principal: ctx.principal,
    workspacePermissions: ctx.workspacePermissions,
    include: ctx.query.include,
    actor: auditActorOf(ctx),
    fields: ctx.query.fields['auth-secret'],
  };
}

type WriteAction = 'auth_secret.create' | 'auth_secret.update' | 'auth_secret.delete';

/** The part of the refresh use cases a read with min_validity needs (src/refresh/refresh-request.ts). */
type FreshReads = Pick<RefreshRequests, 'ensureValidFor'>;

export function authSecretRoutes(
  secrets: AuthSecretService,
  trash: TrashService,
  fresh: FreshReads,
): AnyRoute[] {
  /** A refused write is audited too (outcome failure), then reported as usual. */
  async function audited<T>(
    ctx: WorkspaceContext<unknown>,
    action: WriteAction,
    resourceId: string,
    work: () => Promise<T>,
  ) {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ApiError)
        await secrets.recordFailure(auditActorOf(ctx), action, ctx.workspace, resourceId, err);
      throw err;
    }
  }

  return [
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace/secrets',
      access: access.workspace('workspaces.auth_secret.get'),
      response: { status: 200, type: 'auth-secret', many: true },
      query: {
        filters: { user: 'uuid', auth_client: 'uuid', state: { enum: ['ready', 'error'] }, name: 'string' },
        keyedFilters: { tags: TAG_FILTERS },
        include: AUTH_SECRET_INCLUDES,
        paginated: true,
      },
      handler: async (ctx) => {
        const { page, related, unreadable } = await secrets.listFor(
          ctx.workspace,
          { ...ctx.query.filters, tags: ctx.query.keyedFilters.tags },
          ctx.query.page,
          readRequest(ctx),
        );
        return collectionResult(authSecretSpec, page, ctx, {
          included: includedSets(ctx, related),
          meta: unreadable.length > 0 ? { credentials_unreadable: unreadable } : undefined,
        });
      },
    }),
    route({
      method: 'GET',
      path: '/v2/workspaces/:workspace/secrets/:id',
      access: access.workspace('workspaces.auth_secret.get'),
      response: { status: 200, type: 'auth-secret', etag: true },
      query: {
        include: AUTH_SECRET_INCLUDES,
        integers: {
          [MIN_VALIDITY_PARAMETER]: {
            min: 0,
            max: 86_400,
            description:
              'oauth2 secrets: refresh first unless the access token stays valid this many seconds (API.md §10.4). Needs reveal and refresh.',
          },
        },
      },
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        const minValiditySeconds = ctx.query.integers[MIN_VALIDITY_PARAMETER];
        if (minValiditySeconds !== undefined) {
          await fresh.ensureValidFor(ctx.workspace, ctx.workspacePermissions, id, {
            actor: auditActorOf(ctx),
            receivedAt: ctx.receivedAt,
            minValiditySeconds,
          });
        }
        const { secret, related } = await secrets.read(ctx.workspace, id, readRequest(ctx));
        return withEtag(secret, resourceResult(authSecretSpec, secret, ctx, includedSets(ctx, related)));
      },
    }),
    route({
      method: 'POST',
      path: '/v2/workspaces/:workspace/secrets',
      access: access.workspace('workspaces.auth_secret.create'),
      response: { status: 201, type: 'auth-secret', etag: true },
      body: 'auth-secret-create',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'auth-secret');
        return audited(ctx, 'auth_secret.create', 'new', async () => {
          const a = data.attributes;
          // The schema requires the relationship under one of its names.
          const authClient = authClientRef(data) as RelationshipRef;
          const secret = await secrets.create(
            ctx.workspace,
            ctx.principal,
            {
              name: a.name,
              state: a.state,
              ...(a.error !== undefined ? { error: a.error } : {}),
              ...(a.description !== undefined ? { description: a.description } : {}),
              ...(a.tags !== undefined ? { tags: a.tags } : {}),
              credentials: a.credentials,
              authClient,
            },
            auditActorOf(ctx),
          );
          return withEtag(secret, createdResult(authSecretSpec, secret, ctx));
        });
      },
    }),
    route({
      method: 'PATCH',
      path: '/v2/workspaces/:workspace/secrets/:id',
      access: access.workspace('workspaces.auth_secret.edit'),
      response: { status: 200, type: 'auth-secret', etag: true },
      ifMatch: true,
      body: 'auth-secret-update',
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await secrets.exists(ctx.workspace, id);
        return audited(ctx, 'auth_secret.update', id, async () => {
          const data = assertResource(ctx.body, 'auth-secret', id);
          const a = data.attributes ?? {};
          const authClient = authClientRef(data);
          const secret = await secrets.update(
            ctx.workspace,
            id,
            {
              ...(a.name !== undefined ? { name: a.name } : {}),
              ...(a.state !== undefined ? { state: a.state } : {}),
              ...(a.error !== undefined ? { error: a.error } : {}),
              ...(a.description !== undefined ? { description: a.description } : {}),
              ...(a.tags !== undefined ? { tags: a.tags } : {}),
              ...(a.credentials !== undefined ? { credentials: a.credentials } : {}),
              ...(authClient ? { authClient } : {}),
            },
            auditActorOf(ctx),
            { ifMatch: ifMatchOf(ctx) },
          );
          return withEtag(secret, resourceResult(authSecretSpec, secret, ctx));
        });
      },
    }),
    route({
      method: 'DELETE',
      path: '/v2/workspaces/:workspace/secrets/:id',
      access: access.workspace('workspaces.auth_secret.delete'),
      response: { status: 204 },
      ifMatch: true,
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await audited(ctx, 'auth_secret.delete', id, () =>
          trash.moveToTrash(ctx.workspace, id, auditActorOf(ctx), ifMatchOf(ctx)),
        );
        return { status: 204 };
      },
    }),
  ];
}
