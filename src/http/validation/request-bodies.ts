// Request body types derived from the JSON Schemas the bodies are validated against, so a handler
// reads exactly what the schema admits (json-schema-to-ts; types only, nothing at run time).
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { requestSchemas } from './request-schemas.generated.js';

type Schemas = typeof requestSchemas;
export type RequestSchemaId = keyof Schemas;

/**
 * The schemas other schemas `$ref` by $id. A new shared schema must be added here: an unresolved
 * `$ref` does not fail to compile, the member it types just loses its type.
 */
type References = [
  Schemas['common'],
  Schemas['auth-secret-common'],
  Schemas['auth-client-common'],
  Schemas['credentials-schema'],
];

/** The type of a body that passed schema `Id`. */
export type RequestBody<Id extends RequestSchemaId> = FromSchema<Schemas[Id], { references: References }>;

type Definitions<Id extends RequestSchemaId> = Schemas[Id] extends { readonly definitions: infer D }
  ? D
  : never;

/** The type of a value that passed `definitions[Name]` of schema `Id`. */
export type SchemaDefinition<Id extends RequestSchemaId, Name extends keyof Definitions<Id>> = FromSchema<
  Definitions<Id>[Name] extends infer S extends JSONSchema ? S : never,
  { references: References }
>;
