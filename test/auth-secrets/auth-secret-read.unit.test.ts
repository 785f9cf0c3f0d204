// The read use cases of the auth-secret service against the fake store: no database, no HTTP.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import pino from 'pino';
import { generateKeySpec, parseKeyRing } from '../../src/crypto/key-ring.js';
import { randomUUID7 } from '../../src/db/uuid7.js';
import { ApiError } from '../../src/errors/api-error.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { createSchemaRegistry } from '../../src/http/validation/schema-registry.js';
import {
  createAuthSecretService,
  type SecretReadRequest,
} from '../../src/modules/auth-secrets/auth-secret-service.js';
import type { AuthSecretRow } from '../../src/modules/auth-secrets/auth-secret-store.js';
import { WITHHELD } from '../../src/modules/auth-secrets/credential-disclosure.js';
import { sealCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { createCredentialSchemas } from '../../src/modules/credential-schemas/credential-schemas.js';
import type { CallerWorkspace } from '../../src/permissions/access-policy.js';
import {
  ALL_WORKSPACE_PERMISSIONS,
  type WorkspacePermission,
} from '../../src/permissions/permission-catalogue.js';
import { FakeAuthSecretStore } from '../support/fake-auth-secret-store.js';

const keyRing = parseKeyRing(generateKeySpec('unit'));
const tenantId = randomUUID7();
const workspace: CallerWorkspace = {
  id: randomUUID7(),
  tenantId,
  name: 'w',
  createdAt: new Date(),
  updatedAt: new Date(),
  callerPermissions: new Set(ALL_WORKSPACE_PERMISSIONS),
};
/** The same workspace for a caller with every permission but `reveal` (API.md §8.1). */
const withoutReveal: CallerWorkspace = {
  ...workspace,
  callerPermissions: new Set(
    ALL_WORKSPACE_PERMISSIONS.filter((p): p is WorkspacePermission => p !== 'workspaces.auth_secret.reveal'),
  ),
};
const userId = randomUUID7();

function row(overrides: Partial<AuthSecretRow> = {}): AuthSecretRow {
  const ids = { id: randomUUID7(), tenantId, workspaceId: workspace.id, ...overrides };
  const now = new Date();
  return {
    userId,
    authClientId: randomUUID7(),
    authType: 'other',
    name: 'secret',
    state: 'ready',
    error: null,
    credentialsSealed: sealCredentials(keyRing, ids, { api_key: 'k' }),
    expiresAt: null,
    refreshedAt: null,
    credentialsVersion: 1,
    lastFailureAt: null,
    lastFailureKind: null,
    failureCount: 0,
    nextAttemptAt: null,
    createdAt: now,
    updatedAt: now,
    ...ids,
  } as AuthSecretRow;
}

function setup() {
  const store = new FakeAuthSecretStore();
  const secrets = createAuthSecretService({
    // The read use cases never reach Prisma unless something is included.
    prisma: {} as PrismaClient,
    store,
    keyRing,
    schemas: createSchemaRegistry(),
    credentialSchemas: createCredentialSchemas(),
    logger: pino({ level: 'silent' }),
  });
  return { store, secrets };
}

const request = (fields?: string[]): SecretReadRequest => ({
  principal: {
    userId,
    email: 'a@example.test',
    tenantId,
    tenantRole: 'admin',
    apiKeyId: randomUUID7(),
    scopes: null,
  },
  workspacePermissions: new Set(),
  include: [],
  actor: { tenantId, userId, apiKeyId: null, requestId: 'r' },
  fields,
});

describe('auth-secret read use cases (fake store)', () => {
  it('read returns the secret and records one read event', async () => {
    const { store, secrets } = setup();
    const r = row();
    store.add(r);
    const { secret, related } = await secrets.read(workspace, r.id, request());
    assert.equal(secret.id, r.id);
    assert.deepEqual(secret.credentials, { api_key: 'k' });
    assert.equal(related, undefined);
    assert.deepEqual(
      store.events.map((e) => [e.action, e.resourceId]),
      [['auth_secret.read', r.id]],
    );
  });

  it('read leaves no event when fields[] leaves the credentials out', async () => {
    const { store, secrets } = setup();
    const r = row();
    store.add(r);
    await secrets.read(workspace, r.id, request(['name']));
    assert.equal(store.events.length, 0);
  });

  it("read of another workspace's secret is a 404", async () => {
    const { store, secrets } = setup();
    const r = row({ workspaceId: randomUUID7() });
    store.add(r);
    await assert.rejects(
      secrets.read(workspace, r.id, request()),
      (err) => err instanceof ApiError && err.status === 404,
    );
    assert.equal(store.events.length, 0);
  });

  it('listFor names unreadable rows and audits only the readable ones', async () => {
    const { store, secrets } = setup();
    const good = row();
    const bad = row();
    bad.credentialsSealed = sealCredentials(keyRing, { ...bad, id: randomUUID7() }, { api_key: 'x' });
    store.add(good).add(bad);
    const { page, unreadable } = await secrets.listFor(workspace, {}, { size: 10 }, request());
    assert.equal(page.items.length, 2);
    assert.deepEqual(unreadable, [bad.id]);
    assert.deepEqual(
      store.events.map((e) => e.resourceId),
      [good.id],
    );
  });

  it('without reveal: nothing is opened, credentials are withheld and no event is recorded', async () => {
    const { store, secrets } = setup();
    const good = row();
    const bad = row();
    // A ciphertext that does not open: a caller without reveal never meets it.
    bad.credentialsSealed = sealCredentials(keyRing, { ...bad, id: randomUUID7() }, { api_key: 'x' });
    store.add(good).add(bad);
    const { secret } = await secrets.read(withoutReveal, bad.id, request());
    assert.equal(secret.credentials, WITHHELD);
    const { page, unreadable } = await secrets.listFor(withoutReveal, {}, { size: 10 }, request());
    assert.deepEqual(
      page.items.map((s) => s.credentials),
      [WITHHELD, WITHHELD],
    );
    assert.deepEqual(unreadable, []);
    assert.equal(store.events.length, 0);
  });

  it('without reveal: fields[auth-secret] naming credentials is a 403 before any read', async () => {
    const { store, secrets } = setup();
    const r = row();
    store.add(r);
    await assert.rejects(secrets.read(withoutReveal, r.id, request(['name', 'credentials'])), (err) => {
      assert.ok(err instanceof ApiError);
      assert.deepEqual(
        err.items.map((i) => [i.status, i.code, i.source]),
        [[403, 'reveal_not_permitted', { parameter: 'fields[auth-secret]' }]],
      );
      return true;
    });
    assert.equal(store.events.length, 0);
  });
});
