// The OpenAPI 3.1 description of the service (GET /v2/openapi.json), generated from the route
// table and the JSON Schemas: each route's path, access rule, query spec and body schema id, and
// its `response` declarations with the resource schemas of schemas/resources/. Nothing in it is
// written by hand, so it cannot drift from what the routes enforce; test/openapi/ checks it against
// the OpenAPI 3.1 schema and every response the test suite receives against it.
import { RESOURCE_FIELDS } from '../jsonapi/resource-types.js';
import type { Access, AnyRoute } from '../route-table.js';
import { requestSchemas } from '../validation/request-schemas.generated.js';
import { openApiPath, parametersOf } from './operation-parameters.js';
import { documentComponents, errorResponseComponents, responsesOf } from './operation-responses.js';
import { declarationsOf } from './response-declaration.js';
import { loadResponseSchemas, resourceSchemaId } from './response-schemas.js';
import { componentRef, type SchemaObject, toComponents } from './schema-components.js';

/** The version of the HTTP contract (docs/API.md) the description follows. */
export const API_VERSION = '2.1';

const REQUEST_MEDIA_TYPES = ['application/vnd.api+json', 'application/json'];

function accessDescription(access: Access): string {
  switch (access.kind) {
    case 'public':
      return 'No authentication.';
    case 'authenticated':
      return 'Any valid API key.';
    case 'tenant':
      return access.permission === null
        ? 'A user of the tenant.'
        : `Permission \`${access.permission}\` in the tenant.`;
    case 'workspace':
      return `Permission \`${access.permission}\` in the workspace (a workspace the caller cannot see is a 404).`;
    case 'user':
      return `The user themself (\`me\`), or permission \`${access.permission}\` in their tenant.`;
  }
}

/** The types a resource's relationships point at, read from its resource schema. */
function relatedTypesOf(resourceSchema: SchemaObject): string[] {
  const relationships = (resourceSchema.properties as SchemaObject | undefined)?.relationships as
    | {
        properties?: Record<
          string,
          { properties?: { data?: { properties?: { type?: { const?: string } } } } }
        >;
      }
    | undefined;
  return [
    ...new Set(
      Object.values(relationships?.properties ?? {}).flatMap(
        (r) => r.properties?.data?.properties?.type?.const ?? [],
      ),
    ),
  ];
}

function resourceSchemaOf(schemas: Record<string, object>, type: string): SchemaObject {
  const schema = schemas[resourceSchemaId(type)];
  if (!schema)
    throw new Error(`No resource schema for type "${type}": add schemas/resources/${type}.schema.json`);
  return schema as SchemaObject;
}

function operationOf(route: AnyRoute) {
  const parameters = parametersOf(route);
  return {
    description: accessDescription(route.access),
    ...(route.access.kind === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              REQUEST_MEDIA_TYPES.map((m) => [m, { schema: { $ref: componentRef(route.body as string) } }]),
            ),
          },
        }
      : {}),
    responses: responsesOf(route),
  };
}

export function buildOpenApiDocument(routes: readonly AnyRoute[]): Record<string, unknown> {
  const responseSchemas = loadResponseSchemas();
  const types = Object.keys(RESOURCE_FIELDS);
  const metaSchemas = [
    ...new Set(
      routes.flatMap((r) => declarationsOf(r.response).flatMap((d) => ('meta' in d ? [d.meta] : []))),
    ),
  ];
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Auth-secret service',
      version: API_VERSION,
      description:
        'Multi-tenant store of third-party credentials (OAuth2 tokens, API keys) behind a JSON:API 1.1 interface. ' +
        'Generated from the route table and the JSON Schemas of the service. Every route served with GET also answers HEAD.',
    },
    paths,
    components: {
      schemas: {
        ...toComponents({ ...requestSchemas, ...responseSchemas }),
        ...documentComponents(
          types,
          (type) => relatedTypesOf(resourceSchemaOf(responseSchemas, type)),
          metaSchemas,
        ),
      },
      responses: errorResponseComponents(),
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic', description: 'EMAIL:API_KEY (`curl -u EMAIL:API_KEY`).' },
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API key alone.' },
      },
    },
    security: [{ basicAuth: [] }, { bearerAuth: [] }],
  };
}
