// Tenant and workspace isolation, for every route and every position an id can take. Two tenants A
// and B, each fully populated through the API (test/support/fixtures/populated-tenant.ts: users,
// API keys, a custom role, two workspaces with memberships, an oauth2 and an `other` auth-client,
// auth-secrets, audit events). The caller is A's tenant admin, the strongest caller
// there is, so any 404 below comes from isolation and not from a missing permission.
//
// Positions, derived from the route table (test/security/route-catalogue.ts) and the body schemas,
// so a new route, relationship or filter is covered without editing this file (an id position
// nobody has classified fails loudly):
// - path parameters (:tenant, :workspace, :user, :id): one at a time, and all at once → 404, with
//   the very same error document as for an id that does not exist (existence is not revealed);
// - relationship ids in bodies (membership `user`, auth-secret `auth-client` and its alias
//   `auth_client`, connect-session `auth-client` and `auth-secret`) → 404, likewise indistinguishable from a random id; `data.id` of a PATCH
//   document sent to the caller's own resource → 409 id_mismatch, as for a random id;
// - filter values (filter[user], filter[auth_client], filter[actor], filter[resource], the
//   string filters filter[email], filter[name], and filter[tags.KEY]) → 200 with `data: []`. Decision: a filter is a
//   predicate over the collection the caller may list, not an address, so another tenant's id
//   simply matches nothing — the same answer as for an id that does not exist; 404 (API.md §1,
//   visibility) is for what the path addresses, and a 400/404 here would tell "not yours" apart
//   from "no such thing". Each filter is also shown to work with the caller's own values;
// - authcheck `workspace` and `tenant` → false (and true for the caller's own, as a control).
// No response (body or headers) may contain any id, name, email or secret of tenant B; strings the
// request itself carried may come back only in the document's top-level `links` (its own URL).
// Then the same for a workspace-level caller: the owner of workspace A1 with ids of workspace A2 of
// the same tenant, where they are not a member → 404 (false for authcheck, [] for filters), and no
// A2 string in any response. Filters and authcheck run first (see the comment there). Finally, the
// database is unchanged (audit_events aside: refused writes are audited by design).
// Every assert carries a message: without one, Node 20 + tsx can hang building it on failure.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';
import type { FilterKind } from '../../src/http/jsonapi/query.js';
import type { AnyRoute } from '../../src/http/route-table.js';
import {
  ALL_TENANT_PERMISSIONS,
  ALL_WORKSPACE_PERMISSIONS,
} from '../../src/permissions/permission-catalogue.js';
import { baselineIds, createTenantFixture, type TenantFixture, validBody } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import type { RawResponse } from '../support/raw-http.js';
import { createTestApp, type ListeningTestApp, NO_RATE_LIMITS } from '../support/test-app.js';
import {
  type DbFingerprint,
  dbFingerprint,
  fillPath,
  fingerprintChanges,
  type IdKind,
  idKindOf,
  paramsOf,
} from './route-catalogue.js';

// biome-ignore lint/suspicious/noExplicitAny: documents are read freely; assertJsonApiResponse checks them.
type Doc = any;

interface Sent {
  label: string;
  method: string;
  path: string;
  body?: unknown;
}

interface Seen extends Sent {
  res: RawResponse;
}

/** Relationship names of the body schemas → the kind of id they carry. */
const RELATIONSHIP_KINDS: Record<string, IdKind> = {
  user: 'user',
  'auth-client': 'auth-client',
  auth_client: 'auth-client',
  'auth-secret': 'auth-secret',
};
const TYPE_OF_KIND: Partial<Record<IdKind, string>> = {
  user: 'user',
  'auth-client': 'auth-client',
  'auth-secret': 'auth-secret',
};

/** Values a filter takes from a tenant (ids for `uuid` filters; emails and names for string ones). */
function filterValues(name: string, t: TenantFixture): string[] | undefined {
  const users = t.ids('user');
  switch (name) {
    case 'user':
    case 'actor':
      return users;
    case 'auth_client':
      return t.ids('auth-client');
    case 'resource':
      return [
        ...t.ids('auth-secret'),
        ...t.ids('auth-client'),
        ...t.ids('membership'),
        ...t.ids('role'),
        ...t.ids('api-key'),
        ...users,
      ];
    case 'email':
      return [t.admin.email, t.wsOwner.email, t.member.email, t.outsider.email];
    case 'name':
      return [t.clients.oauth2.name, t.clients.other.name, ...secretsOf(t).map((s) => s.name)];
    case 'tags.fixture':
      return secretsOf(t).map((s) => s.tag);
    default:
      return undefined;
  }
}

const secretsOf = (t: TenantFixture) => Object.values(t.secrets);

/** Every filter a route takes, by its parameter name inside `filter[…]`; keyed ones by one key. */
function filtersOf(route: AnyRoute): [string, FilterKind][] {
  const keyed = Object.keys(route.query?.keyedFilters ?? {}).map(
    // The fixture tags every secret with `fixture` (test/support/fixtures/populated-tenant.ts).
    (prefix): [string, FilterKind] => [`${prefix}.fixture`, 'string'],
  );
  return [...Object.entries(route.query?.filters ?? {}), ...keyed];
}

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

const isRead = (r: AnyRoute) => r.method === 'GET';
const hasParams = (r: AnyRoute) => paramsOf(r.path).length > 0;
const routeName = (r: AnyRoute) => `${r.method} ${r.path}`;

describe('security: tenant and workspace isolation for every id position', function () {
  this.timeout(60_000);
  let app: ListeningTestApp;
  let A: TenantFixture;
  let B: TenantFixture;
  let fingerprint: DbFingerprint;
  const seen: Seen[] = [];

  before(async () => {
    app = await createTestApp(NO_RATE_LIMITS, { listen: true });
    A = await createTenantFixture(app);
    B = await createTenantFixture(app);
    fingerprint = await dbFingerprint(app.prisma);
  });

  after(async () => {
    await app?.close();
  });

  async function send(auth: string, r: Sent): Promise<RawResponse> {
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    const res = await app.send({
      method: r.method,
      path: r.path,
      headers: {
        Authorization: auth,
        ...(body !== undefined ? { 'Content-Type': 'application/vnd.api+json' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    assertJsonApiResponse(res);
    seen.push({ ...r, res });
    return res;
  }

  /** The request for a route with these path values, with a valid body (PATCH: addressed to them). */
  function requestFor(route: AnyRoute, params: Record<string, string>, label: string): Sent {
    const body = route.body ? validBody(route.body, params, A) : undefined;
    if (route.body)
      assert.ok(
        body,
        `no valid body described for schema ${route.body} (test/support/fixtures/populated-tenant.ts)`,
      );
    return { label, method: route.method, path: fillPath(route.path, params), ...(body ? { body } : {}) };
  }

  function paramsWith(route: AnyRoute, own: Record<IdKind, string>, override: Record<string, string>) {
    const params: Record<string, string> = {};
    for (const p of paramsOf(route.path)) params[p] = override[p] ?? own[idKindOf(route.path, p)];
    return params;
  }

  const errorsOf = (res: RawResponse) => (res.body as Doc)?.errors;

  /** 404, and the same error document as for an id that exists nowhere in the same position. */
  async function expectHidden(auth: string, r: Sent, control: Sent): Promise<void> {
    const res = await send(auth, r);
    assert.equal(
      res.status,
      404,
      `${r.label}: ${r.method} ${r.path} → ${res.status} ${res.text.slice(0, 400)}`,
    );
    const unknown = await send(auth, control);
    assert.equal(unknown.status, 404, `${control.label}: → ${unknown.status} ${unknown.text.slice(0, 300)}`);
    assert.deepEqual(
      errorsOf(res),
      errorsOf(unknown),
      `${r.label}: the answer differs from the one for an id that does not exist`,
    );
  }

  /** Every needle found in the responses of `from` on (strings the request sent: only outside top-level links). */
  function leaksSince(from: number, needles: string[]): string[] {
    const found: string[] = [];
    for (const s of seen.slice(from)) {
      const headers = { ...s.res.headers };
      delete headers['x-request-id'];
      const sentText = `${s.path}\n${s.body === undefined ? '' : JSON.stringify(s.body)}`;
      let withoutLinks = s.res.text;
      const doc = s.res.body as Doc;
      if (doc && typeof doc === 'object' && 'links' in doc) {
        const { links: _links, ...rest } = doc;
        withoutLinks = JSON.stringify(rest);
      }
      for (const needle of needles) {
        const haystack = `${sentText.includes(needle) ? withoutLinks : s.res.text}\n${JSON.stringify(headers)}`;
        if (haystack.includes(needle))
          found.push(`${needle.slice(0, 40)} in ${s.label}: ${s.method} ${s.path} → ${s.res.status}`);
      }
    }
    return found;
  }

  // Filters and authcheck first, before any refused write: A's refused writes on B's ids are
  // audited in A's own workspace (outcome failure, resource_id = the id A sent, API.md §5), and a
  // filter on such an id would then rightly find A's own record of its own attempt — not B's data,
  // and exactly what an id that exists nowhere would find after the same attempt.
  describe('filters and authcheck', () => {
    it('filters on ids and names: 200 with data [] for the other tenant’s values; the caller’s own values match', async () => {
      const from = seen.length;
      const own = baselineIds(A);
      let checked = 0;
      for (const route of app.routes.filter((r) => r.query?.filters || r.query?.keyedFilters)) {
        for (const [name, kind] of filtersOf(route)) {
          if (typeof kind === 'object') continue; // enums (state, action, auth_type) name no one's data
          const theirs = filterValues(name, B);
          const mine = filterValues(name, A);
          assert.ok(theirs && mine, `${routeName(route)}: filter[${name}] takes no values here; add it`);
          const base = fillPath(route.path, paramsWith(route, own, {}));
          const list = async (value: string, label: string) => {
            const res = await send(A.admin.auth, {
              label,
              method: 'GET',
              path: `${base}?filter[${name}]=${encodeURIComponent(value)}`,
            });
            assert.equal(res.status, 200, `${label}: ${res.status} ${res.text.slice(0, 300)}`);
            return (res.body as Doc).data as unknown[];
          };
          for (const value of theirs) {
            const data = await list(value, `${routeName(route)} filter[${name}] = B's`);
            assert.deepEqual(data, [], `${routeName(route)} filter[${name}] with B's value lists something`);
            checked++;
          }
          const random = await list(
            kind === 'uuid' ? randomUUID() : `nobody-${randomUUID()}`,
            'random value',
          );
          assert.deepEqual(
            random,
            [],
            `${routeName(route)} filter[${name}] with a random value lists something`,
          );
          let matched = 0;
          for (const value of mine)
            matched += (await list(value, `${routeName(route)} filter[${name}] = A's`)).length;
          assert.ok(
            matched > 0,
            `${routeName(route)} filter[${name}]: none of A's own values matched (control)`,
          );
        }
      }
      console.log(`      ${checked} filter cases`);
      const leaks = leaksSince(from, B.strings);
      assert.deepEqual(leaks, [], `tenant B's strings in tenant A's responses:\n${leaks.join('\n')}`);
    });

    it("authcheck with the other tenant's workspaces and tenant: false (true for the caller's own)", async () => {
      const from = seen.length;
      const checks: Record<string, { permission: string; workspace?: string; tenant?: string }> = {};
      const expected: Record<string, boolean> = {};
      const add = (
        key: string,
        check: { permission: string; workspace?: string; tenant?: string },
        want: boolean,
      ) => {
        checks[key] = check;
        expected[key] = want;
      };
      ALL_WORKSPACE_PERMISSIONS.forEach((permission, n) => {
        add(`b1-${n}`, { permission, workspace: B.ws1.id }, false);
        add(`b2-${n}`, { permission, workspace: B.ws2.id }, false);
        add(`rnd-${n}`, { permission, workspace: randomUUID() }, false);
        add(`own-${n}`, { permission, workspace: A.ws1.id }, true);
      });
      ALL_TENANT_PERMISSIONS.forEach((permission, n) => {
        add(`bt-${n}`, { permission, tenant: B.tenantId }, false);
        add(`ownt-${n}`, { permission, tenant: A.tenantId }, true);
      });
      const res = await send(A.admin.auth, {
        label: 'authcheck',
        method: 'POST',
        path: '/v2/authcheck',
        body: { meta: { checks } },
      });
      assert.equal(res.status, 200, `authcheck → ${res.status} ${res.text.slice(0, 300)}`);
      assert.deepEqual((res.body as Doc).meta.checks, expected, 'authcheck answers');
      const leaks = leaksSince(from, B.strings);
      assert.deepEqual(leaks, [], `tenant B's strings in tenant A's responses:\n${leaks.join('\n')}`);
    });

    it('a workspace owner: A2 is neither listed, matched by a filter nor granted by authcheck', async () => {
      const from = seen.length;
      const workspaces = await send(A.wsOwner.auth, {
        label: 'visible workspaces',
        method: 'GET',
        path: `/v2/tenants/${A.tenantId}/workspaces`,
      });
      assert.equal(workspaces.status, 200, `workspaces → ${workspaces.status}`);
      const listed = ((workspaces.body as Doc).data as { id: string }[]).map((w) => w.id);
      assert.deepEqual(listed, [A.ws1.id], 'the owner of A1 sees A1 only');

      for (const id of [A.secrets.ws2.id, ...A.memberships.ws2]) {
        const res = await send(A.wsOwner.auth, {
          label: 'A1 audit events filtered on an A2 resource',
          method: 'GET',
          path: `/v2/workspaces/${A.ws1.id}/audit-events?filter[resource]=${id}`,
        });
        assert.equal(res.status, 200, `audit events → ${res.status}`);
        assert.deepEqual((res.body as Doc).data, [], 'an A2 resource matches no A1 event');
      }

      const checks: Record<string, { permission: string; workspace: string }> = {};
      const expected: Record<string, boolean> = {};
      ALL_WORKSPACE_PERMISSIONS.forEach((permission, n) => {
        checks[`a2-${n}`] = { permission, workspace: A.ws2.id };
        expected[`a2-${n}`] = false;
        checks[`a1-${n}`] = { permission, workspace: A.ws1.id };
        expected[`a1-${n}`] = true;
      });
      const res = await send(A.wsOwner.auth, {
        label: 'authcheck',
        method: 'POST',
        path: '/v2/authcheck',
        body: { meta: { checks } },
      });
      assert.equal(res.status, 200, `authcheck → ${res.status} ${res.text.slice(0, 300)}`);
      assert.deepEqual((res.body as Doc).meta.checks, expected, 'authcheck: A1 granted, A2 not');
      const leaks = leaksSince(from, A.ws2Strings);
      assert.deepEqual(
        leaks,
        [],
        `workspace A2's strings in its non-member's responses:\n${leaks.join('\n')}`,
      );
    });
  });

  describe("a tenant admin with the other tenant's ids", () => {
    it('every path parameter of every route, one at a time and all at once: 404, as for an id that does not exist', async () => {
      const from = seen.length;
      const own = baselineIds(A);
      const theirs = baselineIds(B);
      let checked = 0;
      for (const route of app.routes.filter((r) => r.access.kind !== 'public' && hasParams(r))) {
        const params = paramsOf(route.path);
        // Control: the route works with the caller's own ids (reads only: writes would change data).
        if (isRead(route)) {
          const ok = await send(A.admin.auth, requestFor(route, paramsWith(route, own, {}), 'own ids'));
          assert.equal(
            ok.status,
            200,
            `${routeName(route)} with A's own ids → ${ok.status} ${ok.text.slice(0, 300)}`,
          );
        }
        for (const param of params) {
          const kind = idKindOf(route.path, param);
          // Permissions and credential schemas are global catalogues: no tenant owns one.
          if (kind === 'permission' || kind === 'credential-schema') continue;
          const control = requestFor(route, paramsWith(route, own, { [param]: randomUUID() }), 'random id');
          for (const id of B.ids(kind)) {
            const label = `${routeName(route)} :${param} = B's ${kind}`;
            await expectHidden(
              A.admin.auth,
              requestFor(route, paramsWith(route, own, { [param]: id }), label),
              control,
            );
            checked++;
          }
        }
        if (params.length > 1) {
          const all = Object.fromEntries(params.map((p) => [p, theirs[idKindOf(route.path, p)]]));
          const random = Object.fromEntries(params.map((p) => [p, randomUUID()]));
          const label = `${routeName(route)}, every parameter B's`;
          await expectHidden(
            A.admin.auth,
            requestFor(route, paramsWith(route, own, all), label),
            requestFor(route, paramsWith(route, own, random), 'random ids'),
          );
          checked++;
        }
      }
      console.log(`      ${checked} path-parameter cases`);
      const leaks = leaksSince(from, B.strings);
      assert.deepEqual(leaks, [], `tenant B's strings in tenant A's responses:\n${leaks.join('\n')}`);
    });

    it('relationship ids in bodies (membership user, auth-client / auth_client, connect-session auth-secret): 404, as for an id that does not exist', async () => {
      const from = seen.length;
      const own = baselineIds(A);
      let checked = 0;
      for (const route of app.routes.filter((r) => r.body !== undefined)) {
        const schema = JSON.parse(
          readFileSync(path.join(SCHEMA_DIR, `${route.body}.schema.json`), 'utf8'),
        ) as Doc;
        const names = Object.keys(schema.properties?.data?.properties?.relationships?.properties ?? {});
        for (const name of names) {
          const kind = RELATIONSHIP_KINDS[name];
          assert.ok(kind, `${routeName(route)}: relationship "${name}" has no id kind here; add it`);
          const type = TYPE_OF_KIND[kind] as string;
          const params = paramsWith(route, own, {});
          const withRelationship = (id: string, label: string): Sent => {
            const r = requestFor(route, params, label);
            const data = (r.body as Doc).data;
            // One relationship of the kind, under this name (auth_client is an alias of auth-client).
            for (const other of Object.keys(RELATIONSHIP_KINDS))
              if (RELATIONSHIP_KINDS[other] === kind) delete data.relationships?.[other];
            data.relationships = { ...data.relationships, [name]: { data: { type, id } } };
            return r;
          };
          for (const id of B.ids(kind)) {
            const label = `${routeName(route)} relationship ${name} = B's ${kind}`;
            await expectHidden(
              A.admin.auth,
              withRelationship(id, label),
              withRelationship(randomUUID(), 'random id'),
            );
            checked++;
          }
        }
      }
      assert.ok(checked > 0, 'some relationship positions were found in the body schemas');
      console.log(`      ${checked} relationship cases`);
      const leaks = leaksSince(from, B.strings);
      assert.deepEqual(leaks, [], `tenant B's strings in tenant A's responses:\n${leaks.join('\n')}`);
    });

    it("data.id of a PATCH document addressed to the caller's own resource: 409 id_mismatch, as for a random id", async () => {
      const from = seen.length;
      const own = baselineIds(A);
      let checked = 0;
      for (const route of app.routes.filter((r) => r.method === 'PATCH' && r.body !== undefined)) {
        const params = paramsWith(route, own, {});
        // The document's id names what the path's last parameter names.
        const kind = idKindOf(route.path, paramsOf(route.path).at(-1) as string);
        const withId = (id: string, label: string): Sent => {
          const r = requestFor(route, params, label);
          (r.body as Doc).data.id = id;
          return r;
        };
        const control = await send(A.admin.auth, withId(randomUUID(), 'random id'));
        assert.equal(control.status, 409, `${routeName(route)} with a random data.id → ${control.status}`);
        for (const id of B.ids(kind)) {
          const res = await send(A.admin.auth, withId(id, `${routeName(route)} data.id = B's ${kind}`));
          assert.equal(
            res.status,
            409,
            `${routeName(route)} data.id = B's ${kind} → ${res.status} ${res.text}`,
          );
          assert.deepEqual(
            errorsOf(res),
            errorsOf(control),
            `${routeName(route)}: differs from a random data.id`,
          );
          checked++;
        }
      }
      assert.ok(checked > 0, 'PATCH routes were found');
      console.log(`      ${checked} document-id cases`);
      const leaks = leaksSince(from, B.strings);
      assert.deepEqual(leaks, [], `tenant B's strings in tenant A's responses:\n${leaks.join('\n')}`);
    });
  });

  describe('a workspace owner with ids of another workspace of the same tenant', () => {
    // A.wsOwner: tenant member, owner of A.ws1, not a member of A.ws2.
    const WORKSPACE_SCOPED: IdKind[] = [
      'auth-secret',
      'deleted-secret',
      'membership',
      'workspace-audit-event',
      'version-number',
      'connect-session',
    ];
    // A version number names no one's data (every secret has a version 1): no A2 value to try.
    const ws2Ids = (kind: IdKind): string[] =>
      ({
        'auth-secret': [A.secrets.ws2.id],
        'deleted-secret': [A.trashed.ws2.id],
        membership: A.memberships.ws2,
        'workspace-audit-event': A.events.ws2,
        'connect-session': [A.connectSessions.ws2.id],
      })[kind as string] ?? [];

    it('every :workspace and every workspace-scoped :id: 404, as for an id that does not exist', async () => {
      const from = seen.length;
      const own = baselineIds(A);
      let checked = 0;
      for (const route of app.routes.filter((r) => paramsOf(r.path).includes('workspace'))) {
        if (isRead(route)) {
          const ok = await send(
            A.wsOwner.auth,
            requestFor(route, paramsWith(route, own, {}), 'own workspace'),
          );
          assert.equal(
            ok.status,
            200,
            `${routeName(route)} in A1 as its owner → ${ok.status} ${ok.text.slice(0, 300)}`,
          );
        }
        const randomWs = requestFor(
          route,
          paramsWith(route, own, { workspace: randomUUID() }),
          'random workspace',
        );
        await expectHidden(
          A.wsOwner.auth,
          requestFor(
            route,
            paramsWith(route, own, { workspace: A.ws2.id }),
            `${routeName(route)} :workspace = A2`,
          ),
          randomWs,
        );
        checked++;
        for (const param of paramsOf(route.path).filter((p) => p !== 'workspace')) {
          const kind = idKindOf(route.path, param);
          assert.ok(
            WORKSPACE_SCOPED.includes(kind),
            `${routeName(route)}: :${param} (${kind}) is not workspace-scoped; classify it`,
          );
          const control = requestFor(route, paramsWith(route, own, { [param]: randomUUID() }), 'random id');
          for (const id of ws2Ids(kind)) {
            const label = `${routeName(route)} :${param} = A2's ${kind}`;
            await expectHidden(
              A.wsOwner.auth,
              requestFor(route, paramsWith(route, own, { [param]: id }), label),
              control,
            );
            await expectHidden(
              A.wsOwner.auth,
              requestFor(
                route,
                paramsWith(route, own, { workspace: A.ws2.id, [param]: id }),
                `${label}, under A2`,
              ),
              randomWs,
            );
            checked += 2;
          }
        }
      }
      console.log(`      ${checked} workspace cases`);
      const leaks = leaksSince(from, A.ws2Strings);
      assert.deepEqual(
        leaks,
        [],
        `workspace A2's strings in its non-member's responses:\n${leaks.join('\n')}`,
      );
    });
  });

  describe('afterwards', () => {
    it('changed nothing in the database (audit_events aside: refused writes are audited by design)', async () => {
      const changes = fingerprintChanges(fingerprint, await dbFingerprint(app.prisma));
      assert.deepEqual(changes, [], `the requests changed the database: ${changes.join('; ')}`);
    });
  });
});
