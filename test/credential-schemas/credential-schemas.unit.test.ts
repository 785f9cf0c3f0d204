// The parts of credential schemas that need no database: the compiled-schema cache (hit, bound),
// the keyword walk, and errors that never carry credential values.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ApiError } from '../../src/errors/api-error.js';
import { createSchemaRegistry } from '../../src/http/validation/schema-registry.js';
import { checkCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { BUILT_IN_CREDENTIAL_SCHEMAS } from '../../src/modules/credential-schemas/built-in-credential-schemas.js';
import { createCredentialSchemas } from '../../src/modules/credential-schemas/credential-schemas.js';
import { schemaShapeProblems } from '../../src/modules/credential-schemas/credentials-schema-rules.js';
import { findSecrets, secretMarker } from '../support/secrets.js';

const P = '/data/attributes/credentials_schema';
const schemaWith = (key: string) => ({
  type: 'object',
  properties: { [key]: { type: 'string' } },
  required: [key],
  additionalProperties: false,
});

describe('credential schemas (unit)', () => {
  it('compiles an inline schema once: equal content (a fresh object, as read from the database) hits the cache', () => {
    const schemas = createCredentialSchemas();
    const start = schemas.stats();
    const first = schemas.validatorFor(schemaWith('key'));
    assert.ok(first);
    assert.deepEqual(schemas.stats(), { cached: 1, compilations: start.compilations + 1 });
    for (let i = 0; i < 5; i++)
      assert.equal(schemas.validatorFor(JSON.parse(JSON.stringify(schemaWith('key')))), first);
    assert.deepEqual(
      schemas.stats(),
      { cached: 1, compilations: start.compilations + 1 },
      'no recompilation',
    );
    // A changed schema is a new entry; built-ins are compiled once at start-up, never again.
    assert.notEqual(schemas.validatorFor(schemaWith('other')), first);
    assert.equal(schemas.validatorFor('basic_auth'), schemas.validatorFor('basic_auth'));
    assert.deepEqual(schemas.stats(), { cached: 2, compilations: start.compilations + 2 });
    assert.equal(start.compilations, BUILT_IN_CREDENTIAL_SCHEMAS.size);
    assert.equal(schemas.validatorFor(null), undefined);
  });

  it('keeps at most maxCached compiled schemas, evicting the least recently used', () => {
    const schemas = createCredentialSchemas({ maxCached: 2 });
    const a = schemas.validatorFor(schemaWith('a'));
    schemas.validatorFor(schemaWith('b'));
    assert.equal(schemas.validatorFor(schemaWith('a')), a, 'a is used again: b is now the oldest');
    schemas.validatorFor(schemaWith('c'));
    assert.equal(schemas.stats().cached, 2);
    const compiled = schemas.stats().compilations;
    assert.equal(schemas.validatorFor(schemaWith('a')), a, 'a stayed');
    assert.equal(schemas.stats().compilations, compiled);
    schemas.validatorFor(schemaWith('b'));
    assert.equal(schemas.stats().compilations, compiled + 1, 'b was evicted and compiled again');
  });

  it('walks schemas, not names: forbidden keywords anywhere are found, property names are not keywords', () => {
    const problems = schemaShapeProblems(
      {
        type: 'object',
        properties: {
          pattern: { type: 'string', pattern: 'x' },
          'a/b~c': { type: 'array', items: [{ type: 'string', format: 'uri' }] },
          enumerated: { enum: [{ pattern: 'data, not a schema' }], const: { $ref: '#' } },
        },
        additionalProperties: { type: 'string', not: {} },
      },
      P,
    );
    assert.deepEqual(
      problems.map((p) => [p.code, p.pointer]),
      [
        ['unsupported_schema_keyword', `${P}/properties/pattern/pattern`],
        ['unsupported_schema_keyword', `${P}/additionalProperties/not`],
        ['unsupported_schema_keyword', `${P}/properties/a~1b~0c/items/0/format`],
      ],
    );
  });

  it('errors about credentials name the rule, never the value (enum, const, type, bounds, false schemas)', () => {
    const schemas = createCredentialSchemas();
    const registry = createSchemaRegistry();
    const secret = secretMarker('credential');
    const schema = {
      type: 'object',
      properties: {
        e: { type: 'string', enum: ['x'] },
        c: { const: 'x' },
        t: { type: 'integer' },
        l: { type: 'string', maxLength: 3 },
        n: { type: 'number', maximum: 1 },
        f: false,
      },
      additionalProperties: false,
    };
    const value = { e: secret, c: secret, t: secret, l: secret, n: 2, f: secret, [secret.slice(0, 3)]: 1 };
    try {
      checkCredentials(registry, 'other', value, new Date(), { clientSchema: schemas.validatorFor(schema) });
      assert.fail('expected a 422');
    } catch (err) {
      assert.ok(err instanceof ApiError);
      assert.equal(err.items.length, 7);
      const text = JSON.stringify(err.items) + err.message;
      assert.deepEqual(findSecrets(text), []);
      assert.ok(!text.includes(secret.slice(-24)));
      assert.ok(
        err.items.every(
          (i) => i.status === 422 && i.source?.pointer?.startsWith('/data/attributes/credentials/'),
        ),
      );
    }
  });
});
