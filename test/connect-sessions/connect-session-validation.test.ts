// POST/GET …/connect-sessions (API.md §10.2): what a session may name, every problem reported with
// its pointer, and nothing stored when the request is refused. The flow itself:
// connect-flow.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import {
  addMember,
  createClient,
  createSecret,
  createTenant,
  createUser,
  createWorkspace,
  type Http,
  JSONAPI,
  oauth2ClientAttributes,
  uniqueName,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { marker, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const AUTHORIZE_URL = 'https://auth.example.test/authorize';

describe('connect sessions: validation, permissions and reads (API.md §10.2)', () => {
  let t: TestApp;
  let http: Http;
  let auth: string;
  let tenantId: string;
  let workspaceId: string;
  let codeClientId: string;

  before(async () => {
    t = await createTestApp();
    http = request(t.app);
    const tenant = await createTenant(t.prisma);
    tenantId = tenant.tenantId;
    auth = tenant.admin.auth;
    workspaceId = await createWorkspace(t.prisma, tenantId, tenant.admin.userId);
    codeClientId = (
      await createClient(http, auth, tenantId, oauth2ClientAttributes({ authorize_url: AUTHORIZE_URL }))
    ).id;
  });

  after(async () => {
    await t?.close();
  });

  function body(attributes: Record<string, unknown> = {}, relationships: Record<string, unknown> = {}) {
    return {
      data: {
        type: 'connect-session',
        attributes: { name: marker('connection'), ...attributes },
        relationships: {
          'auth-client': { data: { type: 'auth-client', id: codeClientId } },
          ...relationships,
        },
      },
    };
  }

  const post = async (doc: unknown, as = auth, ws = workspaceId) =>
    track(
      await http
        .post(`/v2/workspaces/${ws}/connect-sessions`)
        .set('Authorization', as)
        .set('Content-Type', JSONAPI)
        .send(doc as object),
    );

  const sessionCount = () => t.prisma.connectSession.count({ where: { tenantId } });
  const clientRef = (id: string) => ({ 'auth-client': { data: { type: 'auth-client', id } } });
  const pointers = (errors: { source?: { pointer?: string } }[]) =>
    errors.map((e) => e.source?.pointer).sort();

  it('refuses an auth-client that cannot run the flow (422 pointing at the relationship), storing nothing', async () => {
    const other = await createClient(http, auth, tenantId, { name: marker('other'), auth_type: 'other' });
    const noAuthorizeUrl = await createClient(http, auth, tenantId, oauth2ClientAttributes());
    const machine = await createClient(
      http,
      auth,
      tenantId,
      oauth2ClientAttributes({ authorize_url: AUTHORIZE_URL, grant_type: 'client_credentials' }),
    );
    const before = await sessionCount();
    for (const [id, detail] of [
      [other.id, /oauth2/],
      [noAuthorizeUrl.id, /authorize_url/],
      [machine.id, /authorization_code/],
    ] as const) {
      const res = await post(body({}, clientRef(id)));
      const errors = expectError(res, 422, 'unsuitable_auth_client');
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.source?.pointer, '/data/relationships/auth-client/data');
      assert.match(errors[0]?.detail ?? '', detail);
    }
    assert.equal(await sessionCount(), before);
  });

  it('refuses return_urls the service may not send a browser to, with every problem at once', async () => {
    const other = await createClient(http, auth, tenantId, { name: marker('other'), auth_type: 'other' });
    const before = await sessionCount();
    for (const [url, code] of [
      ['https://10.0.0.1/done', 'forbidden_address'],
      ['https://[fe80::1]/done', 'forbidden_address'],
      ['http://app.example.test/done', 'insecure_url'],
      ['javascript:alert(1)', 'insecure_url'],
      ['https://user:pw@app.example.test/done', 'invalid_url'],
      ['https://app.example.test/done#frag', 'invalid_url'],
    ]) {
      const errors = expectError(await post(body({ return_url: url })), 422, code);
      assert.equal(errors[0]?.source?.pointer, '/data/attributes/return_url', url);
    }
    // Two problems in one request: both reported.
    const both = expectError(
      await post(body({ return_url: 'https://10.1.2.3/x' }, clientRef(other.id))),
      422,
    );
    assert.deepEqual(pointers(both), ['/data/attributes/return_url', '/data/relationships/auth-client/data']);
    assert.equal(await sessionCount(), before);
  });

  it('accepts a loopback http return_url when OAUTH_ALLOW_LOOPBACK_HTTP=true, and refuses it otherwise', async () => {
    const res = await post(body({ return_url: 'http://127.0.0.1:9/done' }));
    assertJsonApiResponse(res);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.data.attributes.return_url, 'http://127.0.0.1:9/done');
    const strict = await createTestApp({ OAUTH_ALLOW_LOOPBACK_HTTP: 'false' });
    try {
      const refused = track(
        await request(strict.app)
          .post(`/v2/workspaces/${workspaceId}/connect-sessions`)
          .set('Authorization', auth)
          .set('Content-Type', JSONAPI)
          .send(body({ return_url: 'http://127.0.0.1:9/done' })),
      );
      const errors = expectError(refused, 422, 'insecure_url');
      assert.equal(errors[0]?.source?.pointer, '/data/attributes/return_url');
    } finally {
      await strict.close();
    }
  });

  it('answers 404 with a pointer for an auth-client of another tenant', async () => {
    const foreign = await createTenant(t.prisma);
    const theirs = await createClient(
      http,
      foreign.admin.auth,
      foreign.tenantId,
      oauth2ClientAttributes({ authorize_url: AUTHORIZE_URL }),
    );
    const errors = expectError(await post(body({}, clientRef(theirs.id))), 404, 'not_found');
    assert.equal(errors[0]?.source?.pointer, '/data/relationships/auth-client/data');
  });

  it('re-authorization: a secret of this client in this workspace, by a caller who may edit secrets', async () => {
    const secret = await createSecret(http, auth, workspaceId, codeClientId);
    const otherClient = await createClient(http, auth, tenantId, oauth2ClientAttributes());
    const foreignSecret = await createSecret(http, auth, workspaceId, otherClient.id);
    const otherWorkspace = await createWorkspace(
      t.prisma,
      tenantId,
      (await createUser(t.prisma, tenantId)).userId,
    );
    const elsewhere = await createSecret(http, auth, otherWorkspace, codeClientId);
    const ref = (id: string) => ({ 'auth-secret': { data: { type: 'auth-secret', id } } });
    const before = await sessionCount();

    const mismatch = expectError(await post(body({}, ref(foreignSecret.id))), 422, 'auth_client_mismatch');
    assert.equal(mismatch[0]?.source?.pointer, '/data/relationships/auth-secret/data');
    const missing = expectError(await post(body({}, ref(elsewhere.id))), 404, 'not_found');
    assert.equal(missing[0]?.source?.pointer, '/data/relationships/auth-secret/data');

    // A custom role that may create secrets but not edit them.
    const creator = await createUser(t.prisma, tenantId);
    const roleName = uniqueName('creator');
    await t.prisma.role.create({
      data: {
        tenantId,
        name: roleName,
        permissions: ['workspaces.workspace.get', 'workspaces.auth_secret.create'],
      },
    });
    await addMember(t.prisma, workspaceId, creator.userId, roleName);
    expectError(await post(body({}, ref(secret.id)), creator.auth), 403, 'forbidden');
    assert.equal(await sessionCount(), before);
    // Without the relationship the same caller may start a session.
    const allowed = await post(body(), creator.auth);
    assert.equal(allowed.status, 201, allowed.text);

    const ok = await post(body({}, ref(secret.id)));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.data.relationships['auth-secret'].data.id, secret.id);
  });

  it('refuses malformed documents: schema problems with pointers, wrong type, client-generated id', async () => {
    const bad = expectError(
      await post({ data: { type: 'connect-session', attributes: { scopes: ['has space'], extra: 1 } } }),
      422,
    );
    assert.ok(bad.length >= 3, JSON.stringify(bad));
    expectError(
      await post({ ...body(), data: { ...body().data, type: 'auth-secret' } }),
      409,
      'type_mismatch',
    );
    expectError(
      await post({ ...body(), data: { ...body().data, id: '0190d5b6-0000-7000-8000-000000000000' } }),
      403,
      'client_generated_id',
    );
  });

  it('reads a session in its own workspace only; malformed and unknown ids are 404', async () => {
    const created = await post(body({ scopes: ['a', 'b'] }));
    assert.equal(created.status, 201, created.text);
    const id = created.body.data.id as string;
    const res = track(
      await http.get(`/v2/workspaces/${workspaceId}/connect-sessions/${id}`).set('Authorization', auth),
    );
    assertJsonApiResponse(res);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.attributes.status, 'pending');
    assert.deepEqual(res.body.data.attributes.scopes, ['a', 'b']);
    assert.equal(res.body.data.relationships['auth-secret'].data, null);
    assert.equal(res.body.data.relationships['auth-client'].data.id, codeClientId);
    const other = await createWorkspace(t.prisma, tenantId, (await createUser(t.prisma, tenantId)).userId);
    for (const path of [
      `/v2/workspaces/${other}/connect-sessions/${id}`,
      `/v2/workspaces/${workspaceId}/connect-sessions/not-a-uuid`,
      `/v2/workspaces/${workspaceId}/connect-sessions/0190d5b6-0000-7000-8000-000000000000`,
    ]) {
      expectError(track(await http.get(path).set('Authorization', auth)), 404, 'not_found');
    }
  });
});
