import type { SecretState } from '../../generated/prisma/client.js';
import { ApiError, unprocessable } from '../../http/errors.js';
import {
  assertResource,
  type ResourceDocument,
  relationshipId,
} from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { access, type RouteDefinition } from '../../http/route-table.js';
import { AUTH_SECRET_INCLUDES, assertMayInclude, includedFor } from './auth-secret-includes.js';
import { authSecretSpec } from './auth-secret-serializer.js';
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

/** JSON:API §crud-creating-client-ids: ids are the server's (they bind the ciphertext to the row). */
function rejectClientGeneratedId(data: ResourceDocument['data']): void {
  if (data.id === undefined) return;
  throw new ApiError({
    status: 403,
    code: 'client_generated_id',
    title: 'Forbidden',
    detail: 'This server assigns resource ids; omit data.id when creating.',
    source: { pointer: '/data/id' },
  });
}

export function authSecretRoutes(secrets: AuthSecretService): RouteDefinition[] {
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
        rejectClientGeneratedId(data);
        const a = data.attributes as unknown as AuthSecretAttributes & { name: string; state: SecretState };
        // The schema requires the relationship under one of its names.
        const authClient = authClientRef(data) as RelationshipRef;
        const secret = await secrets.create(ctx.workspace, ctx.principal, {
          name: a.name,
          state: a.state,
          ...(a.error !== undefined ? { error: a.error } : {}),
          credentials: a.credentials,
          authClient,
        });
        return createdResult(authSecretSpec, secret, ctx);
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
        const data = assertResource(ctx.body, 'auth-secret', id);
        const a = (data.attributes ?? {}) as AuthSecretAttributes;
        const authClient = authClientRef(data);
        const secret = await secrets.update(ctx.workspace, id, {
          ...(a.name !== undefined ? { name: a.name } : {}),
          ...(a.state !== undefined ? { state: a.state } : {}),
          ...(a.error !== undefined ? { error: a.error } : {}),
          ...(a.credentials !== undefined ? { credentials: a.credentials } : {}),
          ...(authClient ? { authClient } : {}),
        });
        return resourceResult(authSecretSpec, secret, ctx);
      },
    },
    {
      method: 'DELETE',
      path: '/v2/workspaces/:workspace/secrets/:id',
      access: access.workspace('workspaces.auth_secret.delete'),
      handler: async (ctx) => {
        await secrets.remove(ctx.workspace, ctx.params.id ?? '');
        return { status: 204 };
      },
    },
  ];
}
