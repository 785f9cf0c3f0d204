// The parameters of one route in the OpenAPI description: its path parameters, and the query
// parameters its QuerySpec admits (src/http/jsonapi/query.ts is what enforces them). The JSON:API
// families `filter[…]`, `fields[…]` and `page[…]` are `deepObject` parameters, so a generated
// client passes `{ filter: { state: 'ready' }, page: { size: 10 } }` and sends `filter[state]=ready`.
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type QuerySpec } from '../jsonapi/query.js';
import { RESOURCE_FIELDS } from '../jsonapi/resource-types.js';
import type { AnyRoute } from '../route-table.js';
import type { SchemaObject } from './schema-components.js';

type ParameterObject = {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  style?: string;
  explode?: boolean;
  schema: SchemaObject;
};

const PATH_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** `/v2/workspaces/:workspace` → `/v2/workspaces/{workspace}`. */
export const openApiPath = (routePath: string) => routePath.replace(PATH_PARAM, '{$1}');

const uuid: SchemaObject = { type: 'string', format: 'uuid' };

// Tenants and workspaces are always named by UUID, users also as `me`. Other ids depend on the
// collection (a permission's id is its name), so they are plain strings; a malformed one is a 404.
const PATH_PARAM_SCHEMAS: Record<string, SchemaObject> = {
  tenant: uuid,
  workspace: uuid,
  user: { anyOf: [uuid, { const: 'me' }] },
};

// API.md §9.3: PATCH and DELETE of an auth-secret take the ETag a response gave them.
const IF_MATCH: ParameterObject = {
  name: 'If-Match',
  in: 'header',
  description:
    'Change only if the resource still has one of these strong ETags (or any, with `*`); else 412 precondition_failed and nothing changed.',
  schema: { type: 'string' },
};

export function parametersOf(
  route: Pick<AnyRoute, 'method' | 'path' | 'query' | 'ifMatch'>,
): ParameterObject[] {
  const path = [...route.path.matchAll(PATH_PARAM)].map(([, name = '']) => ({
    name,
    in: 'path' as const,
    required: true,
    schema: PATH_PARAM_SCHEMAS[name] ?? { type: 'string' },
  }));
  return [
    ...path,
    ...queryParametersOf(route.query ?? {}, route.method),
    ...(route.ifMatch ? [IF_MATCH] : []),
  ];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A comma-separated list of `names` (empty allowed when `allowEmpty`), as a pattern. */
function listPattern(names: readonly string[], allowEmpty: boolean): string {
  const one = `(${names.map(escapeRegExp).join('|')})`;
  return allowEmpty ? `^(${one}(,${one})*)?$` : `^${one}(,${one})*$`;
}

function queryParametersOf(spec: QuerySpec, method: string): ParameterObject[] {
  const parameters: ParameterObject[] = [];
  const deepObject = (
    name: string,
    description: string,
    properties: Record<string, SchemaObject>,
    patternProperties: Record<string, SchemaObject> = {},
  ) =>
    parameters.push({
      name,
      in: 'query',
      description,
      style: 'deepObject',
      explode: true,
      schema: {
        type: 'object',
        properties,
        ...(Object.keys(patternProperties).length > 0 ? { patternProperties } : {}),
        additionalProperties: false,
      },
    });
  if (spec.ownParameters) {
    // The route reads whatever the request carries (an OAuth provider's redirect): a free-form
    // object, one query parameter per member.
    parameters.push({
      name: 'parameters',
      in: 'query',
      description: 'Any query parameters: the route reads the ones it knows and ignores the others.',
      style: 'form',
      explode: true,
      schema: { type: 'object', additionalProperties: { type: 'string' } },
    });
    return parameters;
  }
  if (spec.filters || spec.keyedFilters) {
    const properties = Object.fromEntries(
      Object.entries(spec.filters ?? {}).map(([name, kind]) => [
        name,
        kind === 'uuid'
          ? uuid
          : kind === 'string'
            ? { type: 'string', minLength: 1, maxLength: 320 }
            : { type: 'string', enum: [...kind.enum] },
      ]),
    );
    // `filter[tags.KEY]=VALUE`: one member per key, named by the prefix and the key's pattern.
    const patternProperties = Object.fromEntries(
      Object.entries(spec.keyedFilters ?? {}).map(([prefix, keyed]) => [
        `^${escapeRegExp(prefix)}\\.${keyed.key.source.replace(/^\^/, '')}`,
        { type: 'string', maxLength: keyed.maxValueLength },
      ]),
    );
    deepObject(
      'filter',
      'Only resources whose members equal these values (`filter[NAME]=VALUE`, all must hold).',
      properties,
      patternProperties,
    );
  }
  if (method === 'GET' && spec.include) {
    parameters.push({
      name: 'include',
      in: 'query',
      description: `Related resources to include, comma-separated: ${spec.include.join(', ')}.`,
      schema: { type: 'string', pattern: listPattern(spec.include, false) },
    });
  }
  if (method === 'GET') {
    const properties = Object.fromEntries(
      Object.entries(RESOURCE_FIELDS).map(([type, members]) => [
        type,
        { type: 'string', pattern: listPattern(members, true) },
      ]),
    );
    deepObject(
      'fields',
      'Sparse fieldsets: `fields[TYPE]` lists the members of TYPE to return, comma-separated.',
      properties,
    );
  }
  if (method === 'GET') {
    for (const [name, { min, max, description }] of Object.entries(spec.integers ?? {})) {
      parameters.push({
        name,
        in: 'query',
        ...(description ? { description } : {}),
        schema: { type: 'integer', minimum: min, maximum: max },
      });
    }
  }
  if (spec.paginated) {
    deepObject('page', 'Cursor pagination: `page[size]` per page, `page[cursor]` from a `links.next`.', {
      size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
      cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    });
  }
  return parameters;
}
