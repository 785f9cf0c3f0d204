// `npm run schemas:generate`: writes src/http/validation/request-schemas.generated.ts from the JSON
// Schemas in schemas/. The JSON files stay the one source of truth; the generated module holds the
// same objects `as const`, because a JSON import loses the literal types json-schema-to-ts needs to
// derive request body types, and the schema registry compiles these very objects.
// test/http/request-schemas.test.ts fails when the generated file is stale.
import { writeFileSync } from 'node:fs';
import { renderRequestSchemas } from '../src/http/validation/render-request-schemas.js';

const target = new URL('../src/http/validation/request-schemas.generated.ts', import.meta.url);
writeFileSync(target, renderRequestSchemas());
