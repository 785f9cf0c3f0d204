// The responses of one route in the OpenAPI description: what its `response` declarations say it
// answers on success, and the JSON:API error document for every error status its kind of route
// can meet in the request pipeline (src/app.ts, mount-routes.ts). Any other error status (a 502
// from an OAuth provider, a 412 …) is the `default` response: the same error document.
import { JSONAPI_MEDIA_TYPE } from '../jsonapi/media-type.js';
import type { AnyRoute } from '../route-table.js';
import { declarationsOf, type ResponseDeclaration } from './response-declaration.js';
import { resourceSchemaId } from './response-schemas.js';
import { componentRef, definitionComponent, type SchemaObject } from './schema-components.js';

export const ERROR_DOCUMENT = definitionComponent('jsonapi', 'errorDocument');

/** Component names of the JSON:API documents around resources of `type`. */
export const documentComponent = (type: string, many: boolean) =>
  many ? `${type}-collection-document` : `${type}-document`;
export const metaDocumentComponent = (metaSchema: string) => `${metaSchema}-document`;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: "Created: `Location` is the new resource's `links.self`",
  202: 'Accepted: queued, not done yet; the document is what to watch',
  204: 'No content',
  303: 'See `Location`',
  304: 'Not modified (the `If-None-Match` ETag is current)',
  400: 'Malformed document, or an unknown or invalid query parameter',
  401: 'Missing or wrong credentials (`WWW-Authenticate: Basic realm="auth-secrets"`)',
  403: 'Visible, but the caller lacks the permission',
  404: 'Not found, or not visible to the caller',
  406: 'The Accept header admits no JSON',
  409: 'Conflict: type or id mismatch, a name already taken, or a state that forbids the change',
  412: '`If-Match` names no current ETag: nothing was changed',
  413: 'Request body too large',
  415: 'Unsupported request media type',
  422: 'A well-formed document whose values break a rule',
  429: 'Rate limited (`Retry-After`)',
  500: 'A bug',
  503: 'A dependency (the database) is unavailable (`Retry-After`)',
  504: 'The request did not finish in time',
};

const withContent = (mediaType: string, schema: SchemaObject) => ({ content: { [mediaType]: { schema } } });

const LOCATION = { Location: { required: true, schema: { type: 'string', format: 'uri' } } };
const ETAG = {
  ETag: {
    required: true,
    description: 'The strong entity tag of the resource, for `If-Match`.',
    schema: { type: 'string', pattern: '^"[\\x21\\x23-\\x7e]*"$' },
  },
};

export function errorStatusesOf(
  route: Pick<AnyRoute, 'method' | 'path' | 'access' | 'body' | 'ifMatch'>,
): number[] {
  const authenticated = route.access.kind !== 'public';
  const guarded =
    route.access.kind === 'workspace' ||
    route.access.kind === 'user' ||
    (route.access.kind === 'tenant' && route.access.permission !== null);
  return [
    400,
    ...(authenticated ? [401] : []),
    ...(guarded ? [403] : []),
    ...(route.path.includes(':') ? [404] : []),
    406,
    ...(route.method !== 'GET' ? [409] : []),
    ...(route.ifMatch ? [412] : []),
    ...(route.body ? [413, 415, 422] : []),
    ...(authenticated ? [429] : []),
    500,
    503,
    504,
  ];
}

function successResponse(declaration: ResponseDeclaration) {
  const description = STATUS_TEXT[declaration.status] ?? String(declaration.status);
  if ('type' in declaration) {
    const response = {
      description,
      ...withContent(JSONAPI_MEDIA_TYPE, {
        $ref: componentRef(documentComponent(declaration.type, declaration.many === true)),
      }),
    };
    const headers = {
      ...(declaration.status === 201 ? LOCATION : {}),
      ...(declaration.etag ? ETAG : {}),
    };
    return Object.keys(headers).length > 0 ? { ...response, headers } : response;
  }
  if ('meta' in declaration) {
    return {
      description,
      ...withContent(JSONAPI_MEDIA_TYPE, { $ref: componentRef(metaDocumentComponent(declaration.meta)) }),
    };
  }
  if ('json' in declaration) {
    return { description, ...withContent('application/json', { $ref: componentRef(declaration.json) }) };
  }
  if ('html' in declaration) return { description, ...withContent('text/html', { type: 'string' }) };
  if (declaration.status === 303) {
    return { description, headers: LOCATION };
  }
  return { description };
}

/** Name of the shared response of an error status (`default`: any other error). */
export const errorResponseComponent = (status: number | 'default') => `error-${status}`;

export function responsesOf(route: AnyRoute): Record<string, object> {
  const responses: Record<string, object> = {};
  for (const declaration of declarationsOf(route.response)) {
    responses[String(declaration.status)] = successResponse(declaration);
  }
  for (const status of errorStatusesOf(route)) {
    const declared = responses[String(status)] as { content?: Record<string, unknown> } | undefined;
    // A status the route answers itself (the OAuth callback's HTML 400) can still come from the
    // pipeline as an error document (a query too long): both media types.
    responses[String(status)] = declared
      ? { ...declared, content: { ...declared.content, ...errorContent() } }
      : { $ref: `#/components/responses/${errorResponseComponent(status)}` };
  }
  responses.default = { $ref: `#/components/responses/${errorResponseComponent('default')}` };
  return responses;
}

const errorContent = () => ({ [JSONAPI_MEDIA_TYPE]: { schema: { $ref: componentRef(ERROR_DOCUMENT) } } });

/** The error responses operations refer to: each the JSON:API error document, described by status. */
export function errorResponseComponents(): Record<string, object> {
  const error = { content: errorContent() };
  const components: Record<string, object> = {};
  for (const [status, description] of Object.entries(STATUS_TEXT)) {
    if (Number(status) >= 400) components[errorResponseComponent(Number(status))] = { description, ...error };
  }
  components[errorResponseComponent('default')] = { description: 'Any other error', ...error };
  return components;
}

/**
 * The JSON:API documents around the resource object schema of each type: one resource, and a
 * page of them (`links.self`, `links.next` when more data exists). `included` holds resources of
 * the types the resource's relationships point at.
 */
export function documentComponents(
  types: readonly string[],
  relatedTypesOf: (type: string) => string[],
  metaSchemas: readonly string[],
): Record<string, SchemaObject> {
  const shared = {
    jsonapi: { $ref: componentRef(definitionComponent('jsonapi', 'jsonapiObject')) },
    links: { $ref: componentRef(definitionComponent('jsonapi', 'documentLinks')) },
    meta: { $ref: componentRef(definitionComponent('jsonapi', 'meta')) },
  };
  const components: Record<string, SchemaObject> = {};
  for (const type of types) {
    const resource = { $ref: componentRef(resourceSchemaId(type)) };
    const related = relatedTypesOf(type);
    const included: SchemaObject =
      related.length > 0
        ? {
            included: {
              type: 'array',
              items: { anyOf: related.map((t) => ({ $ref: componentRef(resourceSchemaId(t)) })) },
            },
          }
        : {};
    for (const many of [false, true]) {
      components[documentComponent(type, many)] = {
        type: 'object',
        required: ['data'],
        properties: { ...shared, data: many ? { type: 'array', items: resource } : resource, ...included },
        additionalProperties: false,
      };
    }
  }
  for (const meta of metaSchemas) {
    components[metaDocumentComponent(meta)] = {
      type: 'object',
      required: ['meta'],
      properties: { jsonapi: shared.jsonapi, meta: { $ref: componentRef(meta) } },
      additionalProperties: false,
    };
  }
  return components;
}
