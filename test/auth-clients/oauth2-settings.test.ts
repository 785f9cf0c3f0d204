// The oauth2 settings of API.md §10.1: grant type, public clients, extra parameters (never a
// protocol parameter), default lifetime, renewal timing, revocation URL, the read-only redirect_uri.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { PROTOCOL_PARAMS } from '../../src/modules/auth-clients/extra-params.js';
import {
  type Actor,
  createTenant,
  type Http,
  httpFor,
  JSONAPI,
  oauth2ClientAttributes,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const PUBLIC_URL = 'https://secrets.example.test';

describe('auth-clients: oauth2 settings (API.md §10.1)', () => {
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
  const patch = async (id: string, oauth2: Record<string, unknown>) =>
    track(
      await http
        .patch(`${base()}/${id}`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-client', id, attributes: { oauth2 } } }),
    );
  const read = async (id: string) =>
    track(await http.get(`${base()}/${id}`).set('Authorization', admin.auth));
  const pointers = (errors: { source?: { pointer?: string } }[]) =>
    errors.map((e) => e.source?.pointer).sort();

  before(async () => {
    t = await createTestApp({ PUBLIC_URL });
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
  });
  after(() => t.close());

  it('stores every new member and shows it back, with redirect_uri from PUBLIC_URL', async () => {
    const settings = {
      grant_type: 'client_credentials',
      authorize_params: { prompt: 'consent', access_type: 'offline' },
      token_params: { audience: 'https://api.example.test/' },
      refresh_params: { duration: 'permanent' },
      default_expires_in: 3600,
      refresh_margin_seconds: 60,
      refresh_every_seconds: 86400,
      revocation_url: 'https://auth.example.test/oauth/revoke',
    };
    const res = await post(oauth2ClientAttributes(settings));
    assertJsonApiResponse(res);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers['content-type'], JSONAPI);
    const o = res.body.data.attributes.oauth2;
    for (const [member, value] of Object.entries(settings)) assert.deepEqual(o[member], value, member);
    assert.equal(o.redirect_uri, `${PUBLIC_URL}/v2/oauth/callback`);

    const again = await read(res.body.data.id);
    assertJsonApiResponse(again);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.data.attributes.oauth2, o);
    const row = await t.prisma.authClient.findUniqueOrThrow({ where: { id: res.body.data.id } });
    assert.equal(row.grantType, 'client_credentials');
    assert.deepEqual(row.refreshParams, { duration: 'permanent' });
    assert.equal(row.defaultExpiresIn, 3600);
  });

  it('auth_method none: client_secret not required; otherwise it is (422 with its pointer)', async () => {
    const attrs = oauth2ClientAttributes({ auth_method: 'none' });
    delete (attrs.oauth2 as Record<string, unknown>).client_secret;
    const res = await post(attrs);
    assertJsonApiResponse(res);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.data.attributes.oauth2.auth_method, 'none');
    assert.equal(res.body.data.attributes.oauth2.client_secret_set, false);

    const confidential = oauth2ClientAttributes();
    delete (confidential.oauth2 as Record<string, unknown>).client_secret;
    const refused = await post(confidential);
    const errors = expectError(refused, 422, 'missing_member');
    assert.deepEqual(pointers(errors), ['/data/attributes/oauth2/client_secret']);

    // Turning the public client into a confidential one needs a secret then.
    const noSecret = await patch(res.body.data.id, { auth_method: 'client_secret_post' });
    assert.deepEqual(pointers(expectError(noSecret, 422, 'missing_member')), [
      '/data/attributes/oauth2/client_secret',
    ]);
    const unchanged = await read(res.body.data.id);
    assert.equal(unchanged.body.data.attributes.oauth2.auth_method, 'none');
  });

  it('protocol parameters cannot be set through any *_params member (422, every one reported)', async () => {
    const res = await post(
      oauth2ClientAttributes({
        authorize_params: { state: 'x', response_type: 'token', prompt: 'consent' },
        token_params: { grant_type: 'password', code_verifier: 'x' },
        refresh_params: { refresh_token: 'x', client_secret: 'x', scope: 'admin' },
      }),
    );
    const errors = expectError(res, 422, 'reserved_parameter');
    assert.deepEqual(pointers(errors), [
      '/data/attributes/oauth2/authorize_params/response_type',
      '/data/attributes/oauth2/authorize_params/state',
      '/data/attributes/oauth2/refresh_params/client_secret',
      '/data/attributes/oauth2/refresh_params/refresh_token',
      '/data/attributes/oauth2/refresh_params/scope',
      '/data/attributes/oauth2/token_params/code_verifier',
      '/data/attributes/oauth2/token_params/grant_type',
    ]);
    for (const e of errors) assert.equal(e.status, '422');
    assert.ok(PROTOCOL_PARAMS.has('redirect_uri') && PROTOCOL_PARAMS.has('client_id'));
    const listed = await http.get(base()).set('Authorization', admin.auth);
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes('"password"'), 'nothing was stored');
  });

  it('bad values: non-string params, out-of-range numbers, unknown grant, redirect_uri written', async () => {
    const res = await post(
      oauth2ClientAttributes({
        token_params: { audience: 5 },
        default_expires_in: 0,
        refresh_margin_seconds: -1,
        refresh_every_seconds: 10,
        grant_type: 'password',
        redirect_uri: 'https://evil.example.test/cb',
      }),
    );
    const errors = expectError(res, 422);
    assert.deepEqual(pointers(errors), [
      '/data/attributes/oauth2/default_expires_in',
      '/data/attributes/oauth2/grant_type',
      '/data/attributes/oauth2/redirect_uri',
      '/data/attributes/oauth2/refresh_every_seconds',
      '/data/attributes/oauth2/refresh_margin_seconds',
      '/data/attributes/oauth2/token_params/audience',
    ]);
  });

  it('revocation_url follows the token_url rules (https, forbidden addresses)', async () => {
    const res = await post(oauth2ClientAttributes({ revocation_url: 'http://auth.example.test/revoke' }));
    assert.deepEqual(pointers(expectError(res, 422, 'insecure_url')), [
      '/data/attributes/oauth2/revocation_url',
    ]);
    const privateAddress = await post(oauth2ClientAttributes({ revocation_url: 'https://10.0.0.8/revoke' }));
    assert.deepEqual(pointers(expectError(privateAddress, 422, 'forbidden_address')), [
      '/data/attributes/oauth2/revocation_url',
    ]);
  });

  it('PATCH merges the new members, null clears them; grant_type cannot change (409)', async () => {
    const created = await post(
      oauth2ClientAttributes({ refresh_params: { audience: 'a' }, default_expires_in: 60 }),
    );
    assert.equal(created.status, 201, created.text);
    const id = created.body.data.id;
    const res = await patch(id, {
      refresh_params: null,
      default_expires_in: null,
      refresh_every_seconds: 3600,
    });
    assertJsonApiResponse(res);
    assert.equal(res.status, 200, res.text);
    const o = res.body.data.attributes.oauth2;
    assert.deepEqual(o.refresh_params, {});
    assert.equal(o.default_expires_in, null);
    assert.equal(o.refresh_every_seconds, 3600);
    assert.equal(o.grant_type, 'authorization_code');

    const same = await patch(id, { grant_type: 'authorization_code' });
    assert.equal(same.status, 200, same.text);
    const changed = await patch(id, { grant_type: 'client_credentials' });
    assert.deepEqual(pointers(expectError(changed, 409, 'grant_type_immutable')), [
      '/data/attributes/oauth2/grant_type',
    ]);
    const reserved = await patch(id, { token_params: { code: 'x' } });
    assert.deepEqual(pointers(expectError(reserved, 422, 'reserved_parameter')), [
      '/data/attributes/oauth2/token_params/code',
    ]);
    const after = await read(id);
    assert.deepEqual(after.body.data.attributes.oauth2.token_params, {});
  });
});
