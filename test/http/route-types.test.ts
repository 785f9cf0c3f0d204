// The route table's types: a handler's context has only what its access rule established, and a
// body typed from the route's JSON Schema. The `@ts-expect-error` lines are the proof: `tsc
// --noEmit` (which checks test/) fails if any of them compiles, i.e. if the typing got looser.
import assert from 'node:assert/strict';
import { type AnyRoute, access, type HttpResult, route } from '../../src/http/route-table.js';
import type { RequestBody } from '../../src/http/validation/request-bodies.js';

const ok: HttpResult = { status: 204 };

const declared = [
  route({
    method: 'GET',
    path: '/v2/tenants/:tenant/things',
    access: access.tenant('tenants.auth_client.get'),
    handler: async (ctx) => {
      void ctx.tenantPermissions;
      // @ts-expect-error a tenant route has no workspace
      void ctx.workspace;
      // @ts-expect-error nor workspace permissions
      void ctx.workspacePermissions;
      // @ts-expect-error nor a target user
      void ctx.targetUserId;
      return ok;
    },
  }),
  route({
    method: 'GET',
    path: '/v2/workspaces/:workspace/things',
    access: access.workspace('workspaces.auth_secret.get'),
    handler: async (ctx) => {
      void ctx.workspace.id;
      void ctx.workspacePermissions;
      void ctx.principal;
      // @ts-expect-error a workspace route has no tenant permissions
      void ctx.tenantPermissions;
      // @ts-expect-error a route without `body` takes none
      void ctx.body.data;
      return ok;
    },
  }),
  route({
    method: 'GET',
    path: '/v2/users/:user/things',
    access: access.selfOr('tenants.user.get'),
    handler: async (ctx) => {
      void ctx.targetUserId;
      void ctx.isSelf;
      void ctx.tenantPermissions;
      // @ts-expect-error a user route has no workspace
      void ctx.workspace;
      return ok;
    },
  }),
  route({
    method: 'GET',
    path: '/things',
    access: access.public,
    handler: async (ctx) => {
      void ctx.requestId;
      // @ts-expect-error a public route has no principal
      void ctx.principal;
      return ok;
    },
  }),
  route({
    method: 'POST',
    path: '/v2/workspaces/:workspace/things',
    access: access.workspace('workspaces.auth_secret.create'),
    body: 'auth-secret-create',
    handler: async (ctx) => {
      const name: string = ctx.body.data.attributes.name;
      const state: 'ready' | 'error' = ctx.body.data.attributes.state;
      void name;
      void state;
      // @ts-expect-error the schema allows no such attribute
      void ctx.body.data.attributes.colour;
      return ok;
    },
  }),
  route({
    method: 'POST',
    path: '/v2/workspaces/:workspace/other-things',
    access: access.workspace('workspaces.auth_secret.create'),
    // @ts-expect-error only the $id of a schema in schemas/ names a body
    body: 'no-such-schema',
    handler: async () => ok,
  }),
];

// An entry of the route table cannot skip route(): a bare object literal, whose handler would not
// be checked against its access rule, is refused.
// @ts-expect-error not declared through route()
const bare: AnyRoute = { method: 'GET', path: '/bare', access: access.public, handler: async () => ok };

// A body type is what the schema says, not `any`: a required member is required.
// @ts-expect-error `state` and `credentials` are required by auth-secret-create
const missing: RequestBody<'auth-secret-create'>['data']['attributes'] = { name: 'n' };

describe('route table types', () => {
  it('declares routes through route() as plain data', () => {
    assert.deepEqual(
      declared.map((r) => `${r.method} ${r.access.kind}`),
      ['GET tenant', 'GET workspace', 'GET user', 'GET public', 'POST workspace', 'POST workspace'],
    );
    assert.equal(missing.name, 'n');
    assert.equal(bare.path, '/bare');
  });
});
