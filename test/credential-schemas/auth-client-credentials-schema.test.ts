// credentials_schema on auth-clients (API.md §8.3): `other` clients take null, a built-in's name or
// an inline JSON Schema restricted to a closed list of keywords; oauth2 clients take none. Every
// refusal is a 422 pointing at the offending member, and changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import {
  type Actor,
  createTenant,
  type Http,
  httpFor,
  JSONAPI,
  type JsonApiResource,
  oauth2ClientAttributes,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { marker, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const P = '/data/attributes/credentials_schema';

/** A valid inline schema: one required string member. */
const inlineSchema = (extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties: { key: { type: 'string', minLength: 1, ...extra } },
  required: ['key'],
  additionalProperties: false,
});

describe('auth-clients: credentials_schema (API.md §8.3)', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  const base = () => `/v2/tenants/${tenantId}/auth-clients`;

  const post = async (attributes: Record<string, unknown>) =>
    track(
      await http
        .post(base())
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-client', attributes } }),
    );
  const other = (credentialsSchema: unknown) =>
    post({ name: marker('client'), auth_type: 'other', credentials_schema: credentialsSchema });
  const patch = async (id: string, attributes: Record<string, unknown>) =>
    track(
      await http
        .patch(`${base()}/${id}`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-client', id, attributes } }),
    );
  const created = (res: { status: number; body: { data: JsonApiResource } }) => {
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assertJsonApiResponse(res as never);
    return res.body.data;
  };
  const clientCount = () => t.prisma.authClient.count({ where: { tenantId } });

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
  });

  after(async () => {
    await t.close();
  });

  it('an `other` client without one shows null; with a built-in, its name; inline, the schema', async () => {
    const none = created(await post({ name: marker('client'), auth_type: 'other' }));
    assert.equal(none.attributes.credentials_schema, null);
    const explicitNull = created(await other(null));
    assert.equal(explicitNull.attributes.credentials_schema, null);
    for (const name of ['api_key', 'basic_auth', 'bearer_token', 'aws_access_key']) {
      const c = created(await other(name));
      assert.equal(c.attributes.credentials_schema, name);
    }
    const schema = inlineSchema({ maxLength: 64, title: 'Key', description: 'The key' });
    const inline = created(await other(schema));
    assert.deepEqual(inline.attributes.credentials_schema, schema);
    // Read back: GET one, and in the list.
    const one = track(await http.get(`${base()}/${inline.id}`).set('Authorization', admin.auth));
    assert.equal(one.status, 200);
    assertJsonApiResponse(one);
    assert.deepEqual(one.body.data.attributes.credentials_schema, schema);
    const list = track(await http.get(`${base()}?page[size]=200`).set('Authorization', admin.auth));
    assert.equal(list.status, 200);
    assertJsonApiResponse(list);
    const listed = (list.body.data as JsonApiResource[]).find((c) => c.id === inline.id);
    assert.deepEqual(listed?.attributes.credentials_schema, schema);
    // oauth2 clients show null.
    const oauth2 = created(await post(oauth2ClientAttributes()));
    assert.equal(oauth2.attributes.credentials_schema, null);
  });

  it('accepts every allowed keyword, nested through properties, additionalProperties and items', async () => {
    const schema = {
      title: 'Everything allowed',
      description: 'Every keyword a credentials schema may use',
      type: 'object',
      properties: {
        key: { type: 'string', minLength: 1, maxLength: 100 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        mode: { type: 'string', enum: ['a', 'b'] },
        version: { const: 2 },
        hosts: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 5 },
        extra: { type: 'object', additionalProperties: { type: 'string' } },
      },
      required: ['key'],
      additionalProperties: false,
    };
    const c = created(await other(schema));
    assert.deepEqual(c.attributes.credentials_schema, schema);
  });

  it('a property NAMED like a forbidden keyword is fine: properties map names to schemas', async () => {
    const schema = {
      type: 'object',
      properties: {
        pattern: { type: 'string' },
        $ref: { type: 'string' },
        format: { type: 'object', properties: { if: { type: 'string' } }, required: ['if'] },
      },
      required: ['pattern', '$ref'],
    };
    const c = created(await other(schema));
    assert.deepEqual(c.attributes.credentials_schema, schema);
  });

  it('each forbidden keyword → 422 unsupported_schema_keyword pointing at it; all of them reported', async () => {
    const forbidden: [string, unknown][] = [
      ['pattern', '^a+$'],
      ['$ref', '#'],
      ['format', 'email'],
      ['$defs', { x: { type: 'string' } }],
      ['definitions', { x: { type: 'string' } }],
      ['if', { type: 'string' }],
      ['then', { type: 'string' }],
      ['else', { type: 'string' }],
      ['allOf', [{ type: 'string' }]],
      ['anyOf', [{ type: 'string' }]],
      ['oneOf', [{ type: 'string' }]],
      ['not', { type: 'number' }],
      ['patternProperties', { '^a': { type: 'string' } }],
      ['propertyNames', { maxLength: 3 }],
      ['dependencies', { a: ['b'] }],
      ['contains', { type: 'string' }],
      ['uniqueItems', true],
      ['multipleOf', 2],
      ['$id', 'https://example.test/s'],
      ['$schema', 'http://json-schema.org/draft-07/schema#'],
      ['default', 'x'],
      ['nullable', true],
    ];
    const before = await clientCount();
    for (const [keyword, value] of forbidden) {
      const schema = inlineSchema({ [keyword]: value });
      const errors = expectError(await other(schema), 422, 'unsupported_schema_keyword');
      assert.deepEqual(
        errors.map((e) => e.source?.pointer),
        [`${P}/properties/key/${keyword.replace('~', '~0').replace('/', '~1')}`],
        keyword,
      );
    }
    // At the root, inside items and additionalProperties, several at once: every one is reported.
    const errors = expectError(
      await other({
        type: 'object',
        pattern: 'x',
        properties: {
          list: { type: 'array', items: { type: 'string', format: 'uri' } },
          tuple: { type: 'array', items: [{ type: 'string', pattern: 'a' }], minItems: 1, maxItems: 1 },
          map: { type: 'object', additionalProperties: { type: 'string', $ref: '#' } },
        },
        $defs: {},
      }),
      422,
      'unsupported_schema_keyword',
    );
    assert.deepEqual(errors.map((e) => e.source?.pointer).sort(), [
      `${P}/$defs`,
      `${P}/pattern`,
      `${P}/properties/list/items/format`,
      `${P}/properties/map/additionalProperties/$ref`,
      `${P}/properties/tuple/items/0/pattern`,
    ]);
    assert.ok(errors.every((e) => e.status === '422' && e.code === 'unsupported_schema_keyword'));
    assert.equal(await clientCount(), before, 'nothing was created');
  });

  it('an unknown built-in name, a schema Ajv refuses, a root that is not an object → 422 with pointers', async () => {
    const before = await clientCount();
    let errors = expectError(await other('basic'), 422, 'unknown_credentials_schema');
    assert.equal(errors[0]?.source?.pointer, P);
    assert.match(errors[0]?.detail ?? '', /api_key, basic_auth/);
    errors = expectError(await other({ type: 'object', properties: { a: { type: 'strnig' } } }), 422);
    assert.deepEqual(
      errors.map((e) => [e.code, e.source?.pointer]),
      [['invalid_credentials_schema', `${P}/properties/a/type`]],
    );
    errors = expectError(
      await other({ type: 'object', properties: { a: { type: 'string', minLength: -1 } } }),
      422,
    );
    assert.deepEqual(
      errors.map((e) => [e.code, e.source?.pointer]),
      [['invalid_credentials_schema', `${P}/properties/a/minLength`]],
    );
    // Strict mode: a required member that is not described, a keyword whose type is not declared.
    for (const schema of [
      { type: 'object', required: ['x'] },
      { type: 'object', properties: { a: { minLength: 1 } } },
    ]) {
      errors = expectError(await other(schema), 422, 'invalid_credentials_schema');
      assert.equal(errors[0]?.source?.pointer, P);
    }
    for (const [schema, pointer] of [
      [{ type: 'array' }, `${P}/type`],
      [{ type: ['object', 'null'] }, `${P}/type`],
      [{ properties: {} }, P],
      [{}, P],
    ] as const) {
      errors = expectError(await other(schema), 422, 'invalid_credentials_schema');
      assert.equal(errors[0]?.source?.pointer, pointer, JSON.stringify(schema));
    }
    // Wrong JSON types for the member itself: the request schema (422 at the member).
    for (const value of [42, true, ['api_key'], '']) {
      errors = expectError(await other(value), 422);
      assert.equal(errors[0]?.source?.pointer, P, JSON.stringify(value));
    }
    assert.equal(await clientCount(), before, 'nothing was created');
  });

  it('bounds: more than 16 KiB → 422 credentials_schema_too_large; more than 10 levels → credentials_schema_too_deep', async () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) properties[`member_${i}`] = { type: 'string', description: 'x'.repeat(20) };
    const big = { type: 'object', properties };
    assert.ok(Buffer.byteLength(JSON.stringify(big)) > 16 * 1024);
    let errors = expectError(await other(big), 422, 'credentials_schema_too_large');
    assert.equal(errors[0]?.source?.pointer, P);
    // Just under the limit is fine.
    const fits: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) fits[`member_${i}`] = { type: 'string', description: 'x'.repeat(20) };
    assert.ok(Buffer.byteLength(JSON.stringify({ type: 'object', properties: fits })) < 16 * 1024);
    created(await other({ type: 'object', properties: fits }));

    const nest = (levels: number): Record<string, unknown> => {
      let schema: Record<string, unknown> = { type: 'string' };
      for (let i = 1; i < levels; i++) schema = { type: 'object', properties: { a: schema } };
      return schema;
    };
    created(await other(nest(10)));
    errors = expectError(await other(nest(11)), 422, 'credentials_schema_too_deep');
    assert.equal(errors[0]?.source?.pointer, `${P}${'/properties/a'.repeat(10)}`);
  });

  it('text the database cannot store, and "__proto__" as a property name → 422 with pointers, never a 500', async () => {
    const before = await clientCount();
    const raw = async (schemaJson: string) =>
      track(
        await http
          .post(base())
          .set('Authorization', admin.auth)
          .set('Content-Type', 'application/json')
          .send(
            `{"data":{"type":"auth-client","attributes":{"name":"${marker('client')}","auth_type":"other","credentials_schema":${schemaJson}}}}`,
          ),
      );
    let errors = expectError(
      await raw(
        '{"type":"object","description":"\\ud800","properties":{"a":{"type":"string","enum":["x\\udc00"]}}}',
      ),
      422,
      'invalid_character',
    );
    assert.deepEqual(errors.map((e) => e.source?.pointer).sort(), [
      `${P}/description`,
      `${P}/properties/a/enum/0`,
    ]);
    errors = expectError(await raw('{"type":"object","properties":{"\\ud800":{"type":"string"}}}'), 422);
    assert.deepEqual(
      errors.map((e) => [e.code, e.source?.pointer]),
      [['invalid_character', `${P}/properties/\ud800`]],
    );
    // Paired surrogates (an emoji) are fine.
    created(
      await raw(
        '{"type":"object","description":"\\ud83d\\ude00","properties":{"\\ud83d\\ude00":{"type":"string"}}}',
      ),
    );
    errors = expectError(
      await raw('{"type":"object","properties":{"__proto__":{"type":"string"}},"required":["__proto__"]}'),
      422,
      'invalid_credentials_schema',
    );
    assert.equal(errors[0]?.source?.pointer, `${P}/properties/__proto__`);
    assert.equal(await clientCount(), before + 1, 'only the valid one was created');
  });

  it('oauth2 clients take no credentials_schema (null is accepted as "none")', async () => {
    const before = await clientCount();
    for (const value of ['api_key', inlineSchema()]) {
      const errors = expectError(
        await post({ ...oauth2ClientAttributes(), credentials_schema: value }),
        422,
        'credentials_schema_not_allowed',
      );
      assert.equal(errors[0]?.source?.pointer, P);
    }
    // Reported together with the other problems of the document.
    const both = expectError(
      await post({
        ...oauth2ClientAttributes({ token_url: 'https://user:pw@auth.example.test/token' }),
        credentials_schema: 'api_key',
      }),
      422,
    );
    assert.deepEqual(both.map((e) => e.source?.pointer).sort(), [P, '/data/attributes/oauth2/token_url']);
    assert.equal(await clientCount(), before, 'nothing was created');
    const c = created(await post({ ...oauth2ClientAttributes(), credentials_schema: null }));
    assert.equal(c.attributes.credentials_schema, null);
    const errors = expectError(
      await patch(c.id, { credentials_schema: 'basic_auth' }),
      422,
      'credentials_schema_not_allowed',
    );
    assert.equal(errors[0]?.source?.pointer, P);
    const unchanged = await patch(c.id, { credentials_schema: null });
    assert.equal(unchanged.status, 200);
    assertJsonApiResponse(unchanged);
    assert.equal(unchanged.body.data.attributes.credentials_schema, null);
  });

  it('PATCH sets, replaces and clears it; a refused PATCH changes nothing; the audit event names the member only', async () => {
    const c = created(await other('api_key'));
    let res = await patch(c.id, { credentials_schema: inlineSchema() });
    assert.equal(res.status, 200);
    assertJsonApiResponse(res);
    assert.deepEqual(res.body.data.attributes.credentials_schema, inlineSchema());
    const errors = expectError(
      await patch(c.id, { name: marker('renamed'), credentials_schema: inlineSchema({ pattern: '.*' }) }),
      422,
      'unsupported_schema_keyword',
    );
    assert.equal(errors[0]?.source?.pointer, `${P}/properties/key/pattern`);
    const row = await t.prisma.authClient.findUniqueOrThrow({ where: { id: c.id } });
    assert.deepEqual(row.credentialsSchema, inlineSchema());
    assert.equal(row.name, c.attributes.name, 'the name did not change either');
    res = await patch(c.id, { credentials_schema: 'bearer_token' });
    assert.equal(res.body.data.attributes.credentials_schema, 'bearer_token');
    res = await patch(c.id, { credentials_schema: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes.credentials_schema, null);
    assert.equal(
      (await t.prisma.authClient.findUniqueOrThrow({ where: { id: c.id } })).credentialsSchema,
      null,
    );
    const events = await t.prisma.auditEvent.findMany({
      where: { resourceId: c.id, action: 'auth_client.update' },
      orderBy: { createdAt: 'asc' },
    });
    assert.ok(events.length >= 3);
    for (const e of events) assert.deepEqual(e.details, { changed: ['credentials_schema'] });
  });

  it('fields[auth-client] may name credentials_schema', async () => {
    const c = created(await other('basic_auth'));
    const res = track(
      await http
        .get(`${base()}/${c.id}?fields[auth-client]=credentials_schema`)
        .set('Authorization', admin.auth),
    );
    assert.equal(res.status, 200);
    assertJsonApiResponse(res);
    assert.deepEqual(res.body.data.attributes, { credentials_schema: 'basic_auth' });
  });
});
