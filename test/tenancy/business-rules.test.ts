// API.md §2 rules beyond who-may-call-what: owners, roles, emails, memberships across tenants,
// API key scopes and secrecy, authcheck answers, the permission catalogue and role table.
// Every assert.ok carries a message: without one, Node 20 + tsx can hang building it on failure.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import { parseApiKey } from '../../src/auth/api-key-token.js';
import {
  addMember,
  createApiKey,
  createUser,
  createWorkspace,
  createWorld,
  populatedWorkspace,
  type ResourceObject,
  send,
  tenantSnapshot,
  uniqueName,
  type World,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { basicAuth } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// API.md §2, written out here rather than read from the code under test.
const WORKSPACE_PERMISSIONS = [
  'workspaces.workspace.get',
  'workspaces.workspace.edit',
  'workspaces.workspace.delete',
  'workspaces.membership.get',
  'workspaces.membership.create',
  'workspaces.membership.edit',
  'workspaces.membership.delete',
  'workspaces.auth_secret.get',
  'workspaces.auth_secret.reveal',
  'workspaces.auth_secret.create',
  'workspaces.auth_secret.edit',
  'workspaces.auth_secret.delete',
  'workspaces.auth_secret.refresh',
  'workspaces.audit_event.get',
];
const TENANT_PERMISSIONS = [
  'tenants.user.get',
  'tenants.user.create',
  'tenants.user.edit',
  'tenants.workspace.create',
  'tenants.auth_client.get',
  'tenants.auth_client.create',
  'tenants.auth_client.edit',
  'tenants.auth_client.delete',
  'tenants.role.get',
  'tenants.role.create',
  'tenants.role.edit',
  'tenants.role.delete',
  'tenants.audit_event.get',
  // API.md §11: lifecycle webhooks.
  'tenants.webhook.get',
  'tenants.webhook.create',
  'tenants.webhook.edit',
  'tenants.webhook.delete',
];
const BUILT_IN_ROLES: Record<string, string[]> = {
  owner: WORKSPACE_PERMISSIONS,
  editor: [
    'workspaces.workspace.get',
    'workspaces.membership.get',
    'workspaces.auth_secret.get',
    'workspaces.auth_secret.reveal',
    'workspaces.auth_secret.create',
    'workspaces.auth_secret.edit',
    'workspaces.auth_secret.delete',
    'workspaces.auth_secret.refresh',
  ],
  connector: [
    'workspaces.workspace.get',
    'workspaces.auth_secret.get',
    'workspaces.auth_secret.reveal',
    'workspaces.auth_secret.refresh',
  ],
  // No reveal: viewers see secrets without their credentials (API.md §8.1).
  viewer: ['workspaces.workspace.get', 'workspaces.membership.get', 'workspaces.auth_secret.get'],
};

const sorted = (xs: string[]) => [...xs].sort();

describe('tenancy: business rules (API.md §2)', () => {
  let t: TestApp;
  let w: World;

  before(async () => {
    t = await createTestApp();
    w = await createWorld(t.prisma);
  });

  after(async () => {
    await t?.close();
  });

  const get = (auth: string, path: string) => send(t.app, auth, { method: 'GET', path });
  const post = (auth: string, path: string, body: unknown) =>
    send(t.app, auth, { method: 'POST', path, body });
  const patch = (auth: string, path: string, body: unknown) =>
    send(t.app, auth, { method: 'PATCH', path, body });
  const del = (auth: string, path: string) => send(t.app, auth, { method: 'DELETE', path });

  function ok(res: { status: number; text: string }, status: number) {
    assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
    assertJsonApiResponse(res as never);
  }

  async function unchanged<T>(action: () => Promise<T>): Promise<T> {
    const before = await tenantSnapshot(t.prisma, w.tenantId);
    const result = await action();
    assert.deepEqual(await tenantSnapshot(t.prisma, w.tenantId), before, 'the tenant changed');
    return result;
  }

  const membershipPath = (ws: string, id: string) => `/v2/workspaces/${ws}/memberships/${id}`;
  const roleChange = (id: string, role: string) => ({
    data: { type: 'membership', id, attributes: { role } },
  });

  async function ownerMembership(workspaceId: string, userId: string) {
    return (await t.prisma.membership.findFirstOrThrow({ where: { workspaceId, userId } })).id;
  }

  describe('the last owner', () => {
    it('cannot be removed or demoted (409), by itself or by a tenant admin', async () => {
      const owner = w.actors.owner;
      const ws = await createWorkspace(t.prisma, w.tenantId, owner.userId);
      const id = await ownerMembership(ws, owner.userId);
      const role = await t.prisma.role.create({
        data: { tenantId: w.tenantId, name: uniqueName('almost-owner'), permissions: WORKSPACE_PERMISSIONS },
      });
      for (const actor of [owner, w.actors.admin]) {
        await unchanged(async () => {
          expectError(await del(actor.auth, membershipPath(ws, id)), 409, 'last_owner');
          for (const r of ['editor', 'viewer', role.name]) {
            expectError(
              await patch(actor.auth, membershipPath(ws, id), roleChange(id, r)),
              409,
              'last_owner',
            );
          }
        });
      }
      // Staying owner is not a demotion.
      ok(await patch(owner.auth, membershipPath(ws, id), roleChange(id, 'owner')), 200);
    });

    it('with two owners one may go; then the other is the last', async () => {
      const a = w.actors.owner;
      const b = await createUser(t.prisma, w.tenantId, 'member');
      const ws = await createWorkspace(t.prisma, w.tenantId, a.userId);
      const idB = await addMember(t.prisma, ws, b.userId, 'owner');
      const idA = await ownerMembership(ws, a.userId);
      const demoted = await patch(a.auth, membershipPath(ws, idB), roleChange(idB, 'editor'));
      ok(demoted, 200);
      assert.equal(demoted.body.data.attributes.role, 'editor');
      expectError(await del(a.auth, membershipPath(ws, idA)), 409, 'last_owner');
      const removed = await del(a.auth, membershipPath(ws, idB));
      assert.equal(removed.status, 204, removed.text);
      assertJsonApiResponse(removed);
    });

    it('two owners removing each other at once: one succeeds, one gets 409', async () => {
      const a = await createUser(t.prisma, w.tenantId, 'member');
      const b = await createUser(t.prisma, w.tenantId, 'member');
      const ws = await createWorkspace(t.prisma, w.tenantId, a.userId);
      const idB = await addMember(t.prisma, ws, b.userId, 'owner');
      const idA = await ownerMembership(ws, a.userId);
      const results = await Promise.all([
        del(a.auth, membershipPath(ws, idB)),
        del(b.auth, membershipPath(ws, idA)),
      ]);
      assert.deepEqual(sorted(results.map((r) => String(r.status))), ['204', '409']);
      for (const r of results) assertJsonApiResponse(r);
      assert.equal(await t.prisma.membership.count({ where: { workspaceId: ws } }), 1);
    });

    it('two owners demoting each other at once: one succeeds, one gets 409', async () => {
      const a = await createUser(t.prisma, w.tenantId, 'member');
      const b = await createUser(t.prisma, w.tenantId, 'member');
      const ws = await createWorkspace(t.prisma, w.tenantId, a.userId);
      const idB = await addMember(t.prisma, ws, b.userId, 'owner');
      const idA = await ownerMembership(ws, a.userId);
      const results = await Promise.all([
        patch(a.auth, membershipPath(ws, idB), roleChange(idB, 'viewer')),
        patch(b.auth, membershipPath(ws, idA), roleChange(idA, 'viewer')),
      ]);
      assert.deepEqual(sorted(results.map((r) => String(r.status))), ['200', '409']);
      for (const r of results) assertJsonApiResponse(r);
      const owners = await t.prisma.membership.count({
        where: { workspaceId: ws, role: { name: 'owner', builtIn: true } },
      });
      assert.equal(owners, 1);
    });
  });

  describe('roles', () => {
    const rolesPath = () => `/v2/tenants/${w.tenantId}/roles`;

    it('lists the built-in roles with exactly the permissions of the API.md table', async () => {
      const res = await get(w.actors.admin.auth, rolesPath());
      ok(res, 200);
      const builtIn = (res.body.data as ResourceObject[]).filter((r) => r.attributes.built_in);
      assert.deepEqual(
        Object.fromEntries(
          builtIn.map((r) => [r.attributes.name, sorted(r.attributes.permissions as string[])]),
        ),
        Object.fromEntries(Object.entries(BUILT_IN_ROLES).map(([k, v]) => [k, sorted(v)])),
      );
    });

    it('built-in roles are read-only (409)', async () => {
      const res = await get(w.actors.admin.auth, rolesPath());
      for (const role of (res.body.data as ResourceObject[]).filter((r) => r.attributes.built_in)) {
        const path = `${rolesPath()}/${role.id}`;
        await unchanged(async () => {
          expectError(
            await patch(w.actors.admin.auth, path, {
              data: { type: 'role', id: role.id, attributes: { name: uniqueName('x') } },
            }),
            409,
            'built_in_role',
          );
          expectError(
            await patch(w.actors.admin.auth, path, {
              data: { type: 'role', id: role.id, attributes: { permissions: WORKSPACE_PERMISSIONS } },
            }),
            409,
            'built_in_role',
          );
          expectError(await del(w.actors.admin.auth, path), 409, 'built_in_role');
        });
        ok(await get(w.actors.admin.auth, path), 200);
      }
    });

    it('custom roles reject tenant and unknown permissions (422), every one reported', async () => {
      const res = await unchanged(() =>
        post(w.actors.admin.auth, rolesPath(), {
          data: {
            type: 'role',
            attributes: {
              name: uniqueName('role'),
              permissions: [
                'workspaces.workspace.get',
                'tenants.user.create',
                'workspaces.nothing.get',
                'tenants.role.get',
              ],
            },
          },
        }),
      );
      const errors = expectError(res, 422);
      assert.deepEqual(sorted(errors.map((e) => e.source?.pointer ?? '')), [
        '/data/attributes/permissions/1',
        '/data/attributes/permissions/2',
        '/data/attributes/permissions/3',
      ]);
      const role = await t.prisma.role.create({
        data: { tenantId: w.tenantId, name: uniqueName('role'), permissions: ['workspaces.workspace.get'] },
      });
      const edit = await unchanged(() =>
        patch(w.actors.admin.auth, `${rolesPath()}/${role.id}`, {
          data: { type: 'role', id: role.id, attributes: { permissions: ['tenants.workspace.create'] } },
        }),
      );
      assert.equal(expectError(edit, 422)[0]?.source?.pointer, '/data/attributes/permissions/0');
    });

    it('custom roles cannot take a built-in name or another role’s name (409)', async () => {
      const existing = await t.prisma.role.create({
        data: { tenantId: w.tenantId, name: uniqueName('taken'), permissions: [] },
      });
      const other = await t.prisma.role.create({
        data: { tenantId: w.tenantId, name: uniqueName('r'), permissions: [] },
      });
      for (const name of [...Object.keys(BUILT_IN_ROLES), existing.name]) {
        await unchanged(async () => {
          const created = await post(w.actors.admin.auth, rolesPath(), {
            data: { type: 'role', attributes: { name, permissions: [] } },
          });
          assert.equal(expectError(created, 409)[0]?.source?.pointer, '/data/attributes/name');
          const renamed = await patch(w.actors.admin.auth, `${rolesPath()}/${other.id}`, {
            data: { type: 'role', id: other.id, attributes: { name } },
          });
          assert.equal(expectError(renamed, 409)[0]?.source?.pointer, '/data/attributes/name');
        });
      }
      // The same name in another tenant is fine: names are per tenant.
      const elsewhere = await post(w.actors.otherTenant.auth, `/v2/tenants/${w.otherTenantId}/roles`, {
        data: { type: 'role', attributes: { name: existing.name, permissions: [] } },
      });
      ok(elsewhere, 201);
    });

    it('a custom role grants exactly its permissions in the workspace, and cannot be deleted while used', async () => {
      const created = await post(w.actors.admin.auth, rolesPath(), {
        data: {
          type: 'role',
          attributes: {
            name: uniqueName('auditor'),
            permissions: ['workspaces.workspace.get', 'workspaces.membership.get'],
          },
        },
      });
      ok(created, 201);
      assert.equal(created.body.data.attributes.built_in, false);
      const roleName: string = created.body.data.attributes.name;
      const { workspaceId } = await populatedWorkspace(t.prisma, w);
      const user = await createUser(t.prisma, w.tenantId, 'member');
      const added = await post(w.actors.owner.auth, `/v2/workspaces/${workspaceId}/memberships`, {
        data: {
          type: 'membership',
          attributes: { role: roleName },
          relationships: { user: { data: { type: 'user', id: user.userId } } },
        },
      });
      ok(added, 201);
      assert.equal(added.body.data.attributes.role, roleName);
      ok(await get(user.auth, `/v2/workspaces/${workspaceId}`), 200);
      ok(await get(user.auth, `/v2/workspaces/${workspaceId}/memberships`), 200);
      expectError(
        await patch(user.auth, `/v2/workspaces/${workspaceId}`, {
          data: { type: 'workspace', id: workspaceId, attributes: { name: uniqueName('x') } },
        }),
        403,
        'forbidden',
      );
      // Editing the role changes what its members may do.
      const roleId = created.body.data.id;
      ok(
        await patch(w.actors.admin.auth, `${rolesPath()}/${roleId}`, {
          data: { type: 'role', id: roleId, attributes: { permissions: ['workspaces.workspace.get'] } },
        }),
        200,
      );
      expectError(await get(user.auth, `/v2/workspaces/${workspaceId}/memberships`), 403, 'forbidden');
      expectError(await del(w.actors.admin.auth, `${rolesPath()}/${roleId}`), 409, 'role_in_use');
      // Another tenant cannot see or use it.
      expectError(
        await get(w.actors.otherTenant.auth, `/v2/tenants/${w.otherTenantId}/roles/${roleId}`),
        404,
      );
      const otherWs = await createWorkspace(t.prisma, w.otherTenantId, w.actors.otherTenant.userId);
      const otherUser = await createUser(t.prisma, w.otherTenantId, 'member');
      const foreign = await post(w.actors.otherTenant.auth, `/v2/workspaces/${otherWs}/memberships`, {
        data: {
          type: 'membership',
          attributes: { role: roleName },
          relationships: { user: { data: { type: 'user', id: otherUser.userId } } },
        },
      });
      expectError(foreign, 422, 'unknown_role');
    });
  });

  describe('users', () => {
    const usersPath = () => `/v2/tenants/${w.tenantId}/users`;
    const userBody = (email: string, extra: Record<string, unknown> = {}) => ({
      data: { type: 'user', attributes: { email, name: 'Someone', ...extra } },
    });

    it('creates a member by default, with email, name and the tenant relationship', async () => {
      const email = `${uniqueName('new')}@example.test`;
      const res = await post(w.actors.admin.auth, usersPath(), userBody(email));
      ok(res, 201);
      assert.equal(res.headers.location, res.body.data.links.self);
      assert.deepEqual(
        { ...res.body.data.attributes, created_at: undefined, updated_at: undefined },
        { email, name: 'Someone', tenant_role: 'member', created_at: undefined, updated_at: undefined },
      );
      assert.deepEqual(res.body.data.relationships.tenant.data, { type: 'tenant', id: w.tenantId });
      const fetched = await get(w.actors.member.auth, `/v2/users/${res.body.data.id}`);
      ok(fetched, 200);
      assert.equal(fetched.body.data.attributes.email, email);
    });

    it('a user created with tenant_role admin is a tenant admin', async () => {
      const email = `${uniqueName('boss')}@example.test`;
      const created = await post(w.actors.admin.auth, usersPath(), userBody(email, { tenant_role: 'admin' }));
      ok(created, 201);
      assert.equal(created.body.data.attributes.tenant_role, 'admin');
      const key = await post(w.actors.admin.auth, `/v2/users/${created.body.data.id}/api-keys`, {
        data: { type: 'api-key', attributes: { name: 'boss' } },
      });
      ok(key, 201);
      const auth = basicAuth(email, key.body.data.attributes.key);
      ok(await get(auth, `/v2/tenants/${w.tenantId}/roles`), 200);
      ok(await get(auth, `/v2/workspaces/${w.workspaceId}/memberships`), 200);
      const list = await get(auth, `/v2/tenants/${w.tenantId}/workspaces?page[size]=200`);
      ok(list, 200);
      assert.equal(
        list.body.data.length,
        await t.prisma.workspace.count({ where: { tenantId: w.tenantId } }),
      );
    });

    it('a duplicate email is 409, whatever its case and even in another tenant', async () => {
      for (const email of [
        w.actors.viewer.email,
        w.actors.viewer.email.toUpperCase(),
        w.actors.otherTenant.email,
      ]) {
        const res = await unchanged(() => post(w.actors.admin.auth, usersPath(), userBody(email)));
        assert.equal(expectError(res, 409, 'email_taken')[0]?.source?.pointer, '/data/attributes/email');
      }
    });

    it('filter[email] finds one user, case-insensitively, and never one of another tenant', async () => {
      const q = (email: string) => `${usersPath()}?filter[email]=${encodeURIComponent(email)}`;
      const hit = await get(w.actors.member.auth, q(w.actors.viewer.email.toUpperCase()));
      ok(hit, 200);
      assert.deepEqual(
        hit.body.data.map((u: { id: string }) => u.id),
        [w.actors.viewer.userId],
      );
      const miss = await get(w.actors.member.auth, q(w.actors.otherTenant.email));
      ok(miss, 200);
      assert.deepEqual(miss.body.data, []);
    });

    it('GET /v2/users/me shows the caller: email, name, tenant relationship', async () => {
      const res = await get(w.actors.editor.auth, '/v2/users/me');
      ok(res, 200);
      assert.equal(res.body.data.type, 'user');
      assert.equal(res.body.data.id, w.actors.editor.userId);
      assert.equal(res.body.data.attributes.email, w.actors.editor.email);
      assert.equal(typeof res.body.data.attributes.name, 'string');
      assert.deepEqual(res.body.data.relationships.tenant.data, { type: 'tenant', id: w.tenantId });
    });
  });

  describe('memberships', () => {
    it('a user of another tenant cannot be added (404), nor can one that does not exist', async () => {
      for (const id of [w.actors.otherTenant.userId, randomUUID()]) {
        const res = await unchanged(() =>
          post(w.actors.owner.auth, `/v2/workspaces/${w.workspaceId}/memberships`, {
            data: {
              type: 'membership',
              attributes: { role: 'viewer' },
              relationships: { user: { data: { type: 'user', id } } },
            },
          }),
        );
        expectError(res, 404);
      }
    });

    it('a user already in the workspace is 409', async () => {
      const res = await unchanged(() =>
        post(w.actors.owner.auth, `/v2/workspaces/${w.workspaceId}/memberships`, {
          data: {
            type: 'membership',
            attributes: { role: 'editor' },
            relationships: { user: { data: { type: 'user', id: w.actors.viewer.userId } } },
          },
        }),
      );
      expectError(res, 409, 'already_member');
    });

    it('a membership of another workspace is 404 under this one', async () => {
      const other = await createWorkspace(t.prisma, w.tenantId, w.actors.owner.userId);
      const id = await ownerMembership(other, w.actors.owner.userId);
      await unchanged(async () => {
        expectError(await get(w.actors.owner.auth, membershipPath(w.workspaceId, id)), 404);
        expectError(
          await patch(w.actors.owner.auth, membershipPath(w.workspaceId, id), roleChange(id, 'viewer')),
          404,
        );
        expectError(await del(w.actors.owner.auth, membershipPath(w.workspaceId, id)), 404);
      });
    });

    it('workspace names are unique per tenant (409)', async () => {
      const name = uniqueName('ws');
      ok(
        await post(w.actors.admin.auth, `/v2/tenants/${w.tenantId}/workspaces`, {
          data: { type: 'workspace', attributes: { name } },
        }),
        201,
      );
      const again = await unchanged(() =>
        post(w.actors.admin.auth, `/v2/tenants/${w.tenantId}/workspaces`, {
          data: { type: 'workspace', attributes: { name } },
        }),
      );
      assert.equal(expectError(again, 409)[0]?.source?.pointer, '/data/attributes/name');
    });
  });

  describe('API keys', () => {
    const keyBody = (attributes: Record<string, unknown>) => ({ data: { type: 'api-key', attributes } });

    it('the key is shown once, on creation, and works; no GET ever shows it, and the database holds only a hash', async () => {
      const user = await createUser(t.prisma, w.tenantId, 'member');
      const res = await post(user.auth, '/v2/users/me/api-keys', keyBody({ name: 'ci' }));
      ok(res, 201);
      const token: string = res.body.data.attributes.key;
      assert.match(token, /^ask_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      assert.equal(res.body.data.attributes.scopes, null);
      assert.equal(res.headers.location, res.body.data.links.self);
      const me = await get(basicAuth(user.email, token), '/v2/users/me');
      ok(me, 200);
      assert.equal(me.body.data.id, user.userId);

      const secret = token.split('_')[2] as string;
      const reads = [
        await get(user.auth, '/v2/users/me/api-keys'),
        await get(user.auth, `/v2/users/${user.userId}/api-keys`),
        await get(w.actors.admin.auth, `/v2/users/${user.userId}/api-keys`),
        await get(user.auth, `/v2/users/me/api-keys/${res.body.data.id}`),
        await get(user.auth, `/v2/users/me/api-keys/${res.body.data.id}?fields[api-key]=key,name`),
        await get(user.auth, '/v2/users/me/api-keys?fields[api-key]=key'),
      ];
      for (const r of reads) {
        ok(r, 200);
        assert.ok(!r.text.includes(secret), `a GET shows the key: ${r.text}`);
        const items = Array.isArray(r.body.data) ? r.body.data : [r.body.data];
        for (const item of items) assert.equal(item.attributes?.key, undefined);
      }
      const row = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: res.body.data.id } });
      assert.ok(!JSON.stringify(row).includes(secret), 'the database row holds the key');
      assert.ok(
        !Buffer.from(row.secretHash).toString('latin1').includes(secret),
        'the hash column holds the key',
      );
    });

    it('a scoped key cannot mint a broader key (403), only one within its scopes', async () => {
      const user = await createUser(t.prisma, w.tenantId, 'member', [
        'workspaces.workspace.get',
        'tenants.user.get',
      ]);
      for (const attributes of [
        { name: 'unscoped' },
        { name: 'wider', scopes: ['workspaces.workspace.get', 'workspaces.workspace.edit'] },
        { name: 'other', scopes: ['tenants.user.create'] },
      ]) {
        const res = await unchanged(() => post(user.auth, '/v2/users/me/api-keys', keyBody(attributes)));
        expectError(res, 403);
      }
      const narrower = await post(
        user.auth,
        '/v2/users/me/api-keys',
        keyBody({ name: 'n', scopes: ['tenants.user.get'] }),
      );
      ok(narrower, 201);
      assert.deepEqual(narrower.body.data.attributes.scopes, ['tenants.user.get']);
      const narrowAuth = basicAuth(user.email, narrower.body.data.attributes.key);
      ok(await get(narrowAuth, `/v2/tenants/${w.tenantId}/users`), 200);
      // workspaces.workspace.get is not among the new key's scopes.
      const ws = await createWorkspace(t.prisma, w.tenantId, user.userId);
      expectError(await get(narrowAuth, `/v2/workspaces/${ws}`), 403, 'forbidden');
      ok(await get(user.auth, `/v2/workspaces/${ws}`), 200);
    });

    it('a scoped key cannot revoke a broader key of its user, but can revoke itself', async () => {
      const user = await createUser(t.prisma, w.tenantId, 'member', ['workspaces.workspace.get']);
      const unscoped = await createApiKey(t.prisma, user.userId);
      const unscopedId = parseApiKey(unscoped)?.keyId as string;
      const res = await unchanged(() => del(user.auth, `/v2/users/me/api-keys/${unscopedId}`));
      expectError(res, 403);
      const selfId = parseApiKey(user.apiKey)?.keyId as string;
      const revoked = await del(user.auth, `/v2/users/me/api-keys/${selfId}`);
      assert.equal(revoked.status, 204, revoked.text);
      ok(await get(basicAuth(user.email, unscoped), '/v2/users/me'), 200);
    });

    it('scopes never add permissions: a member key scoped to tenant permissions still gets 403', async () => {
      const user = await createUser(t.prisma, w.tenantId, 'member', [
        'tenants.user.create',
        'tenants.workspace.create',
      ]);
      await unchanged(async () => {
        expectError(
          await post(user.auth, `/v2/tenants/${w.tenantId}/users`, {
            data: { type: 'user', attributes: { email: `${uniqueName('x')}@example.test`, name: 'X' } },
          }),
          403,
          'forbidden',
        );
        expectError(
          await post(user.auth, `/v2/tenants/${w.tenantId}/workspaces`, {
            data: { type: 'workspace', attributes: { name: uniqueName('ws') } },
          }),
          403,
          'forbidden',
        );
      });
    });

    it('keys of another user are 404 under my path, and DELETE of an unknown key is 404', async () => {
      const otherKeyId = parseApiKey(w.actors.viewer.apiKey)?.keyId as string;
      await unchanged(async () => {
        expectError(await del(w.actors.editor.auth, `/v2/users/me/api-keys/${otherKeyId}`), 404);
        expectError(await get(w.actors.editor.auth, `/v2/users/me/api-keys/${otherKeyId}`), 404);
        expectError(await del(w.actors.editor.auth, `/v2/users/me/api-keys/${randomUUID()}`), 404);
        // A tenant admin naming the wrong user gets 404 too.
        expectError(
          await del(w.actors.admin.auth, `/v2/users/${w.actors.editor.userId}/api-keys/${otherKeyId}`),
          404,
        );
      });
      ok(await get(w.actors.viewer.auth, '/v2/users/me'), 200);
    });

    it('a tenant admin can create and revoke another user’s keys', async () => {
      const user = await createUser(t.prisma, w.tenantId, 'member');
      const created = await post(
        w.actors.admin.auth,
        `/v2/users/${user.userId}/api-keys`,
        keyBody({ name: 'for-user' }),
      );
      ok(created, 201);
      assert.equal(created.body.data.relationships.user.data.id, user.userId);
      const auth = basicAuth(user.email, created.body.data.attributes.key);
      ok(await get(auth, '/v2/users/me'), 200);
      const revoked = await del(
        w.actors.admin.auth,
        `/v2/users/${user.userId}/api-keys/${created.body.data.id}`,
      );
      assert.equal(revoked.status, 204, revoked.text);
      expectError(await get(auth, '/v2/users/me'), 401, 'unauthorized');
      const listed = await get(user.auth, '/v2/users/me/api-keys');
      ok(listed, 200);
      const entry = listed.body.data.find((k: { id: string }) => k.id === created.body.data.id);
      assert.match(String(entry?.attributes.revoked_at), /^\d{4}-\d{2}-\d{2}T/);
    });
  });

  describe('authcheck', () => {
    it('answers true/false per check, false for invisible, unknown or malformed workspaces', async () => {
      const otherWs = await createWorkspace(t.prisma, w.otherTenantId, w.actors.otherTenant.userId);
      const checks = {
        read: { permission: 'workspaces.auth_secret.get', workspace: w.workspaceId },
        refresh: { permission: 'workspaces.auth_secret.refresh', workspace: w.workspaceId },
        create: { permission: 'workspaces.auth_secret.create', workspace: w.workspaceId },
        foreign: { permission: 'workspaces.workspace.get', workspace: otherWs },
        missing: { permission: 'workspaces.workspace.get', workspace: randomUUID() },
        malformed: { permission: 'workspaces.workspace.get', workspace: 'nope' },
        users: { permission: 'tenants.user.get' },
        users_elsewhere: { permission: 'tenants.user.get', tenant: w.otherTenantId },
        create_users: { permission: 'tenants.user.create' },
      };
      const expected = {
        connector: { read: true, refresh: true, create: false, users: true, create_users: false },
        editor: { read: true, refresh: true, create: true, users: true, create_users: false },
        admin: { read: true, refresh: true, create: true, users: true, create_users: true },
        member: { read: false, refresh: false, create: false, users: true, create_users: false },
      } as const;
      for (const [actor, answers] of Object.entries(expected)) {
        const res = await post(w.actors[actor as keyof typeof expected].auth, '/v2/authcheck', {
          meta: { checks },
        });
        ok(res, 200);
        assert.equal(res.body.data, undefined);
        assert.deepEqual(res.body.meta, {
          checks: { ...answers, foreign: false, missing: false, malformed: false, users_elsewhere: false },
        });
      }
    });
  });

  describe('the permission catalogue', () => {
    it('GET /v2/permissions lists exactly the API.md permissions with their scope', async () => {
      const res = await get(w.actors.viewer.auth, '/v2/permissions');
      ok(res, 200);
      const byId = Object.fromEntries((res.body.data as ResourceObject[]).map((p) => [p.id, p]));
      assert.deepEqual(sorted(Object.keys(byId)), sorted([...WORKSPACE_PERMISSIONS, ...TENANT_PERMISSIONS]));
      for (const name of WORKSPACE_PERMISSIONS) assert.equal(byId[name]?.attributes.scope, 'workspace');
      for (const name of TENANT_PERMISSIONS) assert.equal(byId[name]?.attributes.scope, 'tenant');
      for (const p of res.body.data) {
        assert.equal(p.type, 'permission');
        assert.equal(typeof p.attributes.description, 'string');
      }
    });

    it('a tenant admin holds every workspace permission in every workspace of the tenant', async () => {
      const checks = Object.fromEntries(
        WORKSPACE_PERMISSIONS.map((p) => [p, { permission: p, workspace: w.workspaceId }]),
      );
      const res = await post(w.actors.admin.auth, '/v2/authcheck', { meta: { checks } });
      ok(res, 200);
      assert.ok(
        Object.values(res.body.meta.checks).every((v) => v === true),
        JSON.stringify(res.body.meta.checks),
      );
    });
  });
});
