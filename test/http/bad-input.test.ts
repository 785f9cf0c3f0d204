// Bad input on every §2 route that takes a body (API.md §1): each malformed request gets a 4xx
// JSON:API error naming every problem (source.pointer / source.parameter), never a 5xx, and
// leaves the tenant exactly as it was.
// Every assert.ok carries a message: without one, Node 20 + tsx can hang building it on failure.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import {
  type ApiRequest,
  createWorld,
  send,
  tenantSnapshot,
  uniqueName,
  type World,
} from '../support/factories.js';
import { expectError, type JsonApiError } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// Bodies here are deliberately mangled JSON (members deleted, retyped, nested in arrays):
// `any` keeps each mutation a one-liner; the responses, not these bodies, are what is checked.
// biome-ignore lint/suspicious/noExplicitAny: see above.
type Body = Record<string, any>;

interface BodyRoute {
  name: string;
  method: 'POST' | 'PATCH';
  path(w: World): string;
  /** The same path with a malformed id, or undefined when the path has none to break. */
  malformedPath?(w: World): string;
  /** A valid body (fresh values each call); the cases below break it. */
  valid(w: World): Body;
  /** Attribute (or relationship) values of the wrong type, and the pointers each must produce. */
  wrongValues: Record<string, unknown>;
  /** PATCH: the id the body must carry. */
  patchId?(w: World): string;
}

interface Ctx {
  world: World;
  roleId: string;
}

const ROUTES: BodyRoute[] = [
  {
    name: 'POST /v2/tenants/{tenant}/users',
    method: 'POST',
    path: (w) => `/v2/tenants/${w.tenantId}/users`,
    malformedPath: () => '/v2/tenants/not-a-uuid/users',
    valid: () => ({
      data: {
        type: 'user',
        attributes: { email: `${uniqueName('u')}@example.test`, name: 'N', tenant_role: 'member' },
      },
    }),
    wrongValues: { email: 'not-an-email', name: 42, tenant_role: 'owner' },
  },
  {
    name: 'POST /v2/users/me/api-keys',
    method: 'POST',
    path: () => '/v2/users/me/api-keys',
    valid: () => ({ data: { type: 'api-key', attributes: { name: 'k' } } }),
    wrongValues: { name: '', scopes: 'workspaces.workspace.get', expires_at: 'tomorrow' },
  },
  {
    name: 'POST /v2/users/{user}/api-keys',
    method: 'POST',
    path: (w) => `/v2/users/${w.subject.userId}/api-keys`,
    malformedPath: () => '/v2/users/not-a-uuid/api-keys',
    valid: () => ({
      data: { type: 'api-key', attributes: { name: 'k', scopes: ['workspaces.workspace.get'] } },
    }),
    wrongValues: { name: ['k'], scopes: [1, 'x'], expires_at: 17 },
  },
  {
    name: 'POST /v2/tenants/{tenant}/workspaces',
    method: 'POST',
    path: (w) => `/v2/tenants/${w.tenantId}/workspaces`,
    malformedPath: () => '/v2/tenants/xyz/workspaces',
    valid: () => ({ data: { type: 'workspace', attributes: { name: uniqueName('ws') } } }),
    wrongValues: { name: { first: 'a' } },
  },
  {
    name: 'PATCH /v2/workspaces/{workspace}',
    method: 'PATCH',
    path: (w) => `/v2/workspaces/${w.workspaceId}`,
    malformedPath: () => '/v2/workspaces/1234',
    patchId: (w) => w.workspaceId,
    valid: (w) => ({
      data: { type: 'workspace', id: w.workspaceId, attributes: { name: uniqueName('ws') } },
    }),
    wrongValues: { name: '   ' },
  },
  {
    name: 'POST /v2/workspaces/{workspace}/memberships',
    method: 'POST',
    path: (w) => `/v2/workspaces/${w.workspaceId}/memberships`,
    malformedPath: () => '/v2/workspaces/not-a-uuid/memberships',
    valid: (w) => ({
      data: {
        type: 'membership',
        attributes: { role: 'viewer' },
        relationships: { user: { data: { type: 'user', id: w.actors.member.userId } } },
      },
    }),
    wrongValues: { role: 7 },
  },
  {
    name: 'PATCH /v2/workspaces/{workspace}/memberships/{id}',
    method: 'PATCH',
    path: (w) => `/v2/workspaces/${w.workspaceId}/memberships/${w.subjectMembershipId}`,
    malformedPath: (w) => `/v2/workspaces/${w.workspaceId}/memberships/not-a-uuid`,
    patchId: (w) => w.subjectMembershipId,
    valid: (w) => ({
      data: { type: 'membership', id: w.subjectMembershipId, attributes: { role: 'editor' } },
    }),
    wrongValues: { role: null },
  },
  {
    name: 'POST /v2/tenants/{tenant}/roles',
    method: 'POST',
    path: (w) => `/v2/tenants/${w.tenantId}/roles`,
    malformedPath: () => '/v2/tenants/not-a-uuid/roles',
    valid: () => ({
      data: {
        type: 'role',
        attributes: { name: uniqueName('role'), permissions: ['workspaces.workspace.get'] },
      },
    }),
    wrongValues: { name: 3, permissions: { a: 1 } },
  },
];

/** The custom role is created in `before`, so this route is built from the context. */
const rolePatchRoute = (roleId: string): BodyRoute => ({
  name: 'PATCH /v2/tenants/{tenant}/roles/{id}',
  method: 'PATCH',
  path: (w) => `/v2/tenants/${w.tenantId}/roles/${roleId}`,
  malformedPath: (w) => `/v2/tenants/${w.tenantId}/roles/not-a-uuid`,
  patchId: () => roleId,
  valid: () => ({ data: { type: 'role', id: roleId, attributes: { name: uniqueName('role') } } }),
  wrongValues: { name: false, permissions: ['not a permission'] },
});

interface BadCase {
  name: string;
  /** Builds the request from the route's valid body. */
  build(route: BodyRoute, w: World): ApiRequest;
  status: number | number[];
  code?: string;
  /** Every pointer (or parameter) that must be reported. */
  pointers?(route: BodyRoute): string[];
  parameters?: string[];
  onlyFor?: 'PATCH';
  /** Sent to the app with the small body limit. */
  smallApp?: boolean;
}

const req = (route: BodyRoute, w: World, body: unknown, extra: Partial<ApiRequest> = {}): ApiRequest => ({
  method: route.method,
  path: route.path(w),
  body,
  ...extra,
});

const mutate = (route: BodyRoute, w: World, fn: (b: Body) => void): ApiRequest => {
  const body = route.valid(w);
  fn(body);
  return req(route, w, body);
};

const attrPointers = (route: BodyRoute) => Object.keys(route.wrongValues).map((k) => `/data/attributes/${k}`);

const CASES: BadCase[] = [
  { name: 'not JSON', build: (r, w) => req(r, w, '{"data": {'), status: 400, code: 'invalid_json' },
  { name: 'a JSON array', build: (r, w) => req(r, w, '[]'), status: 400 },
  { name: 'a JSON string', build: (r, w) => req(r, w, '"data"'), status: 400 },
  { name: 'JSON null', build: (r, w) => req(r, w, 'null'), status: 400 },
  { name: 'an empty body', build: (r, w) => req(r, w, ''), status: 400 },
  { name: 'no body at all', build: (r, w) => ({ method: r.method, path: r.path(w) }), status: 400 },
  { name: 'an empty object', build: (r, w) => req(r, w, {}), status: 400, pointers: () => ['/data'] },
  {
    name: 'data: null',
    build: (r, w) => mutate(r, w, (b) => (b.data = null)),
    status: 400,
    pointers: () => ['/data'],
  },
  {
    name: 'data as an array',
    build: (r, w) => mutate(r, w, (b) => (b.data = [b.data])),
    status: 400,
    pointers: () => ['/data'],
  },
  {
    name: 'an unknown top-level member',
    build: (r, w) => mutate(r, w, (b) => (b.bogus = 1)),
    status: 400,
    pointers: () => ['/bogus'],
  },
  {
    name: 'an unknown member of data',
    build: (r, w) => mutate(r, w, (b) => (b.data.bogus = 1)),
    status: 400,
    pointers: () => ['/data/bogus'],
  },
  {
    name: 'an unknown attribute',
    build: (r, w) => mutate(r, w, (b) => (b.data.attributes.bogus = 1)),
    status: 422,
    code: 'unknown_member',
    pointers: () => ['/data/attributes/bogus'],
  },
  {
    name: 'attributes that are not an object',
    build: (r, w) => mutate(r, w, (b) => (b.data.attributes = 'name')),
    status: [400, 422],
    pointers: () => ['/data/attributes'],
  },
  {
    name: 'a missing data.type',
    build: (r, w) => mutate(r, w, (b) => delete b.data.type),
    status: 400,
    pointers: () => ['/data/type'],
  },
  {
    name: 'a data.type that is not a string',
    build: (r, w) => mutate(r, w, (b) => (b.data.type = 5)),
    status: 400,
    pointers: () => ['/data/type'],
  },
  {
    name: 'the wrong data.type',
    build: (r, w) => mutate(r, w, (b) => (b.data.type = 'tenant')),
    status: 409,
    code: 'type_mismatch',
    pointers: () => ['/data/type'],
  },
  {
    name: 'attribute values of the wrong type, every one reported',
    build: (r, w) => mutate(r, w, (b) => Object.assign(b.data.attributes, r.wrongValues)),
    status: 422,
    pointers: attrPointers,
  },
  {
    name: 'structural and value problems together, every one reported',
    build: (r, w) =>
      mutate(r, w, (b) => {
        b.bogus = true;
        Object.assign(b.data.attributes, r.wrongValues);
      }),
    status: 400,
    pointers: (r) => ['/bogus', ...attrPointers(r)],
  },
  {
    name: 'an unknown query parameter',
    build: (r, w) => ({ ...mutate(r, w, () => undefined), path: `${r.path(w)}?bogus=1` }),
    status: 400,
    parameters: ['bogus'],
  },
  {
    name: 'query and body problems together',
    build: (r, w) => ({
      ...mutate(r, w, (b) => (b.data.attributes.bogus = 1)),
      path: `${r.path(w)}?include=user`,
    }),
    status: 400,
    parameters: ['include'],
    pointers: () => ['/data/attributes/bogus'],
  },
  {
    name: 'a text/plain body',
    build: (r, w) => ({ ...mutate(r, w, () => undefined), contentType: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a JSON:API media type with a charset',
    build: (r, w) => ({
      ...mutate(r, w, () => undefined),
      contentType: 'application/vnd.api+json; charset=utf-8',
    }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a body over the size limit',
    build: (r, w) => mutate(r, w, (b) => (b.meta = { pad: 'x'.repeat(2000) })),
    status: 413,
    code: 'payload_too_large',
    smallApp: true,
  },
  {
    name: 'a malformed id in the path',
    build: (r, w) => ({ ...mutate(r, w, () => undefined), path: r.malformedPath?.(w) ?? r.path(w) }),
    status: 404,
  },
  {
    name: 'an id that does not match the URL',
    onlyFor: 'PATCH',
    build: (r, w) => mutate(r, w, (b) => (b.data.id = randomUUID())),
    status: 409,
    code: 'id_mismatch',
    pointers: () => ['/data/id'],
  },
  {
    name: 'a missing id',
    onlyFor: 'PATCH',
    build: (r, w) => mutate(r, w, (b) => delete b.data.id),
    status: 400,
    pointers: () => ['/data/id'],
  },
  {
    name: 'an id that is not a string',
    onlyFor: 'PATCH',
    build: (r, w) => mutate(r, w, (b) => (b.data.id = 12)),
    status: 400,
    pointers: () => ['/data/id'],
  },
];

/** No internals ever reach an error: stack frames, SQL, Prisma, file paths. */
function assertNoInternals(errors: JsonApiError[]) {
  const text = JSON.stringify(errors);
  for (const leak of [
    /prisma/i,
    /\bselect\b.*\bfrom\b/i,
    /\bat .*:\d+:\d+/,
    /node_modules/,
    /\.ts\b/,
    /stack/i,
  ]) {
    assert.ok(!leak.test(text), `error leaks internals (${leak}): ${text}`);
  }
}

function checkReported(errors: JsonApiError[], pointers: string[], parameters: string[]) {
  const reported = errors.map((e) => e.source?.pointer ?? e.source?.parameter);
  // A pointer counts when an error names it or a member inside it (/scopes covers /scopes/0).
  for (const p of pointers) {
    assert.ok(
      errors.some((e) => e.source?.pointer === p || e.source?.pointer?.startsWith(`${p}/`)),
      `no error points at ${p}; reported: ${JSON.stringify(reported)}`,
    );
  }
  for (const p of parameters) {
    assert.ok(
      errors.some((e) => e.source?.parameter === p),
      `no error names parameter ${p}; reported: ${JSON.stringify(reported)}`,
    );
  }
}

describe('http: bad input on §2 routes (API.md §1)', () => {
  let t: TestApp;
  let small: TestApp;
  const ctx = {} as Ctx;

  before(async () => {
    t = await createTestApp();
    small = await createTestApp({ BODY_LIMIT_BYTES: '1024' });
    ctx.world = await createWorld(t.prisma);
    const role = await t.prisma.role.create({
      data: {
        tenantId: ctx.world.tenantId,
        name: uniqueName('custom'),
        permissions: ['workspaces.workspace.get'],
      },
    });
    ctx.roleId = role.id;
  });

  after(async () => {
    await t?.close();
    await small?.close();
  });

  /** Sends a bad request as the tenant admin; returns its errors after checking nothing changed. */
  async function sendBad(r: ApiRequest, status: number | number[], code?: string, app = t.app) {
    const before = await tenantSnapshot(t.prisma, ctx.world.tenantId);
    const res = await send(app, ctx.world.actors.admin.auth, r);
    const allowed = Array.isArray(status) ? status : [status];
    assert.ok(allowed.includes(res.status), `expected ${allowed.join('/')}, got ${res.status}: ${res.text}`);
    const errors = expectError(res, res.status, code);
    for (const e of errors) assert.match(String(e.status), /^4\d\d$/);
    assertNoInternals(errors);
    assert.deepEqual(
      await tenantSnapshot(t.prisma, ctx.world.tenantId),
      before,
      'the request changed the tenant',
    );
    return errors;
  }

  const allRoutes = (): BodyRoute[] => [...ROUTES, rolePatchRoute(ctx.roleId)];

  // Route list is only complete once `before` ran; the role PATCH route gets its id lazily.
  for (const routeName of [...ROUTES.map((r) => r.name), 'PATCH /v2/tenants/{tenant}/roles/{id}']) {
    describe(routeName, () => {
      const route = () => allRoutes().find((r) => r.name === routeName) as BodyRoute;

      it('accepts the valid body the cases start from', async () => {
        // Guards the cases below: each fails for the one reason it names.
        const r = route();
        const res = await send(t.app, ctx.world.actors.admin.auth, req(r, ctx.world, r.valid(ctx.world)));
        assert.ok([200, 201].includes(res.status), `${res.status}: ${res.text}`);
        // Undo what it did so later snapshots start from a known state (the counts are per case anyway).
      });

      for (const c of CASES) {
        const applies = c.onlyFor === undefined || routeName.startsWith(c.onlyFor);
        if (!applies) continue;
        if (c.name === 'a malformed id in the path' && routeName === 'POST /v2/users/me/api-keys') continue;
        it(`${c.name} → ${Array.isArray(c.status) ? c.status.join('/') : c.status}`, async () => {
          const r = route();
          const errors = await sendBad(
            c.build(r, ctx.world),
            c.status,
            c.code,
            c.smallApp ? small.app : t.app,
          );
          checkReported(errors, c.pointers?.(r) ?? [], c.parameters ?? []);
        });
      }
    });
  }

  describe('POST /v2/authcheck', () => {
    const path = '/v2/authcheck';
    const check = (w: World) => ({ permission: 'workspaces.workspace.get', workspace: w.workspaceId });
    const cases: [string, (w: World) => unknown, number, string[]][] = [
      ['not JSON', () => '{"meta":', 400, []],
      ['an empty object', () => ({}), 400, ['/meta']],
      ['no checks', () => ({ meta: {} }), 400, ['/meta/checks']],
      ['empty checks', () => ({ meta: { checks: {} } }), 400, ['/meta/checks']],
      [
        'a check without permission',
        (w) => ({ meta: { checks: { a: { workspace: w.workspaceId } } } }),
        400,
        ['/meta/checks/a/permission'],
      ],
      [
        'unknown members and wrong types, every one reported',
        (w) => ({ meta: { checks: { a: { ...check(w), extra: 1 }, b: { permission: 5 } } }, data: {} }),
        400,
        ['/meta/checks/a/extra', '/meta/checks/b/permission', '/data'],
      ],
      [
        'permissions that do not exist and a workspace permission without workspace',
        () => ({
          meta: {
            checks: {
              a: { permission: 'workspaces.nothing.get', workspace: randomUUID() },
              b: { permission: 'workspaces.workspace.get' },
            },
          },
        }),
        422,
        ['/meta/checks/a/permission', '/meta/checks/b/workspace'],
      ],
    ];
    for (const [name, body, status, pointers] of cases) {
      it(`${name} → ${status}`, async () => {
        const errors = await sendBad({ method: 'POST', path, body: body(ctx.world) }, status);
        checkReported(errors, pointers, []);
      });
    }

    it('a text/plain body → 415', async () => {
      await sendBad(
        {
          method: 'POST',
          path,
          body: { meta: { checks: { a: check(ctx.world) } } },
          contentType: 'text/plain',
        },
        415,
      );
    });
  });

  describe('NUL characters (PostgreSQL text cannot hold U+0000)', () => {
    // JSON allows "\u0000"; every string stored as text must be refused with a pointer, not a 500.
    const nul = 'a\u0000b';
    const cases: [string, (w: World, roleId: string) => ApiRequest, string][] = [
      [
        'user name',
        (w) => ({
          method: 'POST',
          path: `/v2/tenants/${w.tenantId}/users`,
          body: {
            data: { type: 'user', attributes: { email: `${uniqueName('n')}@example.test`, name: nul } },
          },
        }),
        '/data/attributes/name',
      ],
      [
        'api-key name',
        () => ({
          method: 'POST',
          path: '/v2/users/me/api-keys',
          body: { data: { type: 'api-key', attributes: { name: nul } } },
        }),
        '/data/attributes/name',
      ],
      [
        'workspace name (create)',
        (w) => ({
          method: 'POST',
          path: `/v2/tenants/${w.tenantId}/workspaces`,
          body: { data: { type: 'workspace', attributes: { name: nul } } },
        }),
        '/data/attributes/name',
      ],
      [
        'workspace name (rename)',
        (w) => ({
          method: 'PATCH',
          path: `/v2/workspaces/${w.workspaceId}`,
          body: { data: { type: 'workspace', id: w.workspaceId, attributes: { name: nul } } },
        }),
        '/data/attributes/name',
      ],
      [
        'membership role',
        (w) => ({
          method: 'POST',
          path: `/v2/workspaces/${w.workspaceId}/memberships`,
          body: {
            data: {
              type: 'membership',
              attributes: { role: nul },
              relationships: { user: { data: { type: 'user', id: w.actors.member.userId } } },
            },
          },
        }),
        '/data/attributes/role',
      ],
      [
        'membership role (change)',
        (w) => ({
          method: 'PATCH',
          path: `/v2/workspaces/${w.workspaceId}/memberships/${w.subjectMembershipId}`,
          body: { data: { type: 'membership', id: w.subjectMembershipId, attributes: { role: nul } } },
        }),
        '/data/attributes/role',
      ],
      [
        'role name (create)',
        (w) => ({
          method: 'POST',
          path: `/v2/tenants/${w.tenantId}/roles`,
          body: { data: { type: 'role', attributes: { name: nul, permissions: [] } } },
        }),
        '/data/attributes/name',
      ],
      [
        'role name (rename)',
        (w, roleId) => ({
          method: 'PATCH',
          path: `/v2/tenants/${w.tenantId}/roles/${roleId}`,
          body: { data: { type: 'role', id: roleId, attributes: { name: nul } } },
        }),
        '/data/attributes/name',
      ],
    ];
    for (const [name, build, pointer] of cases) {
      it(`in the ${name} → 4xx pointing at it`, async () => {
        const errors = await sendBad(build(ctx.world, ctx.roleId), [400, 422]);
        checkReported(errors, [pointer], []);
      });
    }

    it('in a filter value → 400 naming the parameter', async () => {
      for (const q of ['filter[email]=%00', 'filter[email]=a%00b%40example.test']) {
        const errors = await sendBad(
          { method: 'GET', path: `/v2/tenants/${ctx.world.tenantId}/users?${q}` },
          400,
        );
        checkReported(errors, [], ['filter[email]']);
      }
    });
  });

  describe('values that break a rule', () => {
    const w = () => ctx.world;
    it('api-key scopes that are not permissions and an expiry in the past → 422, each reported', async () => {
      const errors = await sendBad(
        {
          method: 'POST',
          path: '/v2/users/me/api-keys',
          body: {
            data: {
              type: 'api-key',
              attributes: {
                name: 'k',
                scopes: ['workspaces.workspace.get', 'tenants.nothing.get'],
                expires_at: '2000-01-01T00:00:00Z',
              },
            },
          },
        },
        422,
      );
      checkReported(errors, ['/data/attributes/scopes/1', '/data/attributes/expires_at'], []);
    });

    it('a membership with a role that does not exist → 422', async () => {
      const errors = await sendBad(
        {
          method: 'POST',
          path: `/v2/workspaces/${w().workspaceId}/memberships`,
          body: {
            data: {
              type: 'membership',
              attributes: { role: 'superuser' },
              relationships: { user: { data: { type: 'user', id: w().actors.member.userId } } },
            },
          },
        },
        422,
      );
      checkReported(errors, ['/data/attributes/role'], []);
    });

    it('a membership whose user relationship is malformed → 4xx pointing at it', async () => {
      const bodies: [unknown, string][] = [
        [{ data: { type: 'user', id: 'not-a-uuid' } }, '/data/relationships/user/data/id'],
        [{ data: null }, '/data/relationships/user/data'],
        [{ data: { type: 'user' } }, '/data/relationships/user/data/id'],
        [{ data: { type: 'workspace', id: w().actors.member.userId } }, '/data/relationships/user/data/type'],
      ];
      for (const [user, pointer] of bodies) {
        const errors = await sendBad(
          {
            method: 'POST',
            path: `/v2/workspaces/${w().workspaceId}/memberships`,
            body: { data: { type: 'membership', attributes: { role: 'viewer' }, relationships: { user } } },
          },
          [409, 422],
        );
        checkReported(errors, [pointer], []);
      }
      const missing = await sendBad(
        {
          method: 'POST',
          path: `/v2/workspaces/${w().workspaceId}/memberships`,
          body: { data: { type: 'membership', attributes: { role: 'viewer' } } },
        },
        [400, 422],
      );
      checkReported(missing, ['/data/relationships'], []);
    });

    it('a membership for a user that does not exist → 404', async () => {
      await sendBad(
        {
          method: 'POST',
          path: `/v2/workspaces/${w().workspaceId}/memberships`,
          body: {
            data: {
              type: 'membership',
              attributes: { role: 'viewer' },
              relationships: { user: { data: { type: 'user', id: randomUUID() } } },
            },
          },
        },
        404,
      );
    });

    it('a client-generated id on create → 403 (JSON:API: unsupported client ids)', async () => {
      await sendBad(
        {
          method: 'POST',
          path: `/v2/tenants/${w().tenantId}/workspaces`,
          body: { data: { type: 'workspace', id: randomUUID(), attributes: { name: uniqueName('ws') } } },
        },
        403,
      );
    });

    it('names too long and blank → 422', async () => {
      for (const name of ['x'.repeat(201), '', '   ']) {
        const errors = await sendBad(
          {
            method: 'POST',
            path: `/v2/tenants/${w().tenantId}/workspaces`,
            body: { data: { type: 'workspace', attributes: { name } } },
          },
          422,
        );
        checkReported(errors, ['/data/attributes/name'], []);
      }
    });
  });
});
