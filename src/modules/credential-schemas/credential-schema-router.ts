// GET /v2/credential-schemas and GET /v2/credential-schemas/{name} (API.md §8.3): the built-in
// catalogue, readable by every authenticated caller (it holds nothing of any tenant), built like
// GET /v2/permissions.
import { notFound } from '../../errors/api-error.js';
import type { ResourceSpec } from '../../http/jsonapi/document-builder.js';
import { collectionResult, resourceResult } from '../../http/responses.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import {
  BUILT_IN_CREDENTIAL_SCHEMAS,
  type BuiltInCredentialSchema,
  CREDENTIAL_SCHEMA_CATALOGUE_DATE,
} from './built-in-credential-schemas.js';

export const credentialSchemaSpec: ResourceSpec<BuiltInCredentialSchema> = {
  type: 'credential-schema',
  id: (s) => s.name,
  attributes: (s) => ({
    title: s.title,
    schema: s.schema,
    created_at: CREDENTIAL_SCHEMA_CATALOGUE_DATE,
    updated_at: CREDENTIAL_SCHEMA_CATALOGUE_DATE,
  }),
  selfPath: (s) => `/v2/credential-schemas/${s.name}`,
};

export function credentialSchemaRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v2/credential-schemas',
      access: access.authenticated,
      response: { status: 200, type: 'credential-schema', many: true },
      handler: async (ctx) =>
        collectionResult(credentialSchemaSpec, [...BUILT_IN_CREDENTIAL_SCHEMAS.values()], ctx),
    }),
    route({
      method: 'GET',
      path: '/v2/credential-schemas/:name',
      access: access.authenticated,
      response: { status: 200, type: 'credential-schema' },
      handler: async (ctx) => {
        // Map#get: a name such as "__proto__" or "constructor" finds nothing (404), never a prototype member.
        const schema = BUILT_IN_CREDENTIAL_SCHEMAS.get(ctx.params.name ?? '');
        if (!schema) throw notFound('credential schema');
        return resourceResult(credentialSchemaSpec, schema, ctx);
      },
    }),
  ];
}
