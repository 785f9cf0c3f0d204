// API.md §8.1, seeing credentials is its own permission: every kind of caller × every route that
// returns auth-secrets (GET one, list, create, PATCH, refresh against a real token endpoint) and
// POST /v2/authcheck. Credentials are in a response exactly when the caller holds
// workspaces.auth_secret.reveal; a credential read (GET one, list) records one `auth_secret.read`
// per secret it disclosed, and nothing for a caller without reveal; writes succeed alike and are
// audited with their own event. Then `fields[auth-secret]` naming credentials without reveal.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { openCredentials } from '../../src/modules/auth-secrets/credentials.js';
import {
  type Actor,
  addMember,
  createUser,
  type SeededSecret,
  type SeededTenant,
  secretDocument,
  seedSecrets,
  seedTenant,
  uniqueName,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { findSecrets, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const WS_GET = 'workspaces.workspace.get';
const GET = 'workspaces.auth_secret.get';
const REVEAL = 'workspaces.auth_secret.reveal';
const WRITE = [
  'workspaces.auth_secret.create',
  'workspaces.auth_secret.edit',
  'workspaces.auth_secret.refresh',
];

const OPS = ['get', 'list', 'create', 'patch', 'refresh'] as const;
type Op = (typeof OPS)[number];
const ALL: readonly Op[] = OPS;
const READS: readonly Op[] = ['get', 'list'];

interface CallerSpec {
  name: string;
  /** Holds workspaces.auth_secret.reveal in the workspace. */
  reveal: boolean;
  /** The routes it may call (any other answers 403). */
  may: readonly Op[];
  make(t: TestApp, tenant: SeededTenant): Promise<Actor>;
}

/** A tenant member with `role` in the workspace, through a key with `scopes` (unrestricted if absent). */
const member =
  (role: string, scopes?: string[]) =>
  async (t: TestApp, tenant: SeededTenant): Promise<Actor> => {
    const actor = await createUser(t.prisma, tenant.tenantId, 'member', scopes);
    await addMember(t.prisma, tenant.workspaceId, actor.userId, role);
    return actor;
  };

const CUSTOM_WITHOUT_REVEAL = uniqueName('editor-without-reveal');
const CUSTOM_WITH_REVEAL = uniqueName('editor-with-reveal');

const CALLERS: CallerSpec[] = [
  { name: 'owner', reveal: true, may: ALL, make: member('owner') },
  { name: 'editor', reveal: true, may: ALL, make: member('editor') },
  { name: 'connector', reveal: true, may: ['get', 'list', 'refresh'], make: member('connector') },
  { name: 'viewer', reveal: false, may: READS, make: member('viewer') },
  {
    name: 'tenant admin (no membership)',
    reveal: true,
    may: ALL,
    make: (t, tenant) => createUser(t.prisma, tenant.tenantId, 'admin'),
  },
  { name: 'custom role without reveal', reveal: false, may: ALL, make: member(CUSTOM_WITHOUT_REVEAL) },
  { name: 'custom role with reveal', reveal: true, may: ALL, make: member(CUSTOM_WITH_REVEAL) },
  {
    name: 'owner through a key scoped without reveal',
    reveal: false,
    may: ALL,
    make: member('owner', [WS_GET, GET, ...WRITE]),
  },
  {
    name: 'owner through a key scoped with reveal',
    reveal: true,
    may: ALL,
    make: member('owner', [WS_GET, GET, REVEAL, ...WRITE]),
  },
  {
    name: 'viewer through a key scoped to get and reveal',
    reveal: false,
    may: READS,
    make: member('viewer', [GET, REVEAL]),
  },
  { name: 'editor through a key scoped to get', reveal: false, may: READS, make: member('editor', [GET]) },
];

describe('auth-secrets: seeing credentials is its own permission (API.md §8.1)', () => {
  let provider: OAuthTestServer;
  let t: TestApp;
  let tenant: SeededTenant;
  const actors = new Map<string, Actor>();

  const secretsPath = () => `/v2/workspaces/${tenant.workspaceId}/secrets`;
  const oneSecret = async (): Promise<SeededSecret> =>
    (await seedSecrets(t.prisma, t.keyRing, provider, tenant, 1, 3600))[0] as SeededSecret;
  const eventsOf = (requestId: string, action: string) =>
    t.prisma.auditEvent.count({ where: { tenantId: tenant.tenantId, requestId, action } });

  /** Sends one request with its own X-Request-Id, so its audit events can be counted. */
  async function call(
    actor: Actor,
    method: 'get' | 'post' | 'patch',
    path: string,
    body?: object,
  ): Promise<{ res: request.Response; requestId: string }> {
    const requestId = randomUUID();
    let req = request(t.app)[method](path).set('Authorization', actor.auth).set('X-Request-Id', requestId);
    if (body) req = req.set('Content-Type', 'application/vnd.api+json').send(body);
    return { res: track(await req), requestId };
  }

  before(async () => {
    provider = await OAuthTestServer.start();
    t = await createTestApp();
    tenant = await seedTenant(t.prisma, t.keyRing, provider);
    const editing = [WS_GET, GET, ...WRITE];
    await t.prisma.role.createMany({
      data: [
        { tenantId: tenant.tenantId, name: CUSTOM_WITHOUT_REVEAL, permissions: editing },
        { tenantId: tenant.tenantId, name: CUSTOM_WITH_REVEAL, permissions: [...editing, REVEAL] },
      ],
    });
    for (const caller of CALLERS) actors.set(caller.name, await caller.make(t, tenant));
    // Something to list, whoever lists first.
    await seedSecrets(t.prisma, t.keyRing, provider, tenant, 3, 3600);
  });
  after(async () => {
    await t?.close();
    await provider?.close();
  });

  /**
   * A successful response: a valid document whose auth-secrets carry credentials exactly when the
   * caller may see them; without reveal not one secret-shaped string is in the body.
   */
  function assertDisclosure(caller: CallerSpec, res: request.Response, status: number) {
    assert.equal(res.status, status, res.text);
    assertJsonApiResponse(res);
    const items = Array.isArray(res.body.data) ? res.body.data : [res.body.data];
    assert.ok(items.length > 0);
    for (const item of items) {
      assert.equal(item.type, 'auth-secret');
      assert.equal('credentials' in item.attributes, caller.reveal, `credentials shown to ${caller.name}`);
      if (caller.reveal) assert.equal(typeof item.attributes.credentials.access_token, 'string');
      assert.equal(typeof item.attributes.name, 'string', 'everything else is still there');
    }
    if (!caller.reveal) assert.deepEqual(findSecrets(res.text), []);
    return items;
  }

  for (const caller of CALLERS) {
    describe(caller.name, () => {
      const actor = () => actors.get(caller.name) as Actor;
      const allowed = (op: Op) => caller.may.includes(op);

      it(`GET one → ${allowed('get') ? 200 : 403}, credentials ${caller.reveal ? 'shown and audited' : 'absent, no read event'}`, async () => {
        const s = await oneSecret();
        const { res, requestId } = await call(actor(), 'get', `${secretsPath()}/${s.id}`);
        const [item] = assertDisclosure(caller, res, 200);
        if (caller.reveal) assert.equal(item.attributes.credentials.access_token, s.accessToken);
        assert.equal(await eventsOf(requestId, 'auth_secret.read'), caller.reveal ? 1 : 0);
      });

      it(`list → 200, credentials ${caller.reveal ? 'shown, one read event each' : 'absent, no read event'}`, async () => {
        const { res, requestId } = await call(actor(), 'get', `${secretsPath()}?page[size]=5`);
        const items = assertDisclosure(caller, res, 200);
        assert.equal(res.body.meta, undefined, 'no credentials_unreadable for anyone here');
        assert.equal(await eventsOf(requestId, 'auth_secret.read'), caller.reveal ? items.length : 0);
      });

      it(`create → ${allowed('create') ? 201 : 403}`, async () => {
        const before = await t.prisma.authSecret.count({ where: { workspaceId: tenant.workspaceId } });
        const { res, requestId } = await call(
          actor(),
          'post',
          secretsPath(),
          secretDocument(tenant.authClientId),
        );
        const after = await t.prisma.authSecret.count({ where: { workspaceId: tenant.workspaceId } });
        if (!allowed('create')) {
          expectError(res, 403, 'forbidden');
          assert.equal(after, before);
          return;
        }
        const [item] = assertDisclosure(caller, res, 201);
        assert.equal(res.headers.location, item.links.self);
        assert.equal(after, before + 1);
        assert.equal(await eventsOf(requestId, 'auth_secret.create'), 1);
        assert.equal(await eventsOf(requestId, 'auth_secret.read'), 0, 'a write is audited as the write');
      });

      it(`PATCH → ${allowed('patch') ? 200 : 403}`, async () => {
        const s = await oneSecret();
        const name = uniqueName('renamed');
        const { res, requestId } = await call(actor(), 'patch', `${secretsPath()}/${s.id}`, {
          data: { type: 'auth-secret', id: s.id, attributes: { name } },
        });
        const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: s.id } });
        if (!allowed('patch')) {
          expectError(res, 403, 'forbidden');
          assert.notEqual(row.name, name);
          return;
        }
        const [item] = assertDisclosure(caller, res, 200);
        assert.equal(item.attributes.name, name);
        assert.equal(row.name, name, 'the PATCH took effect, with or without reveal');
        if (caller.reveal) assert.equal(item.attributes.credentials.refresh_token, s.refreshToken);
        assert.equal(await eventsOf(requestId, 'auth_secret.update'), 1);
        assert.equal(await eventsOf(requestId, 'auth_secret.read'), 0);
      });

      it(`refresh → ${allowed('refresh') ? 200 : 403} (real token endpoint)`, async () => {
        const s = await oneSecret();
        const { res, requestId } = await call(actor(), 'post', `${secretsPath()}/${s.id}/refresh`);
        const row = await t.prisma.authSecret.findUniqueOrThrow({ where: { id: s.id } });
        if (!allowed('refresh')) {
          expectError(res, 403, 'forbidden');
          assert.equal(provider.callsFor(s.refreshToken), 0);
          return;
        }
        const [item] = assertDisclosure(caller, res, 200);
        assert.equal(provider.renewalsOf(s.refreshToken), 1, 'the provider renewed the grant');
        const stored = openCredentials(t.keyRing, row);
        assert.notEqual(stored.access_token, s.accessToken, 'the new tokens are stored');
        if (caller.reveal) assert.equal(item.attributes.credentials.access_token, stored.access_token);
        assert.equal(await eventsOf(requestId, 'auth_secret.refresh'), 1);
        assert.equal(await eventsOf(requestId, 'auth_secret.read'), 0);
      });

      it(`authcheck answers reveal: ${caller.reveal}`, async () => {
        const check = (permission: string) => ({ permission, workspace: tenant.workspaceId });
        const { res } = await call(actor(), 'post', '/v2/authcheck', {
          meta: { checks: { get: check(GET), reveal: check(REVEAL) } },
        });
        assert.equal(res.status, 200, res.text);
        assertJsonApiResponse(res);
        assert.deepEqual(res.body.meta.checks, { get: true, reveal: caller.reveal });
      });
    });
  }

  describe('fields[auth-secret] naming credentials', () => {
    const viewer = () => actors.get('viewer') as Actor;

    it('without reveal → 403 reveal_not_permitted (source.parameter), on GET one and list, recording nothing', async () => {
      const s = await oneSecret();
      const before = await t.prisma.auditEvent.count({ where: { tenantId: tenant.tenantId } });
      for (const path of [`${secretsPath()}/${s.id}`, secretsPath()]) {
        const { res } = await call(viewer(), 'get', `${path}?fields[auth-secret]=name,credentials`);
        const errors = expectError(res, 403, 'reveal_not_permitted');
        assert.equal(errors.length, 1);
        assert.deepEqual(errors[0]?.source, { parameter: 'fields[auth-secret]' });
        assert.match(errors[0]?.detail ?? '', /workspaces\.auth_secret\.reveal/);
        assert.deepEqual(findSecrets(res.text), []);
      }
      assert.equal(await t.prisma.auditEvent.count({ where: { tenantId: tenant.tenantId } }), before);
    });

    it('is reported together with an include the caller may not make', async () => {
      const s = await oneSecret();
      const scoped = actors.get('editor through a key scoped to get') as Actor;
      const { res } = await call(
        scoped,
        'get',
        `${secretsPath()}/${s.id}?include=user&fields[auth-secret]=credentials`,
      );
      const errors = expectError(res, 403);
      assert.deepEqual(errors.map((e) => [e.code, e.source?.parameter]).sort(), [
        ['forbidden', 'include'],
        ['reveal_not_permitted', 'fields[auth-secret]'],
      ]);
    });

    it('without credentials in it is served to a viewer; with them to a caller with reveal', async () => {
      const s = await oneSecret();
      const { res } = await call(viewer(), 'get', `${secretsPath()}/${s.id}?fields[auth-secret]=name,state`);
      assert.equal(res.status, 200, res.text);
      assertJsonApiResponse(res);
      assert.deepEqual(Object.keys(res.body.data.attributes).sort(), ['name', 'state']);

      const owner = actors.get('owner') as Actor;
      const shown = await call(owner, 'get', `${secretsPath()}/${s.id}?fields[auth-secret]=credentials`);
      assert.equal(shown.res.status, 200, shown.res.text);
      assertJsonApiResponse(shown.res);
      assert.deepEqual(Object.keys(shown.res.body.data.attributes), ['credentials']);
      assert.equal(shown.res.body.data.attributes.credentials.access_token, s.accessToken);
      assert.equal(await eventsOf(shown.requestId, 'auth_secret.read'), 1);
    });

    it('is not accepted on writes (400), which change nothing', async () => {
      const before = await t.prisma.authSecret.count({ where: { workspaceId: tenant.workspaceId } });
      const editor = actors.get('custom role without reveal') as Actor;
      const { res } = await call(
        editor,
        'post',
        `${secretsPath()}?fields[auth-secret]=credentials`,
        secretDocument(tenant.authClientId),
      );
      const errors = expectError(res, 400, 'unknown_query_parameter');
      assert.equal(errors[0]?.source?.parameter, 'fields[auth-secret]');
      assert.equal(await t.prisma.authSecret.count({ where: { workspaceId: tenant.workspaceId } }), before);
    });
  });
});
