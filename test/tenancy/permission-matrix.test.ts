// Every §2 route × every kind of caller gets the status API.md §2 documents:
// - tenant role admin: every tenant and every workspace permission in the tenant;
// - tenant role member: tenants.auth_client.get and tenants.user.get only, workspace access
//   only through memberships (owner/editor/connector/viewer as in the role table);
// - a workspace is visible to tenant admins and to its members; invisible → 404, visible but
//   not allowed → 403; another tenant's resources are invisible;
// - a key with scopes can do only what both the user's roles and its scopes allow.
// Mutating cases get fresh target resources, so no case depends on another's outcome.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { after, before, describe, it } from 'mocha';
import { parseApiKey } from '../../src/auth/api-key-token.js';
import type { KeyRing } from '../../src/crypto/key-ring.js';
import { randomUUID7 } from '../../src/db/uuid7.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { sealCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { hashState } from '../../src/modules/connect-sessions/authorization-request.js';
import { sealCodeVerifier } from '../../src/modules/connect-sessions/code-verifier.js';
import { AUTH_SECRET_ROWS } from '../auth-secrets/auth-secret-permission-rows.js';
import {
  ACTORS,
  type ActorName,
  type ApiRequest,
  createApiKey,
  createUser,
  createWorld,
  populatedWorkspace,
  SCOPED_KEY_SCOPES,
  send,
  uniqueName,
  type World,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { type MatrixRow, matrixGaps, rowTitle } from '../support/permission-matrix.js';
import { secretMarker } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { WEBHOOK_ROWS } from '../webhooks/webhook-permission-rows.js';

interface CaseContext {
  world: World;
  prisma: PrismaClient;
  keyRing: KeyRing;
  actor: ActorName;
}

interface Prepared extends ApiRequest {
  /** Checks the effect (or, when the request was refused, its absence) in the database. */
  verify?: (succeeded: boolean) => Promise<void>;
}

interface Row extends MatrixRow<ActorName, CaseContext, Prepared> {
  /** Resource type of `data` in a successful response with a body. */
  type?: string;
  /** Content-Type of a successful response that is not a JSON:API document (the OpenAPI description). */
  mediaType?: string;
  /** Error code of an expected status other than 403 and 404 (a request refused after the permission check). */
  code?: string;
  /** The route answers with an HTML page (the OAuth callback), not a JSON:API document. */
  html?: true;
  /**
   * Extra checks of a successful body for this actor. The body is untyped JSON whose shape
   * assertJsonApiResponse has already checked.
   */
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  body?(doc: any, c: CaseContext): void;
}

/** Statuses in the order of ACTORS: admin member owner editor connector viewer nonMember otherTenant scopedKey. */
function statuses(...list: number[]): Record<ActorName, number> {
  assert.equal(list.length, ACTORS.length);
  return Object.fromEntries(ACTORS.map((a, i) => [a, list[i]])) as Record<ActorName, number>;
}

const wsBody = (name: string) => ({ data: { type: 'workspace', attributes: { name } } });
const keyBody = () => ({ data: { type: 'api-key', attributes: { name: 'k', scopes: SCOPED_KEY_SCOPES } } });

async function freshWorkspace(c: CaseContext) {
  return populatedWorkspace(c.prisma, c.world);
}

async function freshRole(c: CaseContext) {
  const role = await c.prisma.role.create({
    data: { tenantId: c.world.tenantId, name: uniqueName('role'), permissions: ['workspaces.workspace.get'] },
  });
  return role.id;
}

async function freshKeyId(c: CaseContext, userId: string) {
  const token = await createApiKey(c.prisma, userId, SCOPED_KEY_SCOPES);
  return (parseApiKey(token) as { keyId: string }).keyId;
}

async function freshAuthClient(c: CaseContext) {
  const client = await c.prisma.authClient.create({
    data: { tenantId: c.world.tenantId, name: uniqueName('client'), authType: 'other', scopes: [] },
  });
  return client.id;
}

async function freshOtherSecret(c: CaseContext) {
  const ids = { id: randomUUID7(), tenantId: c.world.tenantId, workspaceId: c.world.workspaceId };
  await c.prisma.authSecret.create({
    data: {
      ...ids,
      userId: c.world.actors.owner.userId,
      authClientId: await freshAuthClient(c),
      authType: 'other',
      name: uniqueName('secret'),
      state: 'ready',
      credentialsSealed: sealCredentials(c.keyRing, ids, { api_key: secretMarker('api-key') }),
    },
  });
  return ids.id;
}

/** An oauth2 authorization-code client (public: no client secret to seal) a connect session can name. */
async function freshCodeClient(c: CaseContext) {
  const client = await c.prisma.authClient.create({
    data: {
      tenantId: c.world.tenantId,
      name: uniqueName('code-client'),
      authType: 'oauth2',
      clientId: uniqueName('client-id'),
      authMethod: 'none',
      tokenUrl: 'https://auth.example.test/token',
      authorizeUrl: 'https://auth.example.test/authorize',
      scopes: [],
    },
  });
  return client.id;
}

async function freshConnectSession(c: CaseContext) {
  const ids = { id: randomUUID7(), tenantId: c.world.tenantId, workspaceId: c.world.workspaceId };
  await c.prisma.connectSession.create({
    data: {
      ...ids,
      userId: c.world.actors.owner.userId,
      authClientId: await freshCodeClient(c),
      name: uniqueName('connection'),
      scopes: [],
      redirectUri: 'https://auth-secrets.example.test/v2/oauth/callback',
      stateHash: hashState(uniqueName('state')),
      codeVerifierSealed: sealCodeVerifier(c.keyRing, ids, uniqueName('verifier')),
      expiresAt: new Date(Date.now() + 600_000),
    },
  });
  return ids.id;
}

async function freshAuditEvent(c: CaseContext, workspaceId: string | null) {
  const event = await c.prisma.auditEvent.create({
    data: {
      tenantId: c.world.tenantId,
      workspaceId,
      action: workspaceId ? 'workspace.update' : 'role.create',
      outcome: 'success',
      resourceType: workspaceId ? 'workspace' : 'role',
      resourceId: workspaceId ?? c.world.tenantId,
    },
  });
  return event.id;
}

// Columns:                      admin member owner editor conn viewer nonMem other scoped
const ROWS: Row[] = [
  {
    route: 'GET /v2/users/me',
    type: 'user',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/v2/users/me' }),
    body: (doc, c) => assert.equal(doc.data.id, c.world.actors[c.actor].userId),
  },
  {
    route: 'GET /v2/tenants/:tenant',
    type: 'tenant',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 200),
    prepare: (c) => ({ method: 'GET', path: `/v2/tenants/${c.world.tenantId}` }),
  },
  {
    route: 'POST /v2/tenants/:tenant/users',
    type: 'user',
    expected: statuses(201, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: (c) => {
      const email = `${uniqueName('new')}@example.test`;
      return {
        method: 'POST',
        path: `/v2/tenants/${c.world.tenantId}/users`,
        body: { data: { type: 'user', attributes: { email, name: 'New', tenant_role: 'member' } } },
        verify: async (ok) => assert.equal(await c.prisma.user.count({ where: { email } }), ok ? 1 : 0),
      };
    },
  },
  {
    route: 'GET /v2/tenants/:tenant/users',
    type: 'user',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/tenants/${c.world.tenantId}/users` }),
  },
  {
    route: 'GET /v2/users/:user',
    variant: 'another user',
    type: 'user',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/users/${c.world.subject.userId}` }),
  },
  {
    route: 'GET /v2/users/:user',
    variant: 'self, by id',
    type: 'user',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: (c) => ({ method: 'GET', path: `/v2/users/${c.world.actors[c.actor].userId}` }),
  },
  {
    route: 'POST /v2/users/:user/api-keys',
    variant: 'self, as me',
    type: 'api-key',
    expected: statuses(201, 201, 201, 201, 201, 201, 201, 201, 201),
    prepare: () => ({ method: 'POST', path: '/v2/users/me/api-keys', body: keyBody() }),
    body: (doc, c) => {
      assert.match(doc.data.attributes.key, /^ask_/);
      assert.equal(doc.data.relationships.user.data.id, c.world.actors[c.actor].userId);
    },
  },
  {
    route: 'POST /v2/users/:user/api-keys',
    variant: 'another user',
    type: 'api-key',
    expected: statuses(201, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => {
      const userId = c.world.subject.userId;
      const before = await c.prisma.apiKey.count({ where: { userId } });
      return {
        method: 'POST',
        path: `/v2/users/${userId}/api-keys`,
        body: keyBody(),
        verify: async (ok) =>
          assert.equal(await c.prisma.apiKey.count({ where: { userId } }), before + (ok ? 1 : 0)),
      };
    },
  },
  {
    route: 'GET /v2/users/:user/api-keys',
    variant: 'self, as me',
    type: 'api-key',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/v2/users/me/api-keys' }),
  },
  {
    route: 'GET /v2/users/:user/api-keys',
    variant: 'another user',
    type: 'api-key',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/users/${c.world.subject.userId}/api-keys` }),
  },
  {
    route: 'DELETE /v2/users/:user/api-keys/:id',
    variant: 'self, as me',
    expected: statuses(204, 204, 204, 204, 204, 204, 204, 204, 204),
    prepare: async (c) => {
      const id = await freshKeyId(c, c.world.actors[c.actor].userId);
      return {
        method: 'DELETE',
        path: `/v2/users/me/api-keys/${id}`,
        verify: async (ok) =>
          assert.equal((await c.prisma.apiKey.findUniqueOrThrow({ where: { id } })).revokedAt !== null, ok),
      };
    },
  },
  {
    route: 'DELETE /v2/users/:user/api-keys/:id',
    variant: 'another user',
    expected: statuses(204, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => {
      const userId = c.world.subject.userId;
      const id = await freshKeyId(c, userId);
      return {
        method: 'DELETE',
        path: `/v2/users/${userId}/api-keys/${id}`,
        verify: async (ok) =>
          assert.equal((await c.prisma.apiKey.findUniqueOrThrow({ where: { id } })).revokedAt !== null, ok),
      };
    },
  },
  {
    route: 'POST /v2/tenants/:tenant/workspaces',
    type: 'workspace',
    expected: statuses(201, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: (c) => {
      const name = uniqueName('ws');
      return {
        method: 'POST',
        path: `/v2/tenants/${c.world.tenantId}/workspaces`,
        body: wsBody(name),
        verify: async (ok) => {
          const ws = await c.prisma.workspace.findFirst({ where: { name }, include: { memberships: true } });
          assert.equal(ws !== null, ok);
          if (ws) {
            // The creator becomes its owner (API.md §2).
            assert.equal(ws.tenantId, c.world.tenantId);
            assert.deepEqual(
              ws.memberships.map((m) => m.userId),
              [c.world.actors[c.actor].userId],
            );
          }
        },
      };
    },
  },
  {
    route: 'GET /v2/tenants/:tenant/workspaces',
    type: 'workspace',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 200),
    prepare: (c) => ({ method: 'GET', path: `/v2/tenants/${c.world.tenantId}/workspaces?page[size]=200` }),
    body: (doc, c) => {
      // Only workspaces the caller can see: all for tenant admins, else its memberships.
      const ids: string[] = doc.data.map((w: { id: string }) => w.id);
      const seesWorkspace = !['member', 'nonMember'].includes(c.actor);
      assert.equal(ids.includes(c.world.workspaceId), seesWorkspace, `${c.actor} sees the workspace`);
      if (c.actor === 'member') assert.deepEqual(ids, []);
      if (c.actor === 'nonMember') assert.equal(ids.length, 1);
    },
  },
  {
    route: 'GET /v2/workspaces/:workspace',
    type: 'workspace',
    expected: statuses(200, 404, 200, 200, 200, 200, 404, 404, 200),
    prepare: (c) => ({ method: 'GET', path: `/v2/workspaces/${c.world.workspaceId}` }),
  },
  {
    route: 'PATCH /v2/workspaces/:workspace',
    type: 'workspace',
    expected: statuses(200, 404, 200, 403, 403, 403, 404, 404, 403),
    prepare: async (c) => {
      const { workspaceId } = await freshWorkspace(c);
      const name = uniqueName('renamed');
      return {
        method: 'PATCH',
        path: `/v2/workspaces/${workspaceId}`,
        body: { data: { type: 'workspace', id: workspaceId, attributes: { name } } },
        verify: async (ok) =>
          assert.equal(
            (await c.prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } })).name === name,
            ok,
          ),
      };
    },
  },
  {
    route: 'DELETE /v2/workspaces/:workspace',
    expected: statuses(204, 404, 204, 403, 403, 403, 404, 404, 403),
    prepare: async (c) => {
      const { workspaceId } = await freshWorkspace(c);
      return {
        method: 'DELETE',
        path: `/v2/workspaces/${workspaceId}`,
        verify: async (ok) => {
          assert.equal((await c.prisma.workspace.findUnique({ where: { id: workspaceId } })) === null, ok);
          // Its memberships go with it.
          assert.equal((await c.prisma.membership.count({ where: { workspaceId } })) === 0, ok);
        },
      };
    },
  },
  {
    route: 'GET /v2/workspaces/:workspace/memberships',
    type: 'membership',
    expected: statuses(200, 404, 200, 200, 403, 200, 404, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/workspaces/${c.world.workspaceId}/memberships` }),
    body: (doc) => assert.equal(doc.data.length, 5),
  },
  {
    route: 'POST /v2/workspaces/:workspace/memberships',
    type: 'membership',
    expected: statuses(201, 404, 201, 403, 403, 403, 404, 404, 403),
    prepare: async (c) => {
      const { workspaceId } = await freshWorkspace(c);
      const newcomer = await createUser(c.prisma, c.world.tenantId, 'member');
      return {
        method: 'POST',
        path: `/v2/workspaces/${workspaceId}/memberships`,
        body: {
          data: {
            type: 'membership',
            attributes: { role: 'viewer' },
            relationships: { user: { data: { type: 'user', id: newcomer.userId } } },
          },
        },
        verify: async (ok) =>
          assert.equal(
            await c.prisma.membership.count({ where: { workspaceId, userId: newcomer.userId } }),
            ok ? 1 : 0,
          ),
      };
    },
  },
  {
    route: 'PATCH /v2/workspaces/:workspace/memberships/:id',
    type: 'membership',
    expected: statuses(200, 404, 200, 403, 403, 403, 404, 404, 403),
    prepare: async (c) => {
      const { workspaceId, subjectMembershipId: id } = await freshWorkspace(c);
      return {
        method: 'PATCH',
        path: `/v2/workspaces/${workspaceId}/memberships/${id}`,
        body: { data: { type: 'membership', id, attributes: { role: 'editor' } } },
        verify: async (ok) => {
          const m = await c.prisma.membership.findUniqueOrThrow({ where: { id }, include: { role: true } });
          assert.equal(m.role.name, ok ? 'editor' : 'viewer');
        },
      };
    },
  },
  {
    route: 'DELETE /v2/workspaces/:workspace/memberships/:id',
    expected: statuses(204, 404, 204, 403, 403, 403, 404, 404, 403),
    prepare: async (c) => {
      const { workspaceId, subjectMembershipId: id } = await freshWorkspace(c);
      return {
        method: 'DELETE',
        path: `/v2/workspaces/${workspaceId}/memberships/${id}`,
        verify: async (ok) =>
          assert.equal((await c.prisma.membership.findUnique({ where: { id } })) === null, ok),
      };
    },
  },
  {
    route: 'GET /v2/permissions',
    type: 'permission',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/v2/permissions' }),
  },
  {
    route: 'GET /v2/tenants/:tenant/roles',
    type: 'role',
    expected: statuses(200, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/tenants/${c.world.tenantId}/roles` }),
  },
  {
    route: 'POST /v2/tenants/:tenant/roles',
    type: 'role',
    expected: statuses(201, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: (c) => {
      const name = uniqueName('role');
      return {
        method: 'POST',
        path: `/v2/tenants/${c.world.tenantId}/roles`,
        body: { data: { type: 'role', attributes: { name, permissions: ['workspaces.workspace.get'] } } },
        verify: async (ok) => assert.equal(await c.prisma.role.count({ where: { name } }), ok ? 1 : 0),
      };
    },
  },
  {
    route: 'PATCH /v2/tenants/:tenant/roles/:id',
    type: 'role',
    expected: statuses(200, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => {
      const id = await freshRole(c);
      const name = uniqueName('renamed');
      return {
        method: 'PATCH',
        path: `/v2/tenants/${c.world.tenantId}/roles/${id}`,
        body: { data: { type: 'role', id, attributes: { name } } },
        verify: async (ok) =>
          assert.equal((await c.prisma.role.findUniqueOrThrow({ where: { id } })).name === name, ok),
      };
    },
  },
  {
    route: 'DELETE /v2/tenants/:tenant/roles/:id',
    expected: statuses(204, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => {
      const id = await freshRole(c);
      return {
        method: 'DELETE',
        path: `/v2/tenants/${c.world.tenantId}/roles/${id}`,
        verify: async (ok) => assert.equal((await c.prisma.role.findUnique({ where: { id } })) === null, ok),
      };
    },
  },
  {
    route: 'GET /healthz',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/healthz' }),
  },
  {
    route: 'GET /readyz',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/readyz' }),
  },
  {
    route: 'GET /v2/openapi.json',
    mediaType: 'application/json',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/v2/openapi.json' }),
    body: (doc) => assert.equal(doc.openapi, '3.1.0'),
  },
  {
    route: 'GET /v2/permissions/:id',
    type: 'permission',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/v2/permissions/workspaces.workspace.get' }),
  },
  {
    route: 'GET /v2/credential-schemas',
    type: 'credential-schema',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/v2/credential-schemas' }),
  },
  {
    route: 'GET /v2/credential-schemas/:name',
    type: 'credential-schema',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: () => ({ method: 'GET', path: '/v2/credential-schemas/basic_auth' }),
  },
  {
    route: 'GET /v2/users/:user/api-keys/:id',
    variant: 'another user',
    type: 'api-key',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 403),
    prepare: async (c) => {
      const userId = c.world.subject.userId;
      return { method: 'GET', path: `/v2/users/${userId}/api-keys/${await freshKeyId(c, userId)}` };
    },
  },
  {
    route: 'GET /v2/tenants/:tenant/roles/:id',
    type: 'role',
    expected: statuses(200, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => ({
      method: 'GET',
      path: `/v2/tenants/${c.world.tenantId}/roles/${await freshRole(c)}`,
    }),
  },
  {
    route: 'GET /v2/workspaces/:workspace/memberships/:id',
    type: 'membership',
    expected: statuses(200, 404, 200, 200, 403, 200, 404, 404, 403),
    prepare: (c) => ({
      method: 'GET',
      path: `/v2/workspaces/${c.world.workspaceId}/memberships/${c.world.subjectMembershipId}`,
    }),
  },
  {
    route: 'GET /v2/workspaces/:workspace/audit-events',
    type: 'audit-event',
    expected: statuses(200, 404, 200, 403, 403, 403, 404, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/workspaces/${c.world.workspaceId}/audit-events` }),
  },
  {
    route: 'GET /v2/workspaces/:workspace/audit-events/:id',
    type: 'audit-event',
    expected: statuses(200, 404, 200, 403, 403, 403, 404, 404, 403),
    prepare: async (c) => {
      const id = await freshAuditEvent(c, c.world.workspaceId);
      return { method: 'GET', path: `/v2/workspaces/${c.world.workspaceId}/audit-events/${id}` };
    },
  },
  {
    route: 'GET /v2/tenants/:tenant/audit-events',
    type: 'audit-event',
    expected: statuses(200, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/tenants/${c.world.tenantId}/audit-events` }),
  },
  {
    route: 'GET /v2/tenants/:tenant/audit-events/:id',
    type: 'audit-event',
    expected: statuses(200, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => {
      const id = await freshAuditEvent(c, null);
      return { method: 'GET', path: `/v2/tenants/${c.world.tenantId}/audit-events/${id}` };
    },
  },
  {
    route: 'GET /v2/tenants/:tenant/auth-clients',
    type: 'auth-client',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 403),
    prepare: (c) => ({ method: 'GET', path: `/v2/tenants/${c.world.tenantId}/auth-clients` }),
  },
  {
    route: 'GET /v2/tenants/:tenant/auth-clients/:id',
    type: 'auth-client',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 404, 403),
    prepare: async (c) => ({
      method: 'GET',
      path: `/v2/tenants/${c.world.tenantId}/auth-clients/${await freshAuthClient(c)}`,
    }),
  },
  {
    route: 'POST /v2/tenants/:tenant/auth-clients',
    type: 'auth-client',
    expected: statuses(201, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: (c) => {
      const name = uniqueName('client');
      return {
        method: 'POST',
        path: `/v2/tenants/${c.world.tenantId}/auth-clients`,
        body: { data: { type: 'auth-client', attributes: { name, auth_type: 'other' } } },
        verify: async (ok) =>
          assert.equal(
            await c.prisma.authClient.count({ where: { tenantId: c.world.tenantId, name } }),
            ok ? 1 : 0,
          ),
      };
    },
  },
  {
    route: 'PATCH /v2/tenants/:tenant/auth-clients/:id',
    type: 'auth-client',
    expected: statuses(200, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => {
      const id = await freshAuthClient(c);
      const name = uniqueName('renamed');
      return {
        method: 'PATCH',
        path: `/v2/tenants/${c.world.tenantId}/auth-clients/${id}`,
        body: { data: { type: 'auth-client', id, attributes: { name } } },
        verify: async (ok) =>
          assert.equal((await c.prisma.authClient.findUniqueOrThrow({ where: { id } })).name === name, ok),
      };
    },
  },
  {
    route: 'DELETE /v2/tenants/:tenant/auth-clients/:id',
    expected: statuses(204, 403, 403, 403, 403, 403, 403, 404, 403),
    prepare: async (c) => {
      const id = await freshAuthClient(c);
      return {
        method: 'DELETE',
        path: `/v2/tenants/${c.world.tenantId}/auth-clients/${id}`,
        verify: async (ok) =>
          assert.equal((await c.prisma.authClient.findUnique({ where: { id } })) === null, ok),
      };
    },
  },
  {
    // A secret of an `other` auth-client: a caller allowed to refresh gets 409 without any
    // provider call, so the row needs no token endpoint (test/refresh/refresh-route.test.ts
    // covers the refresh itself).
    route: 'POST /v2/workspaces/:workspace/secrets/:id/refresh',
    code: 'refresh_not_supported',
    expected: statuses(409, 404, 409, 409, 409, 403, 404, 404, 403),
    prepare: async (c) => {
      const id = await freshOtherSecret(c);
      return { method: 'POST', path: `/v2/workspaces/${c.world.workspaceId}/secrets/${id}/refresh` };
    },
  },
  {
    route: 'POST /v2/workspaces/:workspace/connect-sessions',
    type: 'connect-session',
    expected: statuses(201, 404, 201, 201, 403, 403, 404, 404, 403),
    prepare: async (c) => {
      const clientId = await freshCodeClient(c);
      const count = () => c.prisma.connectSession.count({ where: { authClientId: clientId } });
      return {
        method: 'POST',
        path: `/v2/workspaces/${c.world.workspaceId}/connect-sessions`,
        body: {
          data: {
            type: 'connect-session',
            attributes: { name: uniqueName('connection') },
            relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
          },
        },
        verify: async (ok) => assert.equal(await count(), ok ? 1 : 0),
      };
    },
  },
  {
    route: 'GET /v2/workspaces/:workspace/connect-sessions/:id',
    type: 'connect-session',
    expected: statuses(200, 404, 200, 200, 403, 403, 404, 404, 403),
    prepare: async (c) => ({
      method: 'GET',
      path: `/v2/workspaces/${c.world.workspaceId}/connect-sessions/${await freshConnectSession(c)}`,
    }),
  },
  {
    // Public: the state is the credential, whoever calls. An unknown state is the 400 page for
    // everyone and writes nothing (test/connect-sessions/ covers the flow).
    route: 'GET /v2/oauth/callback',
    html: true,
    expected: statuses(400, 400, 400, 400, 400, 400, 400, 400, 400),
    prepare: async (c) => {
      const id = await freshConnectSession(c);
      const before = await c.prisma.connectSession.findUniqueOrThrow({ where: { id } });
      return {
        method: 'GET',
        path: `/v2/oauth/callback?code=abc&state=${uniqueName('forged')}`,
        verify: async () =>
          assert.deepEqual(await c.prisma.connectSession.findUniqueOrThrow({ where: { id } }), before),
      };
    },
  },
  {
    route: 'POST /v2/authcheck',
    expected: statuses(200, 200, 200, 200, 200, 200, 200, 200, 200),
    prepare: (c) => ({
      method: 'POST',
      path: '/v2/authcheck',
      body: {
        meta: {
          checks: {
            read: { permission: 'workspaces.workspace.get', workspace: c.world.workspaceId },
            edit: { permission: 'workspaces.workspace.edit', workspace: c.world.workspaceId },
            members: { permission: 'workspaces.membership.get', workspace: c.world.workspaceId },
            users: { permission: 'tenants.user.get' },
            roles: { permission: 'tenants.role.get' },
            reveal: { permission: 'workspaces.auth_secret.reveal', workspace: c.world.workspaceId },
          },
        },
      },
    }),
    body: (doc, c) => {
      // The same answers the matrix above gives for the corresponding routes.
      // reveal (API.md §8.1): every built-in role but viewer; test/auth-secrets/auth-secrets-reveal.test.ts
      // checks that credentials are shown exactly then.
      const answers: Record<ActorName, [boolean, boolean, boolean, boolean, boolean, boolean]> = {
        admin: [true, true, true, true, true, true],
        member: [false, false, false, true, false, false],
        owner: [true, true, true, true, false, true],
        editor: [true, false, true, true, false, true],
        connector: [true, false, false, true, false, true],
        viewer: [true, false, true, true, false, false],
        nonMember: [false, false, false, true, false, false],
        otherTenant: [false, false, false, true, true, false],
        scopedKey: [true, false, false, false, false, false],
      };
      const [read, edit, members, users, roles, reveal] = answers[c.actor];
      assert.deepEqual(doc.meta.checks, { read, edit, members, users, roles, reveal });
    },
  },
];

describe('tenancy: permission matrix (API.md §2)', () => {
  let t: TestApp;
  let app: Express;
  let world: World;

  before(async () => {
    t = await createTestApp();
    app = t.app;
    world = await createWorld(t.prisma);
  });

  after(async () => {
    await t?.close();
  });

  for (const row of ROWS) {
    describe(rowTitle(row), () => {
      for (const actor of ACTORS) {
        const status = row.expected[actor];
        it(`${actor} → ${status}`, async () => {
          const c: CaseContext = { world, prisma: t.prisma, keyRing: t.keyRing, actor };
          const prepared = await row.prepare(c);
          const res = await send(app, world.actors[actor].auth, prepared);
          if (row.html) {
            assert.equal(res.status, status, res.text);
            assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
          } else if (status >= 400) {
            const errors = expectError(
              res,
              status,
              status === 403 ? 'forbidden' : status === 404 ? 'not_found' : row.code,
            );
            assert.equal(errors.length, 1);
          } else {
            assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
            if (row.mediaType) assert.equal(res.headers['content-type'], row.mediaType);
            else assertJsonApiResponse(res);
            if (row.type) {
              const data = res.body.data;
              for (const item of Array.isArray(data) ? data : [data]) assert.equal(item.type, row.type);
              if (status === 201) assert.equal(res.headers.location, data.links.self);
            }
            row.body?.(res.body, c);
          }
          await prepared.verify?.(status < 300);
        });
      }
    });
  }

  it('has a row for every route of the route table (auth-secret and webhook rows: test/auth-secrets/, test/webhooks/)', () => {
    const { withoutRow, unknown } = matrixGaps(t.routes, [...ROWS, ...AUTH_SECRET_ROWS, ...WEBHOOK_ROWS]);
    assert.ok(t.routes.length > 0, 'the app has a route table');
    assert.deepEqual(withoutRow, [], 'routes without a permission-matrix row: add one per route');
    assert.deepEqual(unknown, [], 'rows for routes the route table does not have');
  });
});
