// What an inline `credentials_schema` may look like (API.md §8.3), checked before Ajv ever sees it:
// a closed list of keywords, a size and a nesting bound, and a root that describes an object.
//
// The keyword list is what keeps a tenant from making validation slow or reaching outside the
// schema: no `pattern` (regular expressions: catastrophic backtracking), no `$ref`/`$defs`/`$id`
// (references, recursion), no `format` (unbounded format checks), no `if`/`allOf`/`not`/… (combinators
// that multiply work). Every keyword left is linear in the size of the credentials.
//
// The walk knows where schemas sit: each value of `properties` is a schema (its key is a property
// NAME, so a property called "pattern" is fine), `additionalProperties` and `items` hold a schema (or
// a list of them), and the values of `enum`/`const` are data, never walked.
import { escapePointer } from '../../http/validation/schema-registry.js';

export const CREDENTIALS_SCHEMA_LIMITS = {
  /** Serialised JSON in UTF-8 bytes. */
  maxBytes: 16 * 1024,
  /**
   * Levels of schemas nested through properties/additionalProperties/items; the root is level 1.
   * Credentials nest at most 16 levels (CREDENTIAL_LIMITS), but a schema that deep is not one anyone
   * writes for credentials; 10 keeps compiled validators small and is reachable under the request
   * body's own JSON depth limit (32), so the bound is a rule clients can meet, not a theory.
   */
  maxDepth: 10,
} as const;

export const ALLOWED_SCHEMA_KEYWORDS: readonly string[] = [
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'title',
  'description',
];
const ALLOWED = new Set(ALLOWED_SCHEMA_KEYWORDS);

export interface SchemaProblem {
  code: string;
  detail: string;
  pointer: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

// A UTF-16 surrogate without its partner: JSON allows "\ud800", PostgreSQL's jsonb refuses it.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Pointers of every string and member name in `value` holding an unpaired surrogate: the column is
 * jsonb, which cannot store one, and the client should hear where rather than get a 500. Iterative;
 * `value` is bounded in size by the caller.
 */
export function unpairedSurrogatePointers(value: unknown, pointer: string): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[value, pointer]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, at] = item;
    if (typeof node === 'string') {
      if (UNPAIRED_SURROGATE.test(node)) found.push(at);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        const childAt = `${at}/${escapePointer(key)}`;
        if (UNPAIRED_SURROGATE.test(key)) found.push(childAt);
        else stack.push([child, childAt]);
      }
    }
  }
  return found.sort();
}

/** At most this many characters of a schema's own text in a detail (the pointer has it whole). */
const shown = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);

/**
 * Every problem of shape in an inline schema sent at `pointer`: each unsupported keyword (all of
 * them, wherever they are), schemas nested too deep, and a root that does not describe an object.
 * Iterative and breadth-first, so problems come in document order of depth; `schema` is already
 * bounded in size by the caller.
 */
export function schemaShapeProblems(schema: Record<string, unknown>, pointer: string): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (schema.type !== 'object') {
    problems.push({
      code: 'invalid_credentials_schema',
      detail: 'A credentials schema describes the credentials object: its root must have "type": "object".',
      pointer: 'type' in schema ? `${pointer}/type` : pointer,
    });
  }
  const queue: { node: unknown; at: string; depth: number }[] = [{ node: schema, at: pointer, depth: 1 }];
  // Each schema is queued once, by its parent: the queue ends when the (finite, parsed) JSON does.
  for (let i = 0; i < queue.length; i++) {
    const { node, at, depth } = queue[i] as (typeof queue)[number];
    // Booleans are schemas too (true: anything, false: nothing); other values are left to Ajv's
    // meta-schema check, which reports them with their pointer.
    if (!isObject(node)) continue;
    if (depth > CREDENTIALS_SCHEMA_LIMITS.maxDepth) {
      problems.push({
        code: 'credentials_schema_too_deep',
        detail: `A credentials schema may nest schemas at most ${CREDENTIALS_SCHEMA_LIMITS.maxDepth} levels deep.`,
        pointer: at,
      });
      continue;
    }
    const child = (value: unknown, childAt: string) => {
      queue.push({ node: value, at: childAt, depth: depth + 1 });
    };
    for (const [keyword, value] of Object.entries(node)) {
      const keywordAt = `${at}/${escapePointer(keyword)}`;
      if (!ALLOWED.has(keyword)) {
        problems.push({
          code: 'unsupported_schema_keyword',
          detail: `"${shown(keyword)}" is not a keyword credential schemas may use. Allowed: ${ALLOWED_SCHEMA_KEYWORDS.join(', ')}.`,
          pointer: keywordAt,
        });
      } else if (keyword === 'properties' && isObject(value)) {
        for (const [name, schemaOfName] of Object.entries(value)) {
          // JSON.parse makes "__proto__" an own member, but every later copy (the response's
          // serializer among them) would set a prototype instead: the schema shown would not be the
          // one enforced.
          if (name === '__proto__') {
            problems.push({
              code: 'invalid_credentials_schema',
              detail: '"__proto__" cannot be used as a property name.',
              pointer: `${keywordAt}/${escapePointer(name)}`,
            });
          } else child(schemaOfName, `${keywordAt}/${escapePointer(name)}`);
        }
      } else if (keyword === 'items' && Array.isArray(value)) {
        for (const [index, item] of value.entries()) child(item, `${keywordAt}/${index}`);
      } else if (keyword === 'items' || keyword === 'additionalProperties') {
        child(value, keywordAt);
      }
    }
  }
  return problems;
}
