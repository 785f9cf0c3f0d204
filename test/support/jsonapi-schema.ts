import { AssertionError } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const JSON_API_MEDIA_TYPE = 'application/vnd.api+json';

/** The parts of a supertest response these helpers look at. */
export interface HttpResponseLike {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
  text?: string;
}

export interface JsonApiError {
  status?: string;
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string; header?: string };
  [member: string]: unknown;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The official response schema: JSONAPI_SCHEMA_PATH if set, else a copy vendored in the
// repository, else the shared reference folder beside the repository.
const schemaCandidates = [
  process.env.JSONAPI_SCHEMA_PATH,
  path.join(repoRoot, 'test/fixtures/jsonapi/schema.json'),
  path.resolve(repoRoot, '../shared/reference/jsonapi/schema.json'),
].filter((candidate): candidate is string => Boolean(candidate));

export const JSON_API_SCHEMA_PATH =
  schemaCandidates.find((candidate) => existsSync(candidate)) ?? (schemaCandidates.at(-1) as string);

let validateDocument: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!validateDocument) {
    if (!existsSync(JSON_API_SCHEMA_PATH)) {
      throw new Error(`JSON:API schema not found; looked in: ${schemaCandidates.join(', ')}`);
    }
    const schema = JSON.parse(readFileSync(JSON_API_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
    // The schema declares draft 2020-12. strictRequired is off because it lists members
    // under `required` inside anyOf branches without redeclaring their `properties`.
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false });
    // Full mode (the default): fast mode's `uri` accepts anything without whitespace.
    addFormats.default(ajv, { mode: 'full' });
    validateDocument = ajv.compile(schema);
  }
  return validateDocument;
}

/** Validates a JSON:API response document; returns Ajv's errors, or [] when valid. */
export function jsonApiSchemaErrors(document: unknown): ErrorObject[] {
  const validate = validator();
  return validate(document) ? [] : [...(validate.errors ?? [])];
}

function show(value: unknown, limit = 4000): string {
  const text = JSON.stringify(value, null, 2) ?? String(value);
  return text.length > limit ? `${text.slice(0, limit)}\n… (${text.length - limit} more characters)` : text;
}

function describeAjvError(e: ErrorObject): string {
  const value = e.data !== null && typeof e.data === 'object' ? '' : ` (value: ${JSON.stringify(e.data)})`;
  return `  ${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}${value}`;
}

function describeResponse(res: HttpResponseLike): string {
  const contentType = res.headers['content-type'] ?? '(none)';
  const body = documentOf(res);
  return `HTTP ${res.status}, Content-Type: ${contentType}\nbody: ${show(body)}`;
}

function fail(message: string, res: HttpResponseLike): never {
  throw new AssertionError({ message: `${message}\n${describeResponse(res)}` });
}

function hasNoBody(res: HttpResponseLike): boolean {
  if (res.text !== undefined) return res.text === '';
  return (
    res.body === undefined ||
    res.body === null ||
    (typeof res.body === 'object' && Object.keys(res.body).length === 0)
  );
}

// supertest parses bodies by Content-Type; with a wrong type the parsed body is {} and only
// `text` holds the document, so fall back to parsing it for a useful message.
function documentOf(res: HttpResponseLike): unknown {
  const parsedIsEmpty =
    res.body === undefined ||
    (typeof res.body === 'object' && res.body !== null && Object.keys(res.body).length === 0);
  if (parsedIsEmpty && res.text) {
    try {
      return JSON.parse(res.text) as unknown;
    } catch {
      return res.text;
    }
  }
  return res.body;
}

/**
 * Asserts that a response is a JSON:API document: `Content-Type` exactly
 * `application/vnd.api+json` (no parameters such as charset) and a body valid against the
 * official JSON:API response schema, `uri` formats included. 204 and 304 must have no body.
 */
export function assertJsonApiResponse(res: HttpResponseLike): void {
  if (res.status === 204 || res.status === 304) {
    if (!hasNoBody(res)) fail(`expected no body with status ${res.status}`, res);
    return;
  }
  if (hasNoBody(res)) fail('expected a JSON:API document in the body', res);
  const contentType = res.headers['content-type'];
  if (contentType !== JSON_API_MEDIA_TYPE) {
    fail(`expected Content-Type exactly "${JSON_API_MEDIA_TYPE}", got ${JSON.stringify(contentType)}`, res);
  }
  const errors = jsonApiSchemaErrors(documentOf(res));
  if (errors.length > 0) {
    const list = errors.map(describeAjvError).join('\n');
    fail(`response is not a valid JSON:API document (${JSON_API_SCHEMA_PATH}):\n${list}`, res);
  }
}

/**
 * Asserts an error response: the HTTP status, a valid JSON:API error document whose first
 * error carries `status` as the string of that status and, when given, `code`.
 * Returns the errors so a test can check more (pointers, further codes).
 */
export function expectError(res: HttpResponseLike, status: number, code?: string): JsonApiError[] {
  if (res.status !== status) fail(`expected HTTP ${status}, got ${res.status}`, res);
  assertJsonApiResponse(res);
  const body = documentOf(res) as { errors?: unknown };
  if (!Array.isArray(body.errors) || body.errors.length === 0) {
    fail('expected a non-empty top-level "errors" array', res);
  }
  const errors = body.errors as JsonApiError[];
  const first = errors[0];
  if (first?.status !== String(status)) {
    fail(`expected errors[0].status to be "${status}", got ${JSON.stringify(first?.status)}`, res);
  }
  if (code !== undefined && first.code !== code) {
    fail(`expected errors[0].code to be "${code}", got ${JSON.stringify(first.code)}`, res);
  }
  return errors;
}
