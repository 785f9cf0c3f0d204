// API.md §5 for the tenancy actions: memberships, roles and API keys each leave exactly one
// event with the right actor, action, outcome and scope; events are listed newest first, filtered,
// paginated, and only to callers holding the audit permission.
import assert from 'node:assert/strict';
import request from 'supertest';
import { type Actor, addMember, createTenant, createUser, createWorkspace } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { runToEnd } from '../support/processes.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const JSON_TYPE = 'application/vnd.api+json';

describe('audit events for tenancy actions', () => {
  let t: TestApp;
  let tenantId: string;
  let admin: Actor;
  let workspaceId: string;

  before(async () => {
    t = await createTestApp();
    ({ tenantId, admin } = await createTenant(t.prisma));
    workspaceId = await createWorkspace(t.prisma, tenantId, admin.userId);
  });
  after(() => t.close());

  const send = (method: 'post' | 'patch' | 'delete', path: string, auth: string, body?: object) => {
    const r = request(t.app)[method](path).set('Authorization', auth).set('Content-Type', JSON_TYPE);
    return body === undefined ? r : r.send(body);
  };
  const events = (where: Record<string, unknown>) =>
    t.prisma.auditEvent.findMany({ where, orderBy: { id: 'asc' } });

  it('records membership create, update and delete in the workspace, with the actor', async () => {
    const bob = await createUser(t.prisma, tenantId);
    const created = await send('post', `/v2/workspaces/${workspaceId}/memberships`, admin.auth, {
      data: {
        type: 'membership',
        attributes: { role: 'viewer' },
        relationships: { user: { data: { type: 'user', id: bob.userId } } },
      },
    });
    assert.equal(created.status, 201);
    const id = created.body.data.id as string;
    assert.equal(
      (
        await send('patch', `/v2/workspaces/${workspaceId}/memberships/${id}`, admin.auth, {
          data: { type: 'membership', id, attributes: { role: 'editor' } },
        })
      ).status,
      200,
    );
    assert.equal(
      (await send('delete', `/v2/workspaces/${workspaceId}/memberships/${id}`, admin.auth)).status,
      204,
    );

    const rows = await events({ resourceId: id });
    assert.deepEqual(
      rows.map((e) => e.action),
      ['membership.create', 'membership.update', 'membership.delete'],
    );
    for (const e of rows) {
      assert.equal(e.outcome, 'success');
      assert.equal(e.workspaceId, workspaceId);
      assert.equal(e.tenantId, tenantId);
      assert.equal(e.actorUserId, admin.userId);
      assert.ok(e.actorApiKeyId, 'the API key is recorded');
      assert.ok(e.requestId, 'the request id is recorded');
    }
  });

  it('records nothing when the change is refused (no event without its change)', async () => {
    const owner = await t.prisma.membership.findFirstOrThrow({
      where: { workspaceId, userId: admin.userId },
    });
    const before = await t.prisma.auditEvent.count({ where: { tenantId } });
    const res = await send('delete', `/v2/workspaces/${workspaceId}/memberships/${owner.id}`, admin.auth);
    expectError(res, 409, 'last_owner');
    assert.equal(await t.prisma.auditEvent.count({ where: { tenantId } }), before);
  });

  it('records role create, update and delete at tenant level', async () => {
    const created = await send('post', `/v2/tenants/${tenantId}/roles`, admin.auth, {
      data: { type: 'role', attributes: { name: 'auditor', permissions: ['workspaces.audit_event.get'] } },
    });
    assert.equal(created.status, 201);
    const id = created.body.data.id as string;
    await send('patch', `/v2/tenants/${tenantId}/roles/${id}`, admin.auth, {
      data: { type: 'role', id, attributes: { name: 'auditors' } },
    });
    await send('delete', `/v2/tenants/${tenantId}/roles/${id}`, admin.auth);
    const rows = await events({ resourceId: id });
    assert.deepEqual(
      rows.map((e) => e.action),
      ['role.create', 'role.update', 'role.delete'],
    );
    assert.ok(
      rows.every((e) => e.workspaceId === null && e.resourceType === 'role'),
      'tenant-level role events',
    );
  });

  it('records API key creation and revocation without the key', async () => {
    const created = await send('post', `/v2/users/me/api-keys`, admin.auth, {
      data: { type: 'api-key', attributes: { name: 'ci' } },
    });
    assert.equal(created.status, 201);
    const { id, attributes } = created.body.data as { id: string; attributes: { key: string } };
    assert.equal((await send('delete', `/v2/users/me/api-keys/${id}`, admin.auth)).status, 204);
    const rows = await events({ resourceId: id });
    assert.deepEqual(
      rows.map((e) => e.action),
      ['api_key.create', 'api_key.revoke'],
    );
    const secretPart = attributes.key.split('_').pop() as string;
    assert.ok(!JSON.stringify(rows).includes(secretPart), 'no key material in events');
  });

  it('lists workspace and tenant events newest first, filtered and paginated', async () => {
    const list = await request(t.app)
      .get(`/v2/workspaces/${workspaceId}/audit-events?page[size]=2`)
      .set('Authorization', admin.auth);
    assert.equal(list.status, 200);
    assertJsonApiResponse(list);
    assert.equal(list.body.data.length, 2);
    assert.ok(list.body.links.next, 'more than one page');
    const [first, second] = list.body.data as {
      id: string;
      type: string;
      attributes: Record<string, string>;
    }[];
    assert.equal(first?.type, 'audit-event');
    assert.ok((first?.id ?? '') > (second?.id ?? ''), 'newest first');
    assert.equal(first?.attributes.action, 'membership.delete');

    const next = await request(t.app)
      .get(new URL(list.body.links.next).pathname + new URL(list.body.links.next).search)
      .set('Authorization', admin.auth);
    assert.equal(next.status, 200);
    assertJsonApiResponse(next);
    assert.ok(
      next.body.data.every((e: { id: string }) => e.id < (second?.id ?? '')),
      'the next page is older',
    );

    const filtered = await request(t.app)
      .get(`/v2/tenants/${tenantId}/audit-events?filter[action]=role.create&filter[actor]=${admin.userId}`)
      .set('Authorization', admin.auth);
    assert.equal(filtered.status, 200);
    assertJsonApiResponse(filtered);
    assert.equal(filtered.body.data.length, 1);
    assert.equal(filtered.body.data[0].attributes.action, 'role.create');

    const single = await request(t.app)
      .get(new URL(filtered.body.data[0].links.self).pathname)
      .set('Authorization', admin.auth);
    assert.equal(single.status, 200);
    assertJsonApiResponse(single);

    expectError(
      await request(t.app)
        .get(`/v2/tenants/${tenantId}/audit-events?filter[action]=nope`)
        .set('Authorization', admin.auth),
      400,
    );
  });

  it('is visible only with the audit permission', async () => {
    const editor = await createUser(t.prisma, tenantId);
    await addMember(t.prisma, workspaceId, editor.userId, 'editor');
    expectError(
      await request(t.app)
        .get(`/v2/workspaces/${workspaceId}/audit-events`)
        .set('Authorization', editor.auth),
      403,
    );
    expectError(
      await request(t.app).get(`/v2/tenants/${tenantId}/audit-events`).set('Authorization', editor.auth),
      403,
    );
    const other = await createTenant(t.prisma);
    expectError(
      await request(t.app)
        .get(`/v2/workspaces/${workspaceId}/audit-events`)
        .set('Authorization', other.admin.auth),
      404,
    );
    expectError(
      await request(t.app).get(`/v2/tenants/${tenantId}/audit-events`).set('Authorization', other.admin.auth),
      404,
    );
  });

  it('prune-audit deletes events older than the retention', async function () {
    this.timeout(60_000);
    const old = await t.prisma.auditEvent.create({
      data: {
        tenantId,
        action: 'role.create',
        outcome: 'success',
        resourceType: 'role',
        resourceId: 'x',
        createdAt: new Date(Date.now() - 400 * 86_400_000),
      },
    });
    const { testDatabaseUrl } = await import('../support/test-database.js');
    const r = await runToEnd('src/cli.ts', ['prune-audit', '--older-than-days', '365'], {
      DATABASE_URL: testDatabaseUrl(),
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).deleted >= 1, 'at least the old event was deleted');
    assert.equal(await t.prisma.auditEvent.count({ where: { id: old.id } }), 0);
    assert.ok((await t.prisma.auditEvent.count({ where: { tenantId } })) > 0, 'recent events kept');
  });
});
