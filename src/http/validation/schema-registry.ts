// One Ajv instance for the whole service. Every request JSON Schema in schemas/ is compiled once at
// start-up; routes name the schema they want by its $id. They are loaded from the generated module
// the body types are derived from, so what is validated and what handlers are typed to read are
// the same objects.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ApiError, type ApiErrorItem } from '../../errors/api-error.js';
import { requestSchemas } from './request-schemas.generated.js';

export interface SchemaRegistry {
  /** Validates `value` against schema `id`; throws one ApiError listing every problem. */
  assertValid(id: string, value: unknown, pointerPrefix?: string): void;
  has(id: string): boolean;
}

export function createSchemaRegistry(schemas: Record<string, object> = requestSchemas): SchemaRegistry {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats.default(ajv);
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  const compiled = new Map<string, ValidateFunction>();
  const get = (id: string) => {
    let fn = compiled.get(id);
    if (!fn) {
      fn = ajv.getSchema(id);
      if (!fn) throw new Error(`Unknown schema "${id}"`);
      compiled.set(id, fn);
    }
    return fn;
  };
  return {
    has: (id) => ajv.getSchema(id) !== undefined,
    assertValid(id, value, pointerPrefix = '') {
      const validate = get(id);
      if (validate(value)) return;
      throw validationError(validate.errors ?? [], pointerPrefix);
    },
  };
}

// Problems inside attributes/relationships are values breaking a rule (422); anything above
// them means the document itself is malformed (400). API.md §1.
const VALUE_POINTER = /^\/data\/(attributes|relationships)(\/|$)/;

export function validationError(errors: ErrorObject[], pointerPrefix = ''): ApiError {
  // `if` and `propertyNames` only repeat what the errors beside them say more precisely.
  const items = dedupe(
    errors
      .filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames')
      .map((e) => toItem(e, pointerPrefix)),
  );
  const isValue = (i: ApiErrorItem) => VALUE_POINTER.test(i.source?.pointer ?? '');
  const structural = items
    .filter((i) => !isValue(i))
    .map((i) => ({ ...i, status: 400, title: 'Invalid document' }));
  // A malformed document is a 400 (structural items first: the first item sets the status), but
  // its value problems are listed too: API.md §1 wants every problem reported, not only the first.
  return new ApiError([...structural, ...items.filter(isValue)]);
}

function toItem(e: ErrorObject, prefix: string): ApiErrorItem {
  let pointer = prefix + e.instancePath;
  let detail = `${pointer || 'The document'} ${e.message ?? 'is invalid'}.`;
  let code = 'invalid_value';
  if (e.keyword === 'additionalProperties') {
    pointer = `${pointer}/${escapePointer(String(e.params.additionalProperty))}`;
    detail = `${pointer} is not allowed here.`;
    code = 'unknown_member';
  } else if (e.propertyName !== undefined) {
    // A key that breaks the object's `propertyNames` rule: point at the member it names.
    pointer = `${pointer}/${escapePointer(e.propertyName)}`;
    detail = `The key of ${pointer} ${e.message ?? 'is invalid'}.`;
    code = 'invalid_key';
  } else if (e.keyword === 'required') {
    pointer = `${pointer}/${escapePointer(String(e.params.missingProperty))}`;
    detail = `${pointer} is required.`;
    code = 'missing_member';
  }
  return { status: 422, code, title: 'Invalid value', detail, source: { pointer } };
}

export const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function dedupe(items: ApiErrorItem[]): ApiErrorItem[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.source?.pointer}|${i.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
