// The upgrade that made seeing credentials its own permission (API.md §8.1): a database migrated up
// to the migration before it, holding custom roles and API keys as they were, is migrated; custom
// roles and scoped keys that could read secrets keep seeing credentials, and the built-in viewer,
// rewritten from the code at start-up, no longer does.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import pg from 'pg';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrator.js';
import { createPrismaClient, poolOf, sqlOf } from '../../src/db/prisma-client.js';
import { randomUUID7 } from '../../src/db/uuid7.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { createAccessPolicy } from '../../src/permissions/access-policy.js';
import { BUILT_IN_ROLES } from '../../src/permissions/permission-catalogue.js';

const MIGRATION = '20261203043236_auth_secret_reveal';
const GET = 'workspaces.auth_secret.get';
const REVEAL = 'workspaces.auth_secret.reveal';
const WS_GET = 'workspaces.workspace.get';

/** The built-in roles as the code before this change kept their rows: `get` included credentials. */
const BUILT_IN_BEFORE: Record<string, string[]> = {
  owner: [WS_GET, GET, 'workspaces.auth_secret.edit', 'workspaces.audit_event.get'],
  editor: [WS_GET, 'workspaces.membership.get', GET, 'workspaces.auth_secret.edit'],
  connector: [WS_GET, GET, 'workspaces.auth_secret.refresh'],
  viewer: [WS_GET, 'workspaces.membership.get', GET],
};

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const serverUrl = process.env.TEST_DATABASE_URL;
(serverUrl ? describe : describe.skip)(`migration ${MIGRATION} (PostgreSQL)`, function () {
  this.timeout(120_000);
  const name = `reveal_${randomBytes(6).toString('hex')}`;
  const url = new URL(serverUrl ?? 'postgresql://localhost/postgres');
  url.pathname = `/${name}`;
  let earlier: string;
  const ids = {
    tenant: randomUUID7(),
    user: randomUUID7(),
    workspace: randomUUID7(),
    roleWithGet: randomUUID7(),
    roleWithoutGet: randomUUID7(),
    roleWithReveal: randomUUID7(),
    keyWithGet: randomUUID7(),
    keyWithoutGet: randomUUID7(),
    unscopedKey: randomUUID7(),
  };

  before(async () => {
    await withClient(serverUrl ?? '', (c) => c.query(`CREATE DATABASE "${name}"`));
    // Every migration before this one: the database as the previous release left it.
    earlier = await mkdtemp(join(tmpdir(), 'reveal-migration-'));
    for (const entry of await readdir(DEFAULT_MIGRATIONS_DIR)) {
      if (entry === 'migration_lock.toml' || entry < MIGRATION)
        await cp(join(DEFAULT_MIGRATIONS_DIR, entry), join(earlier, entry), { recursive: true });
    }
  });
  after(async () => {
    await rm(earlier, { recursive: true, force: true });
    await withClient(serverUrl ?? '', (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  it('adds reveal to custom roles and scoped keys that hold get, and nothing else', async () => {
    const { applied } = await applyMigrations(url.toString(), { migrationsDir: earlier });
    assert.ok(applied.length > 0 && !applied.includes(MIGRATION));

    await withClient(url.toString(), async (c) => {
      await c.query(`INSERT INTO tenants (id, name, updated_at) VALUES ($1, 't', now())`, [ids.tenant]);
      await c.query(
        `INSERT INTO users (id, tenant_id, email, name, tenant_role, updated_at)
         VALUES ($1, $2, 'u@example.test', 'u', 'member', now())`,
        [ids.user, ids.tenant],
      );
      await c.query(`INSERT INTO workspaces (id, tenant_id, name, updated_at) VALUES ($1, $2, 'w', now())`, [
        ids.workspace,
        ids.tenant,
      ]);
      for (const role of BUILT_IN_ROLES) {
        await c.query(
          `INSERT INTO roles (id, tenant_id, name, permissions, built_in, updated_at)
           VALUES ($1, NULL, $2, $3, true, now())`,
          [role.id, role.name, BUILT_IN_BEFORE[role.name]],
        );
      }
      const customRoles: [string, string, string[]][] = [
        [ids.roleWithGet, 'auditor', [WS_GET, GET]],
        [ids.roleWithoutGet, 'lister', [WS_GET]],
        [ids.roleWithReveal, 'already', [WS_GET, GET, REVEAL]],
      ];
      for (const [id, roleName, permissions] of customRoles) {
        await c.query(
          `INSERT INTO roles (id, tenant_id, name, permissions, built_in, updated_at, created_at)
           VALUES ($1, $2, $3, $4, false, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
          [id, ids.tenant, roleName, permissions],
        );
      }
      const keys: [string, string[], boolean][] = [
        [ids.keyWithGet, [GET], true],
        [ids.keyWithoutGet, [WS_GET], true],
        [ids.unscopedKey, [], false],
      ];
      for (const [id, scopes, scoped] of keys) {
        await c.query(
          `INSERT INTO api_keys (id, user_id, tenant_id, name, secret_hash, scopes, scoped, updated_at)
           VALUES ($1, $2, $3, 'k', '\\x00', $4, $5, '2026-01-01T00:00:00Z')`,
          [id, ids.user, ids.tenant, scopes, scoped],
        );
      }
    });

    const upgrade = await applyMigrations(url.toString());
    assert.ok(upgrade.applied.includes(MIGRATION), `applied: ${upgrade.applied.join(', ')}`);

    await withClient(url.toString(), async (c) => {
      const roles = await c.query<{ id: string; permissions: string[]; updated_at: Date }>(
        'SELECT id::text, permissions, updated_at FROM roles',
      );
      const role = (id: string) => roles.rows.find((r) => r.id === id);
      assert.deepEqual(role(ids.roleWithGet)?.permissions, [WS_GET, GET, REVEAL]);
      assert.ok((role(ids.roleWithGet)?.updated_at.getTime() ?? 0) > Date.parse('2026-01-02'));
      assert.deepEqual(role(ids.roleWithoutGet)?.permissions, [WS_GET]);
      assert.equal(role(ids.roleWithoutGet)?.updated_at.toISOString(), '2026-01-01T00:00:00.000Z');
      assert.deepEqual(role(ids.roleWithReveal)?.permissions, [WS_GET, GET, REVEAL], 'never twice');
      // Built-in rows are the code's to rewrite (below), not the migration's.
      for (const builtIn of BUILT_IN_ROLES) {
        assert.deepEqual(role(builtIn.id)?.permissions, BUILT_IN_BEFORE[builtIn.name], builtIn.name);
      }

      const keys = await c.query<{ id: string; scopes: string[]; scoped: boolean }>(
        'SELECT id::text, scopes, scoped FROM api_keys',
      );
      const key = (id: string) => keys.rows.find((k) => k.id === id);
      assert.deepEqual(key(ids.keyWithGet)?.scopes, [GET, REVEAL]);
      assert.deepEqual(key(ids.keyWithoutGet)?.scopes, [WS_GET]);
      assert.deepEqual(key(ids.unscopedKey)?.scopes, []);
    });
  });

  it('after the start-up sync, the built-in viewer no longer reveals; the migrated custom role does', async () => {
    const prisma = createPrismaClient({ url: url.toString(), poolMax: 2 });
    try {
      await ensureBuiltInRoles(prisma);
      const rows = await prisma.role.findMany({ where: { builtIn: true } });
      const has = (roleName: string) =>
        rows.find((r) => r.name === roleName)?.permissions.includes(REVEAL) ?? 'missing';
      assert.deepEqual(
        { owner: has('owner'), editor: has('editor'), connector: has('connector'), viewer: has('viewer') },
        { owner: true, editor: true, connector: true, viewer: false },
      );

      // What a request would be allowed: the workspace lookup every request makes.
      const policy = createAccessPolicy(sqlOf(prisma));
      const principal = (scopes: string[] | null) => ({
        userId: ids.user,
        email: 'u@example.test',
        tenantId: ids.tenant,
        tenantRole: 'member' as const,
        apiKeyId: ids.keyWithGet,
        scopes: scopes ? new Set(scopes) : null,
      });
      const revealsAs = async (roleId: string, scopes: string[] | null) => {
        await prisma.membership.deleteMany({ where: { userId: ids.user } });
        await prisma.membership.create({
          data: { tenantId: ids.tenant, workspaceId: ids.workspace, userId: ids.user, roleId },
        });
        const access = await policy.workspaceAccess(principal(scopes), ids.workspace);
        assert.ok(access, 'sees the workspace');
        assert.ok(access.workspace.callerPermissions.has(GET), 'reads secrets');
        return access.workspace.callerPermissions.has(REVEAL);
      };
      const viewer = BUILT_IN_ROLES.find((r) => r.name === 'viewer')?.id as string;
      const editor = BUILT_IN_ROLES.find((r) => r.name === 'editor')?.id as string;
      assert.equal(await revealsAs(viewer, null), false, 'built-in viewer');
      assert.equal(await revealsAs(ids.roleWithGet, null), true, 'migrated custom role');
      const migratedScopes = (await prisma.apiKey.findUniqueOrThrow({ where: { id: ids.keyWithGet } }))
        .scopes;
      assert.equal(await revealsAs(editor, migratedScopes), true, 'editor through the migrated scoped key');
      assert.equal(
        await revealsAs(editor, [GET]),
        false,
        'a key scoped to get alone, made after the upgrade',
      );
    } finally {
      await prisma.$disconnect();
      // The pool is ours (createPrismaClient made it); ending it twice is harmless.
      await poolOf(prisma)
        .end()
        .catch(() => undefined);
    }
  });
});
