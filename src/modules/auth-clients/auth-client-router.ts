import type { AuthMethod, AuthType } from '../../generated/prisma/client.js';
import { assertResource } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { access, type RouteDefinition } from '../../http/route-table.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { authClientSpec } from './auth-client-serializer.js';
import type { AuthClientService, OAuth2Input } from './auth-client-service.js';

interface OAuth2Attributes {
  client_id?: string;
  client_secret?: string;
  token_url?: string;
  authorize_url?: string | null;
  scopes?: string[];
  auth_method?: AuthMethod;
}

interface AuthClientAttributes {
  name?: string;
  auth_type?: AuthType;
  oauth2?: OAuth2Attributes | null;
}

function toOAuth2Input(a: OAuth2Attributes | null | undefined): OAuth2Input | null | undefined {
  if (!a) return a;
  const input: OAuth2Input = {};
  if (a.client_id !== undefined) input.clientId = a.client_id;
  if (a.client_secret !== undefined) input.clientSecret = a.client_secret;
  if (a.token_url !== undefined) input.tokenUrl = a.token_url;
  if (a.authorize_url !== undefined) input.authorizeUrl = a.authorize_url;
  if (a.scopes !== undefined) input.scopes = a.scopes;
  if (a.auth_method !== undefined) input.authMethod = a.auth_method;
  return input;
}

export function authClientRoutes(clients: AuthClientService): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/v2/tenants/:tenant/auth-clients',
      access: access.tenant('tenants.auth_client.get'),
      query: { filters: { auth_type: { enum: ['oauth2', 'other'] }, name: 'string' }, paginated: true },
      handler: async (ctx) =>
        collectionResult(
          authClientSpec,
          await clients.list(ctx.principal.tenantId, ctx.query.filters, ctx.query.page),
          ctx,
        ),
    },
    {
      method: 'GET',
      path: '/v2/tenants/:tenant/auth-clients/:id',
      access: access.tenant('tenants.auth_client.get'),
      handler: async (ctx) =>
        resourceResult(authClientSpec, await clients.get(ctx.principal.tenantId, ctx.params.id ?? ''), ctx),
    },
    {
      method: 'POST',
      path: '/v2/tenants/:tenant/auth-clients',
      access: access.tenant('tenants.auth_client.create'),
      body: 'auth-client-create',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'auth-client');
        const a = data.attributes as unknown as AuthClientAttributes & { name: string; auth_type: AuthType };
        const client = await clients.create(
          ctx.principal.tenantId,
          {
            name: a.name,
            authType: a.auth_type,
            oauth2: toOAuth2Input(a.oauth2) ?? null,
          },
          auditActorOf(ctx),
        );
        return createdResult(authClientSpec, client, ctx);
      },
    },
    {
      method: 'PATCH',
      path: '/v2/tenants/:tenant/auth-clients/:id',
      access: access.tenant('tenants.auth_client.edit'),
      body: 'auth-client-update',
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await clients.get(ctx.principal.tenantId, id);
        const a = (assertResource(ctx.body, 'auth-client', id).attributes ?? {}) as AuthClientAttributes;
        const client = await clients.update(
          ctx.principal.tenantId,
          id,
          {
            ...(a.name !== undefined ? { name: a.name } : {}),
            ...(a.auth_type !== undefined ? { authType: a.auth_type } : {}),
            ...(a.oauth2 !== undefined ? { oauth2: toOAuth2Input(a.oauth2) ?? null } : {}),
          },
          auditActorOf(ctx),
        );
        return resourceResult(authClientSpec, client, ctx);
      },
    },
    {
      method: 'DELETE',
      path: '/v2/tenants/:tenant/auth-clients/:id',
      access: access.tenant('tenants.auth_client.delete'),
      handler: async (ctx) => {
        await clients.remove(ctx.principal.tenantId, ctx.params.id ?? '', auditActorOf(ctx));
        return { status: 204 };
      },
    },
  ];
}
