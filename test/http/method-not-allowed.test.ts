import assert from 'node:assert/strict';
import request from 'supertest';
import { createTenant } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('methods a route does not serve', () => {
  let t: TestApp;
  let auth: string;
  before(async () => {
    t = await createTestApp();
    auth = (await createTenant(t.prisma)).admin.auth;
  });
  after(() => t.close());

  it('405 with Allow for a known path and an unsupported method', async () => {
    const res = await request(t.app).put('/v2/users/me').set('Authorization', auth).send({});
    expectError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  it("OPTIONS is a JSON:API 405, not Express's text/plain answer", async () => {
    const res = await request(t.app).options('/v2/permissions');
    expectError(res, 405, 'method_not_allowed');
    assert.match(res.headers.allow ?? '', /GET/);
  });

  it('HEAD of a GET route is served without a body', async () => {
    const res = await request(t.app).head('/v2/users/me').set('Authorization', auth);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.api+json');
  });

  it('unknown paths stay 404', async () => {
    expectError(
      await request(t.app).put('/v2/nothing-here').set('Authorization', auth),
      404,
      'route_not_found',
    );
  });

  it('permissions carry timestamps like every resource', async () => {
    const res = await request(t.app).get('/v2/permissions').set('Authorization', auth);
    assert.equal(res.status, 200);
    assertJsonApiResponse(res);
    assert.ok(
      res.body.data.every(
        (p: { attributes: Record<string, string> }) => p.attributes.created_at && p.attributes.updated_at,
      ),
    );
  });

  it('route matching: case-insensitive, optional trailing slash, decoded parameters, malformed escapes', async () => {
    const me = await request(t.app).get('/V2/Users/ME/').set('Authorization', auth);
    assert.equal(me.status, 200, me.text);
    assertJsonApiResponse(me);
    // %30 decodes to "0": the parameter reaches the route decoded (a workspace id that is not a UUID → 404).
    expectError(
      await request(t.app).get('/v2/workspaces/%30/secrets').set('Authorization', auth),
      404,
      'not_found',
    );
    // A malformed escape where a parameter goes: a malformed id, so the resource does not exist.
    expectError(
      await request(t.app).get('/v2/workspaces/%ZZ/secrets').set('Authorization', auth),
      404,
      'not_found',
    );
    // …but with a method that path does not serve it is still the 405.
    const put = await request(t.app).put('/v2/workspaces/%ZZ/secrets').set('Authorization', auth).send({});
    expectError(put, 405, 'method_not_allowed');
  });
});
