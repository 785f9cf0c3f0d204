// API.md §5 for auth-secrets and auth-clients: each action leaves exactly one event with the right
// actor, action and outcome; reads that return credentials are audited per secret; refused writes
// are audited as failures; no event holds a credential value.
import assert from 'node:assert/strict';
import request from 'supertest';
import {
  type Actor,
  addMember,
  createClient,
  createSecret,
  createTenant,
  createUser,
  createWorkspace,
  oauth2ClientAttributes,
  secretDocument,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { marker } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('audit events for auth-secrets and auth-clients', () => {
  let t: TestApp;
  let tenantId: string;
  let admin: Actor;
  let editor: Actor;
  let workspaceId: string;
  let clientId: string;

  before(async () => {
    t = await createTestApp();
    ({ tenantId, admin } = await createTenant(t.prisma));
    workspaceId = await createWorkspace(t.prisma, tenantId, admin.userId);
    editor = await createUser(t.prisma, tenantId);
    await addMember(t.prisma, workspaceId, editor.userId, 'editor');
    clientId = (await createClient(request(t.app), admin.auth, tenantId)).id;
  });
  after(() => t.close());

  const eventsOf = (resourceId: string) =>
    t.prisma.auditEvent.findMany({ where: { resourceId }, orderBy: { id: 'asc' } });

  it('create, read, list, update and delete each leave exactly one event by the acting user', async () => {
    const http = request(t.app);
    const secret = await createSecret(http, editor.auth, workspaceId, clientId);
    const path = `/v2/workspaces/${workspaceId}/secrets/${secret.id}`;
    assert.equal((await http.get(path).set('Authorization', editor.auth)).status, 200);
    const list = await http.get(`/v2/workspaces/${workspaceId}/secrets`).set('Authorization', editor.auth);
    assert.equal(list.status, 200);
    assertJsonApiResponse(list);
    const patch = await http
      .patch(path)
      .set('Authorization', editor.auth)
      .set('Content-Type', 'application/json')
      .send({ data: { type: 'auth-secret', id: secret.id, attributes: { name: 'renamed' } } });
    assert.equal(patch.status, 200);
    assert.equal((await http.delete(path).set('Authorization', editor.auth)).status, 204);

    const events = await eventsOf(secret.id);
    assert.deepEqual(
      events.map((e) => e.action),
      [
        'auth_secret.create',
        'auth_secret.read',
        'auth_secret.read',
        'auth_secret.update',
        'auth_secret.delete',
      ],
    );
    for (const e of events) {
      assert.equal(e.outcome, 'success');
      assert.equal(e.actorUserId, editor.userId);
      assert.equal(e.workspaceId, workspaceId);
      assert.equal(e.resourceType, 'auth-secret');
    }
    assert.deepEqual((events[3]?.details as { changed?: string[] } | undefined)?.changed, ['name']);
  });

  it('a read whose fields leave credentials out is not a credential read', async () => {
    const http = request(t.app);
    const secret = await createSecret(http, editor.auth, workspaceId, clientId);
    const res = await http
      .get(`/v2/workspaces/${workspaceId}/secrets/${secret.id}?fields[auth-secret]=name,state`)
      .set('Authorization', editor.auth);
    assert.equal(res.status, 200);
    assertJsonApiResponse(res);
    assert.equal(res.body.data.attributes.credentials, undefined);
    assert.deepEqual(
      (await eventsOf(secret.id)).map((e) => e.action),
      ['auth_secret.create'],
    );
  });

  it('refused writes are audited as failures and change nothing', async () => {
    const http = request(t.app);
    const secret = await createSecret(http, editor.auth, workspaceId, clientId);
    const bad = await http
      .patch(`/v2/workspaces/${workspaceId}/secrets/${secret.id}`)
      .set('Authorization', editor.auth)
      .set('Content-Type', 'application/json')
      .send({
        data: { type: 'auth-secret', id: secret.id, attributes: { credentials: { access_token: 'x' } } },
      });
    expectError(bad, 422);
    const missingClient = await http
      .post(`/v2/workspaces/${workspaceId}/secrets`)
      .set('Authorization', editor.auth)
      .set('Content-Type', 'application/json')
      .send(secretDocument('00000000-0000-7000-8000-00000000abcd'));
    expectError(missingClient, 404);

    const failures = await t.prisma.auditEvent.findMany({
      where: { workspaceId, outcome: 'failure', actorUserId: editor.userId },
      orderBy: { id: 'asc' },
    });
    assert.deepEqual(
      failures.map((e) => [e.action, (e.details as { status: number }).status]),
      [
        ['auth_secret.update', 422],
        ['auth_secret.create', 404],
      ],
    );
    assert.equal(
      (await t.prisma.authSecret.findUniqueOrThrow({ where: { id: secret.id } })).name,
      secret.attributes.name,
    );
  });

  it('auth-client create, update and delete are tenant-level events without the client secret', async () => {
    const http = request(t.app);
    const attributes = oauth2ClientAttributes();
    const client = await createClient(http, admin.auth, tenantId, attributes);
    const newSecret = marker('client-secret');
    const patch = await http
      .patch(`/v2/tenants/${tenantId}/auth-clients/${client.id}`)
      .set('Authorization', admin.auth)
      .set('Content-Type', 'application/json')
      .send({
        data: { type: 'auth-client', id: client.id, attributes: { oauth2: { client_secret: newSecret } } },
      });
    assert.equal(patch.status, 200);
    assert.equal(
      (
        await http
          .delete(`/v2/tenants/${tenantId}/auth-clients/${client.id}`)
          .set('Authorization', admin.auth)
      ).status,
      204,
    );

    const events = await eventsOf(client.id);
    assert.deepEqual(
      events.map((e) => e.action),
      ['auth_client.create', 'auth_client.update', 'auth_client.delete'],
    );
    assert.ok(
      events.every((e) => e.workspaceId === null && e.actorUserId === admin.userId),
      'tenant-level events by the admin',
    );
    assert.deepEqual((events[1]?.details as { changed?: string[] } | undefined)?.changed, [
      'oauth2.client_secret',
    ]);
    const text = JSON.stringify(events);
    assert.ok(
      !text.includes(newSecret) &&
        !text.includes(String((attributes.oauth2 as { client_secret: string }).client_secret)),
    );
  });

  it('an event never holds the credentials it is about', async () => {
    const http = request(t.app);
    const secret = await createSecret(http, editor.auth, workspaceId, clientId);
    const creds = secret.attributes.credentials as { access_token: string; refresh_token: string };
    await http.get(`/v2/workspaces/${workspaceId}/secrets/${secret.id}`).set('Authorization', editor.auth);
    const text = JSON.stringify(await eventsOf(secret.id));
    assert.ok(!text.includes(creds.access_token), 'no access token');
    assert.ok(!text.includes(creds.refresh_token), 'no refresh token');
  });
});
