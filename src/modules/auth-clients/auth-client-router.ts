import { assertResource } from '../../http/jsonapi/request-document.js';
import { collectionResult, createdResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import type { SchemaDefinition } from '../../http/validation/request-bodies.js';
import { auditActorOf } from '../audit-events/audit-recorder.js';
import { authClientSpec } from './auth-client-serializer.js';
import type { AuthClientService, OAuth2Input } from './auth-client-service.js';

/** `oauth2` as a PATCH sends it: any of the members; a POST's (oauth2Create) is a special case. */
type OAuth2Attributes = NonNullable<SchemaDefinition<'auth-client-common', 'oauth2Update'>>;
type OAuth2CreateAttributes = SchemaDefinition<'auth-client-common', 'oauth2Create'>;

function toOAuth2Input(a: OAuth2Attributes | null | undefined): OAuth2Input | null | undefined {
  if (!a) return a;
  const input: OAuth2Input = {};
  if (a.client_id !== undefined) input.clientId = a.client_id;
  if (a.client_secret !== undefined) input.clientSecret = a.client_secret;
  if (a.token_url !== undefined) input.tokenUrl = a.token_url;
  if (a.authorize_url !== undefined) input.authorizeUrl = a.authorize_url;
  if (a.scopes !== undefined) input.scopes = a.scopes;
  if (a.auth_method !== undefined) input.authMethod = a.auth_method;
  if (a.grant_type !== undefined) input.grantType = a.grant_type;
  if (a.authorize_params !== undefined) input.authorizeParams = a.authorize_params;
  if (a.token_params !== undefined) input.tokenParams = a.token_params;
  if (a.refresh_params !== undefined) input.refreshParams = a.refresh_params;
  if (a.default_expires_in !== undefined) input.defaultExpiresIn = a.default_expires_in;
  if (a.refresh_margin_seconds !== undefined) input.refreshMarginSeconds = a.refresh_margin_seconds;
  if (a.refresh_every_seconds !== undefined) input.refreshEverySeconds = a.refresh_every_seconds;
  if (a.revocation_url !== undefined) input.revocationUrl = a.revocation_url;
  return input;
}

export function authClientRoutes(clients: AuthClientService): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/auth-clients',
      access: access.tenant('tenants.auth_client.get'),
      response: { status: 200, type: 'auth-client', many: true },
      query: { filters: { auth_type: { enum: ['oauth2', 'other'] }, name: 'string' }, paginated: true },
      handler: async (ctx) =>
        collectionResult(
          authClientSpec,
          await clients.list(ctx.principal.tenantId, ctx.query.filters, ctx.query.page),
          ctx,
        ),
    }),
    route({
      method: 'GET',
      path: '/v2/tenants/:tenant/auth-clients/:id',
      access: access.tenant('tenants.auth_client.get'),
      response: { status: 200, type: 'auth-client' },
      handler: async (ctx) =>
        resourceResult(authClientSpec, await clients.get(ctx.principal.tenantId, ctx.params.id ?? ''), ctx),
    }),
    route({
      method: 'POST',
      path: '/v2/tenants/:tenant/auth-clients',
      access: access.tenant('tenants.auth_client.create'),
      response: { status: 201, type: 'auth-client' },
      body: 'auth-client-create',
      handler: async (ctx) => {
        const data = assertResource(ctx.body, 'auth-client');
        const a = data.attributes;
        // The schema's auth_type branches (if/then, which json-schema-to-ts does not follow) made
        // `oauth2` an oauth2Create object for oauth2 clients and null or absent for `other` ones.
        const oauth2 = a.oauth2 as OAuth2CreateAttributes | null | undefined;
        const client = await clients.create(
          ctx.principal.tenantId,
          {
            name: a.name,
            authType: a.auth_type,
            oauth2: toOAuth2Input(oauth2) ?? null,
            credentialsSchema: a.credentials_schema,
          },
          auditActorOf(ctx),
        );
        return createdResult(authClientSpec, client, ctx);
      },
    }),
    route({
      method: 'PATCH',
      path: '/v2/tenants/:tenant/auth-clients/:id',
      access: access.tenant('tenants.auth_client.edit'),
      response: { status: 200, type: 'auth-client' },
      body: 'auth-client-update',
      handler: async (ctx) => {
        const id = ctx.params.id ?? '';
        await clients.get(ctx.principal.tenantId, id);
        const a = assertResource(ctx.body, 'auth-client', id).attributes ?? {};
        const client = await clients.update(
          ctx.principal.tenantId,
          id,
          {
            ...(a.name !== undefined ? { name: a.name } : {}),
            ...(a.auth_type !== undefined ? { authType: a.auth_type } : {}),
            ...(a.oauth2 !== undefined ? { oauth2: toOAuth2Input(a.oauth2) ?? null } : {}),
            ...(a.credentials_schema !== undefined ? { credentialsSchema: a.credentials_schema } : {}),
          },
          auditActorOf(ctx),
        );
        return resourceResult(authClientSpec, client, ctx);
      },
    }),
    route({
      method: 'DELETE',
      path: '/v2/tenants/:tenant/auth-clients/:id',
      access: access.tenant('tenants.auth_client.delete'),
      response: { status: 204 },
      handler: async (ctx) => {
        await clients.remove(ctx.principal.tenantId, ctx.params.id ?? '', auditActorOf(ctx));
        return { status: 204 };
      },
    }),
  ];
}
