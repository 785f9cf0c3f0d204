// Turns the project's JSON Schemas (draft-07 files with an `$id` each, sharing parts through
// `definitions` and `$ref`s like `common#/definitions/uuid`) into OpenAPI 3.1 components, whose
// dialect is JSON Schema 2020-12. Every definition becomes a component of its own, named
// `<$id>.<definition>` (`common.uuid`), and every `$ref` points at `#/components/schemas/…`. The
// files stay the one source: nothing here is hand-copied.
//
// What differs between the two dialects and the files use: `definitions` (hoisted here) and the
// `$id`/`$schema` of each file (dropped: inside one document they would rebase every `$ref`).
// Keywords 2020-12 changed (`items` as an array, `additionalItems`, `dependencies`) are refused, so
// a schema that starts using one fails loudly instead of meaning something else.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type SchemaObject = { [key: string]: Json };

const CHANGED_IN_2020_12 = ['additionalItems', 'dependencies'];

/** The component name of definition `name` of schema `$id`. */
export const definitionComponent = (id: string, name: string) => `${id}.${name}`;

/**
 * Components for every schema: a schema whose only content is `definitions` (a file of shared
 * parts such as `common`) gives only its definitions' components.
 */
export function toComponents(schemas: Record<string, object>): Record<string, SchemaObject> {
  const components: Record<string, SchemaObject> = {};
  const add = (name: string, schema: SchemaObject) => {
    if (Object.hasOwn(components, name)) throw new Error(`Two schemas make component "${name}"`);
    components[name] = schema;
  };
  for (const [id, schema] of Object.entries(schemas)) {
    const { $id: _id, $schema: _dialect, definitions, ...rest } = schema as SchemaObject;
    for (const [name, definition] of Object.entries((definitions ?? {}) as SchemaObject)) {
      add(
        definitionComponent(id, name),
        rewrite(definition, id, `${id}#/definitions/${name}`) as SchemaObject,
      );
    }
    const body = Object.keys(rest).filter((k) => k !== 'description');
    if (body.length > 0) add(id, rewrite(rest, id, id) as SchemaObject);
  }
  return components;
}

/** `$ref` of component `name` (plus a JSON Pointer inside it). */
export const componentRef = (name: string, pointer = '') => `#/components/schemas/${name}${pointer}`;

function rewrite(value: Json, schemaId: string, where: string): Json {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, schemaId, where));
  if (value === null || typeof value !== 'object') return value;
  const out: SchemaObject = {};
  for (const [key, member] of Object.entries(value)) {
    if (CHANGED_IN_2020_12.includes(key) || (key === 'items' && Array.isArray(member))) {
      throw new Error(`${where}: "${key}" means something else in JSON Schema 2020-12; rewrite the schema`);
    }
    // The members of `properties` are names, not keywords: a property may be called "dependencies".
    if (key === '$ref' && typeof member === 'string') out[key] = refTo(member, schemaId, where);
    else if (
      key === 'properties' &&
      member !== null &&
      typeof member === 'object' &&
      !Array.isArray(member)
    ) {
      out[key] = Object.fromEntries(Object.entries(member).map(([n, s]) => [n, rewrite(s, schemaId, where)]));
    } else out[key] = rewrite(member, schemaId, where);
  }
  return out;
}

// `common#/definitions/uuid`, `#/definitions/uuid` (same file), `common` (a whole schema).
const REF = /^([^#]*)(?:#(.*))?$/;
const IN_DEFINITION = /^\/definitions\/([^/]+)(.*)$/;

function refTo(ref: string, schemaId: string, where: string): string {
  const [, target = '', pointer = ''] = REF.exec(ref) ?? [];
  const id = target === '' ? schemaId : target;
  if (pointer === '') return componentRef(id);
  const inDefinition = IN_DEFINITION.exec(pointer);
  if (!inDefinition) throw new Error(`${where}: cannot place $ref "${ref}" in the OpenAPI document`);
  return componentRef(definitionComponent(id, inDefinition[1] as string), inDefinition[2]);
}
