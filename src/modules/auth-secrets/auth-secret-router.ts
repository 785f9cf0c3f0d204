import { ApiError, unprocessable } from '../../errors/api-error.js';
import type { SecretState } from '../../generated/prisma/client.js';
import {
  assertResource,
  type ResourceDocument,
  relationshipId,
} from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { access, type RequestContext, type RouteDefinition } from '../../http/route-table.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { AUTH_SECRET_INCLUDES, assertMayInclude, includedFor } from './auth-secret-includes.js';
import { type AuthSecretView, authSecretSpec } from './auth-secret-serializer.js';
import type { AuthSecretService, RelationshipRef } from './auth-secret-service.js';

// API.md §4: `auth_client` is accepted on input as an alias of `auth-client`.
const AUTH_CLIENT_NAMES = ['auth-client', 'auth_client'];

interface AuthSecretAttributes {
  name?: string;
  state?: SecretState;
  error?: string | null;
  credentials?: unknown;
}

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

type WriteAction = 'auth_secret.create' | 'auth_secret.update' | 'auth_secret.delete';

export function authSecretRoutes(secrets: AuthSecretService): RouteDefinition[] {
  /** A refused write is audited too (outcome failure), then reported as usual. */
  async function audited<T>(
    ctx: RequestContext,
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

  /** Credential-returning reads leave one event per secret (none when fields[] leaves credentials out). */
  async function auditReads(ctx: RequestContext, items: AuthSecretView[]) {
    const fields = ctx.query.fields['auth-secret'];
    if (fields && !fields.includes('credentials')) return;
    const ids = items.filter((s) => s.credentials !== null).map((s) => s.id);
    await secrets.recordReads(auditActorOf(ctx), ctx.workspace, ids);
  }

  return [
    {
      method: 'GET',
      path: '/v2/workspaces/:workspace/secrets',
      access: access.workspace('workspaces.auth_secret.get'),
      query: {
        filters: { user: 'uuid', auth_client: 'uuid', state: { enum: ['ready', 'error'] } },
        include: AUTH_SECRET_INCLUDES,
        paginated: true,
      },
      handler: async (ctx) => {
        assertMayInclude(ctx);
        const page = await secrets.list(ctx.workspace, ctx.query.filters, ctx.query.page);
        await auditReads(ctx, page.items);
        const result = await collectionResult(
          authSecretSpec,
          page,
          ctx,
          await includedFor(secrets, ctx, page.items),
        );
        // One unreadable row must not take the whole list down: it is listed with credentials
        // null and named here (the error itself is logged server-side).
        const unreadable = page.items.filter((s) => s.credentials === null).map((s) => s.id);
        if (unreadable.length > 0)
          (result.document as Record<string, unknown>).meta = { credentials_unreadable: unreadable };
        return result;
      },
    },
    {
      method: 'GET',
      path: '/v2/workspaces/:workspace/secrets/:id',
      access: access.workspace('workspaces.auth_secret.get'),
      query: { include: AUTH_SECRET_INCLUDES },
      handler: async (ctx) => {
        assertMayInclude(ctx);
        const secret = await secrets.get(ctx.workspace, ctx.params.id ?? '');
        await auditReads(ctx, [secret]);
        return resourceResult(authSecretSpec, secret, ctx, await includedFor(secrets, ctx, [secret]));
      },
    },
    {
      method: 'POST',
      path: '/v2/workspaces/:workspace/secrets',
      access: access.workspace('workspaces.auth_secret.create'),
      body: 'auth-secret-create',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'auth-secret');
        return audited(ctx, 'auth_secret.create', 'new', async () => {
          const a = data.attributes as unknown as AuthSecretAttributes & { name: string; state: SecretState };
          // The schema requires the relationship under one of its names.
          const authClient = authClientRef(data) as RelationshipRef;
          const secret = await secrets.create(
            ctx.workspace,
            ctx.principal,
            {
              name: a.name,
              state: a.state,
              ...(a.error !== undefined ? { error: a.error } : {}),
              credentials: a.credentials,
              authClient,
            },
            auditActorOf(ctx),
          );
          return createdResult(authSecretSpec, secret, ctx);
        });
      },
    },
    {
      method: 'PATCH',
      path: '/v2/workspaces/:workspace/secrets/:id',
      access: access.workspace('workspaces.auth_secret.edit'),
      body: 'auth-secret-update',
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await secrets.exists(ctx.workspace, id);
        return audited(ctx, 'auth_secret.update', id, async () => {
          const data = assertResource(ctx.body, 'auth-secret', id);
          const a = (data.attributes ?? {}) as AuthSecretAttributes;
          const authClient = authClientRef(data);
          const secret = await secrets.update(
            ctx.workspace,
            id,
            {
              ...(a.name !== undefined ? { name: a.name } : {}),
              ...(a.state !== undefined ? { state: a.state } : {}),
              ...(a.error !== undefined ? { error: a.error } : {}),
              ...(a.credentials !== undefined ? { credentials: a.credentials } : {}),
              ...(authClient ? { authClient } : {}),
            },
            auditActorOf(ctx),
          );
          return resourceResult(authSecretSpec, secret, ctx);
        });
      },
    },
    {
      method: 'DELETE',
      path: '/v2/workspaces/:workspace/secrets/:id',
      access: access.workspace('workspaces.auth_secret.delete'),
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await audited(ctx, 'auth_secret.delete', id, () =>
          secrets.remove(ctx.workspace, id, auditActorOf(ctx)),
        );
        return { status: 204 };
      },
    },
  ];
}
