// GET /v2/openapi.json (API.md §12): an OpenAPI 3.1 description of every route, generated from the
// route table and the JSON Schemas. Served as plain JSON with a strong ETag; valid OpenAPI 3.1
// (@seriousme/openapi-schema-validator); every route has an operation with its parameters, body and
// responses; every schema in it compiles in the 2020-12 dialect; the resource schemas agree with
// RESOURCE_FIELDS. That every response matches it is test/openapi/response-contract.test.ts.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { RESOURCE_FIELDS } from '../../src/http/jsonapi/resource-types.js';
import { buildOpenApiDocument } from '../../src/http/openapi/openapi-document.js';
import { openApiPath } from '../../src/http/openapi/operation-parameters.js';
import { declarationsOf } from '../../src/http/openapi/response-declaration.js';
import {
  loadResponseSchemas,
  RESOURCE_SCHEMA_DIR,
  resourceSchemaId,
} from '../../src/http/openapi/response-schemas.js';
import { toComponents } from '../../src/http/openapi/schema-components.js';
import { ALL_EVENTS, WEBHOOK_EVENT_TYPES } from '../../src/modules/webhooks/webhook-event-types.js';
import { routeKey } from '../support/permission-matrix.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

type Operation = {
  parameters?: { name: string; in: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, unknown>;
  security?: unknown[];
};
type Description = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

/** Every `$ref` in `value`, with where it was found. */
function refsIn(value: unknown, at = ''): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsIn(v, `${at}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === '$ref' && typeof v === 'string' ? [{ ref: v, at }] : refsIn(v, `${at}/${k}`),
  );
}

/** Where `names` appear as member names (keywords) in `value`, `properties` maps aside. */
function keysIn(value: unknown, names: string[], at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keysIn(v, names, `${at}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(names.includes(k) && !at.endsWith('/properties') ? [`${at}/${k}`] : []),
    ...keysIn(v, names, `${at}/${k}`),
  ]);
}

/** The value at a local JSON Pointer (`#/components/…`), or undefined. */
function resolve(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
}

describe('OpenAPI description (API.md §12)', () => {
  let t: TestApp;
  let served: Description;
  let etag: string;

  before(async () => {
    t = await createTestApp();
    const res = await request(t.app).get('/v2/openapi.json');
    assert.equal(res.status, 200, res.text);
    served = res.body;
    etag = String(res.headers.etag);
  });

  after(async () => {
    await t?.close();
  });

  describe('GET /v2/openapi.json', () => {
    it('serves the description as plain JSON, without authentication, revalidated by a strong ETag', async () => {
      const res = await request(t.app).get('/v2/openapi.json').set('Accept', 'application/json');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]{43}"$/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.ok(res.headers['x-request-id']);
      assert.deepEqual(res.body, buildOpenApiDocument(t.routes));
      assert.equal(res.headers.etag, etag, 'the same description has the same ETag');
    });

    it('answers 304 without a body while the ETag is current, and 200 otherwise', async () => {
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await request(t.app).get('/v2/openapi.json').set('If-None-Match', ifNoneMatch);
        assert.equal(res.status, 304, ifNoneMatch);
        assert.equal(res.text, '');
        assert.equal(res.headers.etag, etag);
      }
      const stale = await request(t.app).get('/v2/openapi.json').set('If-None-Match', '"stale"');
      assert.equal(stale.status, 200);
      assert.equal(stale.headers['content-type'], 'application/json');
      assert.equal(stale.body.openapi, '3.1.0');
    });

    it('answers HEAD with the headers of GET and no body', async () => {
      const res = await request(t.app).head('/v2/openapi.json');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.headers.etag, etag);
      assert.equal(res.text, undefined);
    });

    it('refuses what every route refuses: unknown query parameters (400), an Accept without JSON (406)', async () => {
      const unknown = await request(t.app).get('/v2/openapi.json?format=yaml');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.headers['content-type'], 'application/vnd.api+json');
      assert.equal(unknown.body.errors[0].source.parameter, 'format');
      const html = await request(t.app).get('/v2/openapi.json').set('Accept', 'text/html');
      assert.equal(html.status, 406);
      assert.equal(html.body.errors[0].code, 'not_acceptable');
    });
  });

  describe('the document', () => {
    it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(served) as never);
      assert.deepEqual(result.errors ?? [], []);
      assert.equal(result.valid, true);
      assert.equal(validator.version, '3.1');
    });

    it('has every $ref resolving inside the document, and nothing left of draft-07 (definitions, $id, $schema)', () => {
      const refs = refsIn(served);
      assert.ok(refs.length > 100);
      assert.deepEqual(
        refs.filter(({ ref }) => resolve(served, ref) === undefined),
        [],
        'refs that resolve to nothing',
      );
      assert.deepEqual(
        refs.filter(({ ref }) => !ref.startsWith('#/components/')),
        [],
        'refs outside components',
      );
      assert.deepEqual(keysIn(served.components.schemas, ['definitions', '$id', '$schema']), []);
    });

    it('compiles every schema with ajv in the 2020-12 dialect, strictly', () => {
      const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
      addFormats.default(ajv);
      ajv.addVocabulary(['openapi', 'info', 'paths', 'components', 'security']);
      ajv.addSchema(served, 'openapi.json');
      for (const name of Object.keys(served.components.schemas)) {
        assert.doesNotThrow(
          () => ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` }),
          `component ${name}`,
        );
      }
    });

    it('has an operation for every route of the route table, and none without a route', () => {
      const operations = Object.entries(served.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const routes = t.routes.map((r) => `${r.method} ${openApiPath(r.path)}`);
      assert.deepEqual([...operations].sort(), [...routes].sort());
    });

    it('declares what every route answers on success (a route without `response` fails here)', () => {
      const withoutResponse = t.routes.filter((r) => declarationsOf(r.response).length === 0).map(routeKey);
      assert.deepEqual(withoutResponse, [], 'routes without a `response` declaration');
      for (const route of t.routes) {
        const operation = served.paths[openApiPath(route.path)]?.[route.method.toLowerCase()] as Operation;
        for (const d of declarationsOf(route.response)) {
          assert.ok(operation.responses[String(d.status)], `${routeKey(route)} describes ${d.status}`);
        }
        assert.ok(operation.responses.default, `${routeKey(route)} describes other errors`);
      }
    });

    it('describes path parameters, the query spec of each route, request bodies and authentication', () => {
      for (const route of t.routes) {
        const key = routeKey(route);
        const operation = served.paths[openApiPath(route.path)]?.[route.method.toLowerCase()] as Operation;
        const names = (where: string) =>
          (operation.parameters ?? []).filter((p) => p.in === where).map((p) => p.name);
        assert.deepEqual(
          names('path'),
          [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]),
          `${key} path parameters`,
        );
        const query = route.query ?? {};
        const expected = query.ownParameters
          ? ['parameters']
          : [
              ...(query.filters || query.keyedFilters ? ['filter'] : []),
              ...(route.method === 'GET' && query.include ? ['include'] : []),
              ...(route.method === 'GET' ? ['fields'] : []),
              ...(route.method === 'GET' ? Object.keys(query.integers ?? {}) : []),
              ...(query.paginated ? ['page'] : []),
            ];
        assert.deepEqual(names('query'), expected, `${key} query parameters`);
        assert.deepEqual(names('header'), route.ifMatch ? ['If-Match'] : [], `${key} header parameters`);
        assert.equal(Object.hasOwn(operation.responses, '412'), route.ifMatch === true, `${key} 412`);
        if (route.body) {
          const content = operation.requestBody?.content ?? {};
          assert.deepEqual(Object.keys(content).sort(), ['application/json', 'application/vnd.api+json']);
          assert.equal(content['application/json']?.schema.$ref, `#/components/schemas/${route.body}`);
        } else {
          assert.equal(operation.requestBody, undefined, `${key} takes no body`);
        }
        assert.equal(route.access.kind === 'public', Array.isArray(operation.security), `${key} security`);
      }
    });

    it('describes the query families precisely: filters by kind, include and fields as lists, page bounds', () => {
      const list = served.paths['/v2/workspaces/{workspace}/secrets']?.get?.parameters as unknown as {
        name: string;
        style?: string;
        schema: { properties?: Record<string, unknown>; pattern?: string };
      }[];
      const byName = Object.fromEntries(list.map((p) => [p.name, p]));
      assert.equal(byName.filter?.style, 'deepObject');
      assert.deepEqual(byName.filter?.schema.properties?.state, { type: 'string', enum: ['ready', 'error'] });
      assert.deepEqual(byName.filter?.schema.properties?.user, { type: 'string', format: 'uuid' });
      const [tagPattern = ''] = Object.keys(
        (byName.filter?.schema as { patternProperties?: object } | undefined)?.patternProperties ?? {},
      );
      assert.ok(new RegExp(tagPattern).test('tags.env') && !new RegExp(tagPattern).test('tags.'), tagPattern);
      const include = new RegExp(byName.include?.schema.pattern ?? '');
      assert.ok(include.test('auth-client,user') && !include.test('tenant') && !include.test('user,'));
      const fields = new RegExp(
        (byName.fields?.schema.properties?.['auth-secret'] as { pattern: string } | undefined)?.pattern ?? '',
      );
      assert.ok(fields.test('name,credentials') && fields.test('') && !fields.test('client_secret'));
      assert.deepEqual(byName.page?.schema.properties?.size, {
        type: 'integer',
        minimum: 1,
        maximum: 200,
        default: 50,
      });
    });

    it('describes integer query parameters with their range, and the ETag and If-Match of auth-secrets (API.md §9.3, §10.4)', () => {
      const secret = served.paths['/v2/workspaces/{workspace}/secrets/{id}'] ?? {};
      const minValidity = secret.get?.parameters?.find((p) => p.name === 'min_validity');
      assert.equal(minValidity?.in, 'query');
      assert.deepEqual(minValidity?.schema, { type: 'integer', minimum: 0, maximum: 86_400 });
      const ok = secret.get?.responses['200'] as { headers?: Record<string, { required: boolean }> };
      assert.equal(ok.headers?.ETag?.required, true);
      for (const method of ['patch', 'delete']) {
        assert.ok(
          secret[method]?.parameters?.some((p) => p.in === 'header' && p.name === 'If-Match'),
          method,
        );
        assert.ok(secret[method]?.responses['412'], method);
      }
      const created = served.paths['/v2/workspaces/{workspace}/secrets']?.post?.responses['201'] as {
        headers?: Record<string, unknown>;
      };
      assert.deepEqual(Object.keys(created.headers ?? {}).sort(), ['ETag', 'Location']);
    });
  });

  describe('the resource schemas (schemas/resources/)', () => {
    const schemas = loadResponseSchemas() as Record<string, ResourceSchema>;
    type ResourceSchema = {
      properties: {
        type: { const: string };
        attributes: { properties: Record<string, unknown> };
        relationships?: {
          properties: Record<string, { properties: { data: { properties: { type: { const: string } } } } }>;
        };
      };
    };

    it('exist for exactly the resource types of RESOURCE_FIELDS, one file per type', () => {
      const files = readdirSync(RESOURCE_SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
      assert.deepEqual(
        files.sort(),
        Object.keys(RESOURCE_FIELDS)
          .map((type) => `${type}.schema.json`)
          .sort(),
      );
    });

    it('webhook, webhook-delivery: the event types are those webhooks accept (webhook-event-types.ts)', () => {
      const enumOf = (type: string, member: string, items = false) => {
        const attribute = schemas[resourceSchemaId(type)]?.properties.attributes.properties[member] as {
          enum?: string[];
          items?: { enum?: string[] };
        };
        return items ? attribute.items?.enum : attribute.enum;
      };
      assert.deepEqual(enumOf('webhook-delivery', 'event_type'), [...WEBHOOK_EVENT_TYPES]);
      assert.deepEqual(enumOf('webhook', 'events', true), [...WEBHOOK_EVENT_TYPES, ALL_EVENTS]);
    });

    for (const [type, fields] of Object.entries(RESOURCE_FIELDS)) {
      it(`${type}: the members match RESOURCE_FIELDS and relationships point at resource types`, () => {
        const schema = schemas[resourceSchemaId(type)];
        assert.ok(schema, `schemas/resources/${type}.schema.json`);
        assert.equal(schema.properties.type.const, type);
        const relationships = schema.properties.relationships?.properties ?? {};
        const members = [
          ...Object.keys(schema.properties.attributes.properties),
          ...Object.keys(relationships),
        ];
        assert.deepEqual([...members].sort(), [...fields].sort());
        for (const [name, relationship] of Object.entries(relationships)) {
          const related = relationship.properties.data.properties.type.const;
          assert.ok(Object.hasOwn(RESOURCE_FIELDS, related), `${type}.${name} → ${related}`);
        }
      });
    }
  });

  describe('from draft-07 files to components', () => {
    it('hoists definitions into components of their own and points every $ref at components', () => {
      const components = toComponents({
        common: { $id: 'common', definitions: { uuid: { type: 'string', format: 'uuid' } } },
        thing: {
          $id: 'thing',
          $schema: 'http://json-schema.org/draft-07/schema#',
          type: 'object',
          properties: {
            id: { $ref: 'common#/definitions/uuid' },
            own: { $ref: '#/definitions/own' },
            whole: { $ref: 'common' },
            dependencies: { type: 'string' },
          },
          definitions: { own: { type: 'integer' } },
        },
      });
      assert.deepEqual(Object.keys(components).sort(), ['common.uuid', 'thing', 'thing.own']);
      assert.deepEqual(components.thing, {
        type: 'object',
        properties: {
          id: { $ref: '#/components/schemas/common.uuid' },
          own: { $ref: '#/components/schemas/thing.own' },
          whole: { $ref: '#/components/schemas/common' },
          dependencies: { type: 'string' },
        },
      });
    });

    it('refuses keywords whose meaning changed in 2020-12 rather than describe something else', () => {
      assert.throws(
        () => toComponents({ a: { $id: 'a', type: 'array', items: [{ type: 'string' }] } }),
        /items/,
      );
      assert.throws(() => toComponents({ a: { $id: 'a', dependencies: { x: ['y'] } } }), /dependencies/);
    });
  });
});
