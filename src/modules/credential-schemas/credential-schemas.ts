// Credential schemas at run time: checking the `credentials_schema` an auth-client is written with,
// and the compiled validator its auth-secrets' credentials are checked against (API.md §8.3).
//
// One Ajv instance of its own, separate from the request-body registry: tenant schemas must never
// see the service's schemas (no formats, no shared $ids), and `strict` refuses anything ambiguous.
// Built-ins are compiled once at start-up. Inline schemas are compiled on first use and kept in a
// bounded LRU cache keyed by a hash of their content: a client's schema version is compiled once,
// whoever writes its secrets, and a changed schema (new content) gets a new entry while the old one
// ages out. Each compiled schema is removed from Ajv's own cache at once, so the LRU bound is the
// only place memory is held.
import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { BUILT_IN_CREDENTIAL_SCHEMAS } from './built-in-credential-schemas.js';
import {
  CREDENTIALS_SCHEMA_LIMITS,
  type SchemaProblem,
  schemaShapeProblems,
  unpairedSurrogatePointers,
} from './credentials-schema-rules.js';

/** A compiled credentials schema: `errors` (Ajv's) after a failed call. */
export type CredentialsValidator = ValidateFunction;

/** What auth_clients.credentials_schema holds: a built-in's name, an inline schema, or nothing. */
export type StoredCredentialsSchema = string | Record<string, unknown> | null;

export const DEFAULT_COMPILED_SCHEMA_CACHE_SIZE = 1000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function createCredentialSchemas(opts: { maxCached?: number } = {}) {
  // allErrors: every violation is reported (API.md §1). No ajv-formats: `format` is not allowed.
  // logger false: a tenant's schema must not write to the service's console.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, logger: false });
  let compilations = 0;

  /** Compiles `schema` and forgets it in Ajv at once (our cache, not Ajv's, decides what is kept). */
  function compile(schema: Record<string, unknown>): CredentialsValidator {
    try {
      compilations++;
      return ajv.compile(schema);
    } finally {
      ajv.removeSchema(schema);
    }
  }

  const builtIns = new Map(
    [...BUILT_IN_CREDENTIAL_SCHEMAS.values()].map((s) => [s.name, compile(s.schema)] as const),
  );
  const inline = new LRUCache<string, CredentialsValidator>({
    max: opts.maxCached ?? DEFAULT_COMPILED_SCHEMA_CACHE_SIZE,
  });

  /** Problems that make `schema` (an inline schema whose shape is fine) unusable, per Ajv. */
  function ajvProblems(schema: Record<string, unknown>, pointer: string): SchemaProblem[] {
    // The meta-schema check first: it points at the offending member (e.g. "type": "strnig").
    // One problem per place: the meta-schema's alternatives (anyOf) would say the same thing thrice.
    if (!ajv.validateSchema(schema)) {
      const byPlace = new Map<string, SchemaProblem>();
      for (const e of ajv.errors ?? []) {
        const at = `${pointer}${e.instancePath}`;
        if (!byPlace.has(at))
          byPlace.set(at, {
            code: 'invalid_credentials_schema',
            detail: `${at} ${e.message ?? 'is invalid'}.`,
            pointer: at,
          });
      }
      return [...byPlace.values()];
    }
    // Then what only compiling finds: strict mode's rules (a `required` member not in `properties`,
    // a keyword whose type is not declared, …). Ajv's message names the place in the schema.
    try {
      compile(schema);
      return [];
    } catch (err) {
      const message = err instanceof Error ? err.message.slice(0, 500) : 'it cannot be compiled';
      return [
        { code: 'invalid_credentials_schema', detail: `The schema is not usable: ${message}`, pointer },
      ];
    }
  }

  return {
    /**
     * Every problem with `value` as the credentials_schema of an `other` auth-client, sent at
     * `pointer`; [] when it may be stored. Names must be built-ins; inline schemas are bounded in size
     * first (everything after that walks them), then checked for shape, then by Ajv.
     */
    problemsWith(value: string | Record<string, unknown>, pointer: string): SchemaProblem[] {
      if (typeof value === 'string') {
        return BUILT_IN_CREDENTIAL_SCHEMAS.has(value)
          ? []
          : [
              {
                code: 'unknown_credentials_schema',
                detail: `There is no built-in credential schema with this name. Built-in: ${[...BUILT_IN_CREDENTIAL_SCHEMAS.keys()].join(', ')} (GET /v2/credential-schemas).`,
                pointer,
              },
            ];
      }
      if (Buffer.byteLength(JSON.stringify(value), 'utf8') > CREDENTIALS_SCHEMA_LIMITS.maxBytes) {
        return [
          {
            code: 'credentials_schema_too_large',
            detail: `An inline credentials schema may be at most ${CREDENTIALS_SCHEMA_LIMITS.maxBytes} bytes as JSON.`,
            pointer,
          },
        ];
      }
      const unstorable = unpairedSurrogatePointers(value, pointer).map((at) => ({
        code: 'invalid_character',
        detail:
          'Text in a credentials schema must not contain unpaired UTF-16 surrogates (U+D800 to U+DFFF).',
        pointer: at,
      }));
      const shape = [...unstorable, ...schemaShapeProblems(value, pointer)];
      return shape.length > 0 ? shape : ajvProblems(value, pointer);
    },

    /**
     * The validator for what a client stores (checked when it was written), or undefined when its
     * secrets take any JSON object.
     */
    validatorFor(stored: unknown): CredentialsValidator | undefined {
      if (stored === null || stored === undefined) return undefined;
      if (typeof stored === 'string') {
        const builtIn = builtIns.get(stored);
        // Names are checked when a client is written and built-ins are never removed.
        if (!builtIn) throw new Error('An auth-client names a credential schema that is not built in');
        return builtIn;
      }
      if (!isObject(stored))
        throw new Error('auth-client credentials_schema is neither a name nor an object');
      const key = createHash('sha256').update(JSON.stringify(stored)).digest('base64url');
      let validator = inline.get(key);
      if (!validator) {
        validator = compile(stored);
        inline.set(key, validator);
      }
      return validator;
    },

    /** For tests and diagnostics: inline validators held, and compilations since start (built-ins included). */
    stats(): { cached: number; compilations: number } {
      return { cached: inline.size, compilations };
    },
  };
}

export type CredentialSchemas = ReturnType<typeof createCredentialSchemas>;
