import assert from 'node:assert/strict';
import {
  assertJsonApiResponse,
  expectError,
  type HttpResponseLike,
  JSON_API_MEDIA_TYPE,
  jsonApiSchemaErrors,
} from './jsonapi-schema.js';

function response(body: unknown, overrides: Partial<HttpResponseLike> = {}): HttpResponseLike {
  return {
    status: 200,
    headers: { 'content-type': JSON_API_MEDIA_TYPE },
    body,
    text: body === undefined ? '' : JSON.stringify(body),
    ...overrides,
  };
}

function resourceDocument(self = 'http://127.0.0.1:3000/v2/tenants/1') {
  return {
    data: {
      type: 'tenant',
      id: '1',
      attributes: { name: 'acme', created_at: '2026-01-01T00:00:00Z' },
      links: { self },
    },
    links: { self },
  };
}

const errorDocument = {
  errors: [
    {
      status: '422',
      code: 'invalid_attribute',
      title: 'Invalid attribute',
      detail: 'name is too long',
      source: { pointer: '/data/attributes/name' },
    },
  ],
};

describe('assertJsonApiResponse', () => {
  it('accepts a valid document with the exact media type', () => {
    assertJsonApiResponse(response(resourceDocument()));
  });

  it('accepts a 204 without body or Content-Type', () => {
    assertJsonApiResponse(response(undefined, { status: 204, headers: {}, body: {} }));
  });

  it('rejects a Content-Type with a charset parameter', () => {
    const res = response(resourceDocument(), {
      headers: { 'content-type': `${JSON_API_MEDIA_TYPE}; charset=utf-8` },
    });
    assert.throws(() => assertJsonApiResponse(res), /Content-Type exactly "application\/vnd\.api\+json"/);
  });

  it('rejects a missing body on a non-204 response', () => {
    assert.throws(
      () => assertJsonApiResponse(response(undefined, { body: {} })),
      /expected a JSON:API document/,
    );
  });

  it('rejects an invalid document, showing the Ajv errors and the body', () => {
    const res = response({ data: { type: 'tenant', attributes: { name: 'acme' } }, extra: true });
    assert.throws(
      () => assertJsonApiResponse(res),
      (error: Error) => {
        assert.match(error.message, /not a valid JSON:API document/);
        assert.match(error.message, /must have required property 'id'/);
        assert.match(error.message, /"extra": true/);
        return true;
      },
    );
  });

  it('rejects a link with a raw "[" in its query (ajv-formats uri, full mode)', () => {
    const res = response(resourceDocument('http://127.0.0.1:3000/v2/tenants?page[size]=5'));
    assert.throws(() => assertJsonApiResponse(res), /must match format "uri"/);
    assert.deepEqual(
      jsonApiSchemaErrors(resourceDocument('http://127.0.0.1:3000/v2/tenants?page%5Bsize%5D=5')),
      [],
    );
  });

  it('rejects relative links (the schema wants absolute URIs)', () => {
    assert.notDeepEqual(jsonApiSchemaErrors(resourceDocument('/v2/tenants/1')), []);
  });

  it('reports a document sent with a non-JSON Content-Type from its text', () => {
    const doc = resourceDocument();
    const res = response(doc, { headers: { 'content-type': 'text/html' }, body: {} });
    assert.throws(() => assertJsonApiResponse(res), /"type": "tenant"/);
  });
});

describe('expectError', () => {
  it('accepts a matching error document and returns its errors', () => {
    const errors = expectError(response(errorDocument, { status: 422 }), 422, 'invalid_attribute');
    assert.equal(errors[0]?.source?.pointer, '/data/attributes/name');
  });

  it('rejects another HTTP status', () => {
    assert.throws(
      () => expectError(response(errorDocument, { status: 400 }), 422),
      /expected HTTP 422, got 400/,
    );
  });

  it('rejects errors[0].status that is not the status as a string', () => {
    const doc = { errors: [{ status: '400', code: 'invalid_attribute' }] };
    assert.throws(() => expectError(response(doc, { status: 422 }), 422), /errors\[0\]\.status to be "422"/);
  });

  it('rejects another code', () => {
    assert.throws(
      () => expectError(response(errorDocument, { status: 422 }), 422, 'name_taken'),
      /errors\[0\]\.code to be "name_taken", got "invalid_attribute"/,
    );
  });

  it('rejects a success document', () => {
    assert.throws(() => expectError(response(resourceDocument(), { status: 422 }), 422), /"errors" array/);
  });
});
