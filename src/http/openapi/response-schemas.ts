// The JSON Schemas of responses: one per resource type in schemas/resources/ (the resource object:
// attributes with their types, relationships, links) and the shared JSON:API parts and `meta`
// documents in schemas/responses/. Request schemas live in schemas/ itself (validation/); these
// only describe, so they are read when the description is built rather than compiled at start-up.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMA_DIR } from '../validation/render-request-schemas.js';

export const RESOURCE_SCHEMA_DIR = path.join(SCHEMA_DIR, 'resources');
export const RESPONSE_SCHEMA_DIR = path.join(SCHEMA_DIR, 'responses');

/** `$id` of the resource object schema of a type (schemas/resources/<type>.schema.json). */
export const resourceSchemaId = (type: string) => `${type}-resource`;

/** Every response schema by its `$id`. */
export function loadResponseSchemas(): Record<string, object> {
  const schemas: Record<string, object> = {};
  for (const dir of [RESOURCE_SCHEMA_DIR, RESPONSE_SCHEMA_DIR]) {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.schema.json'))
      .sort()) {
      const schema = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { $id?: unknown };
      if (typeof schema.$id !== 'string') throw new Error(`${dir}/${file} has no $id`);
      schemas[schema.$id] = schema;
    }
  }
  return schemas;
}
