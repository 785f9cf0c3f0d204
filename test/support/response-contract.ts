// Checks recorded responses (response-recorder.ts) against the OpenAPI description of the app that
// sent them: the route's response for that status (or its `default`), its required headers, its media
// type, and its body against the response schema, compiled by ajv in the description's dialect (JSON Schema 2020-12).
// A response no route handled (a 404 for an unknown path, a 405, a 415 before routing) must be
// the JSON:API error document.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../src/http/openapi/openapi-document.js';
import { openApiPath } from '../../src/http/openapi/operation-parameters.js';
import { ERROR_DOCUMENT } from '../../src/http/openapi/operation-responses.js';
import { componentRef } from '../../src/http/openapi/schema-components.js';
import type { AnyRoute } from '../../src/http/route-table.js';
import type { RecordedResponse } from './response-recorder.js';

/** What is not part of the description: Prometheus text, mounted outside the route table. */
const OUTSIDE_THE_DESCRIPTION = new Set(['/metrics']);

const DOCUMENT_ID = 'openapi.json';

type OpenApiDocument = {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components: { responses: Record<string, ResponseObject> };
};
type ResponseObject = {
  $ref?: string;
  content?: Record<string, { schema: object }>;
  headers?: Record<string, { required?: boolean }>;
};

const SHARED_RESPONSE = /^#\/components\/responses\/([^/]+)$/;

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** One description and its compiled schemas, per distinct route table. */
export class ContractChecker {
  readonly document: OpenApiDocument;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(routes: readonly AnyRoute[]) {
    this.document = buildOpenApiDocument(routes) as unknown as OpenApiDocument;
    this.ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats.default(this.ajv);
    // The members of an OpenAPI document around its schemas: keywords that validate nothing, so
    // that the document can be added whole and `#/components/schemas/…` resolves inside it.
    this.ajv.addVocabulary(['openapi', 'info', 'paths', 'components', 'security']);
    this.ajv.addSchema(this.document, DOCUMENT_ID);
  }

  private validatorAt(pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }

  /** Every way `r` departs from the description: empty when it conforms. */
  check(r: RecordedResponse): string[] {
    // /metrics names itself as its route (for the request metrics) but is not in the route table.
    if (OUTSIDE_THE_DESCRIPTION.has(r.url.split('?')[0] ?? '')) return [];
    const method = r.method === 'HEAD' ? 'get' : r.method.toLowerCase();
    const path = r.route === undefined ? undefined : openApiPath(r.route);
    const where = `${r.method} ${r.route ?? r.url.split('?')[0]} → ${r.status}`;
    const operation = path === undefined ? undefined : this.document.paths[path]?.[method];
    if (path !== undefined && !operation) return [`${where}: the route has no operation in the description`];
    if (!operation) {
      if (r.status < 400) return [`${where}: a success outside every route of the description`];
      return this.checkBody(r, where, 'application/vnd.api+json', componentRef(ERROR_DOCUMENT));
    }
    const status = Object.hasOwn(operation.responses, String(r.status)) ? String(r.status) : 'default';
    let response = operation.responses[status];
    let responsePointer = `#/paths/${escapePointer(path as string)}/${method}/responses/${status}`;
    // Error statuses refer to the shared responses of components.responses.
    const shared = SHARED_RESPONSE.exec(response?.$ref ?? '')?.[1];
    if (shared !== undefined) {
      response = this.document.components.responses[shared];
      responsePointer = `#/components/responses/${shared}`;
    }
    if (!response) return [`${where}: status not described`];
    const missingHeaders = Object.entries(response.headers ?? {})
      .filter(([name, header]) => header.required && !r.headerNames.includes(name.toLowerCase()))
      .map(([name]) => `${where}: header ${name} is described as required but was not sent`);
    if (missingHeaders.length > 0) return missingHeaders;
    const content = response.content;
    if (!content) return r.body.length === 0 ? [] : [`${where}: described without a body, but has one`];
    const mediaType = describedMediaType(Object.keys(content), r.contentType ?? '');
    if (mediaType === undefined) {
      return [
        `${where}: Content-Type ${JSON.stringify(r.contentType)}, described: ${Object.keys(content).join(', ')}`,
      ];
    }
    // HEAD: the headers of a GET, no body. A page for browsers (text/html) is text, not a document.
    if (r.method === 'HEAD' || !mediaType.includes('json')) return [];
    return this.checkBody(
      r,
      where,
      mediaType,
      `${responsePointer}/content/${escapePointer(mediaType)}/schema`,
    );
  }

  private checkBody(r: RecordedResponse, where: string, mediaType: string, schemaPointer: string): string[] {
    if (r.contentType !== mediaType)
      return [`${where}: Content-Type ${JSON.stringify(r.contentType)}, expected ${mediaType}`];
    let body: unknown;
    try {
      body = JSON.parse(r.body.toString('utf8'));
    } catch {
      return [`${where}: the body is not JSON`];
    }
    const validate = this.validatorAt(schemaPointer);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${where}: ${describe(e)}`);
  }
}

/**
 * The described media type a response's Content-Type stands for: the same string (JSON types must
 * be bare, API.md §1), or for text a type with parameters (`text/html; charset=utf-8`).
 */
function describedMediaType(described: string[], contentType: string): string | undefined {
  if (described.includes(contentType)) return contentType;
  const essence = contentType.split(';')[0]?.trim() ?? '';
  return essence.startsWith('text/') && described.includes(essence) ? essence : undefined;
}

function describe(e: ErrorObject): string {
  const extra =
    e.keyword === 'additionalProperties'
      ? ` (${String(e.params.additionalProperty)})`
      : e.keyword === 'const' || e.keyword === 'enum'
        ? ` (${JSON.stringify(e.params)})`
        : '';
  return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra} [schema ${e.schemaPath}]`;
}

/** Checks every recorded response; one checker per distinct route table. */
export function contractViolations(responses: readonly RecordedResponse[]): string[] {
  const checkers = new Map<readonly AnyRoute[], ContractChecker>();
  const bySignature = new Map<string, ContractChecker>();
  const violations: string[] = [];
  for (const r of responses) {
    let checker = checkers.get(r.routes);
    if (!checker) {
      const signature = r.routes.map((route) => `${route.method} ${route.path}`).join('\n');
      checker = bySignature.get(signature) ?? new ContractChecker(r.routes);
      bySignature.set(signature, checker);
      checkers.set(r.routes, checker);
    }
    violations.push(...checker.check(r));
  }
  return violations;
}
