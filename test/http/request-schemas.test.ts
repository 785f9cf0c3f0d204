// schemas/*.schema.json are the source of truth; src/http/validation/request-schemas.generated.ts
// holds them `as const` for the body types and the registry. This fails when a schema changed and
// `npm run schemas:generate` was not run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderRequestSchemas } from '../../src/http/validation/render-request-schemas.js';

describe('generated request schemas', () => {
  it('match schemas/*.schema.json (run `npm run schemas:generate` after editing a schema)', () => {
    const generated = readFileSync(
      new URL('../../src/http/validation/request-schemas.generated.ts', import.meta.url),
      'utf8',
    );
    assert.equal(generated, renderRequestSchemas());
  });
});
