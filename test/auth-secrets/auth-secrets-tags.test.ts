// API.md §8.2: the description and tags of auth-secrets, and the list filters filter[name] and
// filter[tags.KEY]=VALUE, through the real app on real PostgreSQL. The index behind the tag filter
// (auth_secret_tags) is checked to follow every write; docs/PERFORMANCE.md shows its plans.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type request from 'supertest';
import {
  type Actor,
  addMember,
  createClient,
  createSecret,
  createTenant,
  createUser,
  createWorkspace,
  type Http,
  httpFor,
  JSONAPI,
  type JsonApiResource,
  oauth2ClientAttributes,
  pathOf,
  secretDocument,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { marker, track } from '../support/secrets.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('auth-secrets: description, tags and the filters on them (API.md §8.2)', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let editor: Actor;
  let viewer: Actor;
  let ws: string;
  let oauthClient: JsonApiResource;
  let otherClient: JsonApiResource;
  const base = () => `/v2/workspaces/${ws}/secrets`;

  const get = async (path: string, auth = admin.auth) => {
    const res = track(await http.get(path).set('Authorization', auth));
    assertJsonApiResponse(res);
    return res;
  };
  const post = async (attributes: Record<string, unknown>, auth = admin.auth) => {
    const res = track(
      await http
        .post(base())
        .set('Authorization', auth)
        .set('Content-Type', JSONAPI)
        .send(secretDocument(oauthClient.id, attributes)),
    );
    assertJsonApiResponse(res);
    return res;
  };
  const patch = async (id: string, attributes: Record<string, unknown>) => {
    const res = track(
      await http
        .patch(`${base()}/${id}`)
        .set('Authorization', admin.auth)
        .set('Content-Type', JSONAPI)
        .send({ data: { type: 'auth-secret', id, attributes } }),
    );
    assertJsonApiResponse(res);
    return res;
  };
  /** The tag index rows of a secret, as {key: value}. */
  const indexedTags = async (id: string) => {
    const rows = await t.prisma.authSecretTag.findMany({ where: { secretId: id } });
    for (const r of rows) assert.equal(r.workspaceId, ws, 'the index row carries the secret workspace');
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  };
  /** Every id a filtered list returns, following links.next (bounded), checking each page. */
  const listAll = async (workspace: string, query: string, pageSize = 2) => {
    const ids: string[] = [];
    let next: string | undefined = `/v2/workspaces/${workspace}/secrets?${query}&page[size]=${pageSize}`;
    for (let pages = 0; next && pages < 200; pages++) {
      const res: request.Response = await get(next);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['content-type'], JSONAPI);
      assert.ok(res.body.data.length <= pageSize);
      ids.push(...(res.body.data as JsonApiResource[]).map((d) => d.id));
      next = res.body.links.next ? pathOf(res.body.links.next) : undefined;
    }
    assert.equal(next, undefined, 'the list ended within 200 pages');
    return ids;
  };

  before(async () => {
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    editor = await createUser(t.prisma, tenantId);
    await addMember(t.prisma, ws, editor.userId, 'editor');
    viewer = await createUser(t.prisma, tenantId);
    await addMember(t.prisma, ws, viewer.userId, 'viewer');
    oauthClient = await createClient(http, admin.auth, tenantId, oauth2ClientAttributes());
    otherClient = await createClient(http, admin.auth, tenantId, {
      name: marker('other'),
      auth_type: 'other',
    });
  });

  after(() => t.close());

  describe('the attributes', () => {
    it('are stored on create and returned by create, GET, list and to a viewer; defaults null and {}', async () => {
      const tags = { env: 'prod', 'team.name': 'payments', 'a:b-c_d': '', region: 'eu 1 ünïcode 😀' };
      const res = await post({ description: 'Stripe key of the payments team', tags });
      assert.equal(res.status, 201, res.text);
      const created = res.body.data as JsonApiResource;
      assert.equal(created.attributes.description, 'Stripe key of the payments team');
      assert.deepEqual(created.attributes.tags, tags);
      assert.deepEqual(await indexedTags(created.id), tags);

      for (const auth of [admin.auth, viewer.auth]) {
        const one = await get(`${base()}/${created.id}`, auth);
        assert.equal(one.status, 200);
        assert.equal(one.body.data.attributes.description, 'Stripe key of the payments team');
        assert.deepEqual(one.body.data.attributes.tags, tags);
        const list = await get(`${base()}?filter[name]=${encodeURIComponent(created.attributes.name)}`, auth);
        assert.equal(list.status, 200);
        assert.deepEqual(
          list.body.data.map((d: JsonApiResource) => [d.id, d.attributes.tags, d.attributes.description]),
          [[created.id, tags, 'Stripe key of the payments team']],
        );
      }

      const plain = await createSecret(http, admin.auth, ws, oauthClient.id);
      assert.equal(plain.attributes.description, null);
      assert.deepEqual(plain.attributes.tags, {});
      assert.deepEqual(await indexedTags(plain.id), {});
      const sparse = await get(`${base()}/${plain.id}?fields[auth-secret]=tags,description`);
      assert.equal(sparse.status, 200);
      assert.deepEqual(sparse.body.data.attributes, { description: null, tags: {} });
    });

    it('PATCH replaces tags as a whole, keeps absent members, and null clears the description', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id, {
        description: 'first',
        tags: { env: 'dev', owner: 'ann' },
      });
      const replaced = await patch(created.id, { tags: { env: 'prod', tier: 'gold' } });
      assert.equal(replaced.status, 200, replaced.text);
      assert.deepEqual(replaced.body.data.attributes.tags, { env: 'prod', tier: 'gold' });
      assert.equal(replaced.body.data.attributes.description, 'first', 'absent description unchanged');
      assert.deepEqual(await indexedTags(created.id), { env: 'prod', tier: 'gold' });

      const renamed = await patch(created.id, { name: marker('renamed'), description: null });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.data.attributes.description, null);
      assert.deepEqual(
        renamed.body.data.attributes.tags,
        { env: 'prod', tier: 'gold' },
        'absent tags unchanged',
      );

      const emptied = await patch(created.id, { tags: {} });
      assert.equal(emptied.status, 200, emptied.text);
      assert.deepEqual(emptied.body.data.attributes.tags, {});
      assert.deepEqual(await indexedTags(created.id), {});

      const again = await get(`${base()}/${created.id}`);
      assert.equal(again.status, 200);
      assert.equal(again.body.data.attributes.description, null);
      assert.deepEqual(again.body.data.attributes.tags, {});

      // The audit event names the members that changed, never their values.
      const events = await t.prisma.auditEvent.findMany({
        where: { resourceId: created.id, action: 'auth_secret.update' },
        orderBy: { id: 'asc' },
      });
      assert.deepEqual(
        events.map((e) => e.details),
        [{ changed: ['tags'] }, { changed: ['description', 'name'] }, { changed: ['tags'] }],
      );
    });

    it('store a lone UTF-16 surrogate as U+FFFD, like every text column (never a 500)', async () => {
      const res = await post({ description: 'd\uD800', tags: { lone: 'x\uDC00y' } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.data.attributes.description, 'd\uFFFD');
      assert.deepEqual(res.body.data.attributes.tags, { lone: 'x\uFFFDy' });
      assert.deepEqual(await listAll(ws, `filter[tags.lone]=${encodeURIComponent('x\uFFFDy')}`), [
        res.body.data.id,
      ]);
    });

    it('are plain columns; a trashed secret leaves the filter at once, and purging it removes its index rows', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id, {
        description: 'plain text here',
        tags: { env: 'plain' },
      });
      const [row] = await t.prisma.$queryRaw<{ description: string; tags: unknown }[]>`
        SELECT description, tags FROM auth_secrets WHERE id = ${created.id}::uuid`;
      assert.deepEqual(row, { description: 'plain text here', tags: { env: 'plain' } });
      const del = track(await http.delete(`${base()}/${created.id}`).set('Authorization', admin.auth));
      assert.equal(del.status, 204);
      assert.ok(
        !(await listAll(ws, 'filter[tags.env]=plain')).includes(created.id),
        'trashed secret still listed',
      );
      const purge = track(
        await http
          .delete(`/v2/workspaces/${ws}/deleted-secrets/${created.id}`)
          .set('Authorization', admin.auth),
      );
      assert.equal(purge.status, 204, purge.text);
      assert.deepEqual(await indexedTags(created.id), {});
    });

    it('takes keys such as __proto__ and constructor as ordinary keys, also in filters', async () => {
      // An object literal's __proto__ sets the prototype and JSON.stringify leaves it out: the key is
      // written into the raw document instead (JSON.parse, as the server uses it, makes it an own key).
      const body = JSON.stringify(
        secretDocument(oauthClient.id, { tags: { constructor: 'c', toString: 't' } }),
      ).replace('"tags":{', '"tags":{"__proto__":"p",');
      const raw = track(
        await http.post(base()).set('Authorization', admin.auth).set('Content-Type', JSONAPI).send(body),
      );
      assertJsonApiResponse(raw);
      assert.equal(raw.status, 201, raw.text);
      const created = raw.body.data as JsonApiResource;
      assert.deepEqual(Object.entries(created.attributes.tags).sort(), [
        ['__proto__', 'p'],
        ['constructor', 'c'],
        ['toString', 't'],
      ]);
      const found = await listAll(ws, 'filter[tags.__proto__]=p&filter[tags.constructor]=c');
      assert.deepEqual(found, [created.id]);
      assert.deepEqual(await listAll(ws, 'filter[tags.__proto__]=other'), []);
    });
  });

  describe('validation: every violation reported, nothing changed', () => {
    const BAD_TAGS = {
      'bad key': 'x',
      'a/b~c': 'x',
      [`k${'x'.repeat(64)}`]: 'x',
      long: 'v'.repeat(257),
      number: 7,
      nested: { a: 'b' },
      nul: 'a\u0000b',
    };
    const EXPECTED_POINTERS = [
      '/data/attributes/description',
      '/data/attributes/tags/a~1b~0c',
      '/data/attributes/tags/bad key',
      `/data/attributes/tags/k${'x'.repeat(64)}`,
      '/data/attributes/tags/long',
      '/data/attributes/tags/nested',
      '/data/attributes/tags/nul',
      '/data/attributes/tags/number',
    ];
    const pointers = (errors: { source?: { pointer?: string } }[]) =>
      [...new Set(errors.map((e) => e.source?.pointer ?? ''))].sort();

    it('create: 422 with a pointer per bad key and value, no secret created', async () => {
      const before = await t.prisma.authSecret.count({ where: { workspaceId: ws } });
      const res = await post({ description: 'd'.repeat(1001), tags: BAD_TAGS });
      const errors = expectError(res, 422);
      assert.deepEqual(pointers(errors), EXPECTED_POINTERS);
      const keyError = errors.find((e) => e.source?.pointer === '/data/attributes/tags/bad key');
      assert.equal(keyError?.code, 'invalid_key');
      assert.match(keyError?.detail ?? '', /must match pattern/);
      assert.equal(await t.prisma.authSecret.count({ where: { workspaceId: ws } }), before);
    });

    it('create and PATCH: more than 50 tags → 422 at /data/attributes/tags', async () => {
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
      const created = await post({ tags: many });
      const errors = expectError(created, 422, 'invalid_value');
      assert.deepEqual(pointers(errors), ['/data/attributes/tags']);
      const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(256)]));
      const ok = await post({ tags: fifty });
      assert.equal(ok.status, 201, 'exactly 50 values of 256 characters are accepted');
      const id = ok.body.data.id as string;
      const refused = await patch(id, { tags: many });
      expectError(refused, 422, 'invalid_value');
      const after = await get(`${base()}/${id}`);
      assert.deepEqual(after.body.data.attributes.tags, fifty);
      assert.equal(Object.keys(await indexedTags(id)).length, 50);
    });

    it('PATCH: 422 listing every violation; re-GET shows the secret unchanged', async () => {
      const created = await createSecret(http, admin.auth, ws, oauthClient.id, {
        description: 'kept',
        tags: { env: 'kept' },
      });
      const res = await patch(created.id, { description: 'd'.repeat(1001), tags: BAD_TAGS });
      assert.deepEqual(pointers(expectError(res, 422)), EXPECTED_POINTERS);
      for (const value of ['string', ['env'], null, 42]) {
        const wrong = await patch(created.id, { tags: value });
        assert.deepEqual(pointers(expectError(wrong, 422)), ['/data/attributes/tags'], JSON.stringify(value));
      }
      const again = await get(`${base()}/${created.id}`);
      assert.equal(again.status, 200);
      assert.equal(again.body.data.attributes.description, 'kept');
      assert.deepEqual(again.body.data.attributes.tags, { env: 'kept' });
      assert.equal(again.body.data.attributes.updated_at, created.attributes.updated_at);
      assert.deepEqual(await indexedTags(created.id), { env: 'kept' });
    });
  });

  describe('filters', () => {
    // A workspace of its own, so the expected results are exactly these secrets.
    let fws: string;
    interface Made {
      id: string;
      name: string;
      user: string;
      client: string;
      state: string;
      tags: Record<string, string>;
    }
    const made: Made[] = [];
    const list = (query: string, pageSize = 2) => listAll(fws, query, pageSize);
    const expected = (match: (m: Made) => boolean) => made.filter(match).map((m) => m.id);

    before(async () => {
      fws = await createWorkspace(t.prisma, tenantId, admin.userId);
      await addMember(t.prisma, fws, editor.userId, 'editor');
      // 24 secrets: two creators, two clients, two states, env on all, team on some, one rare tag.
      for (let i = 0; i < 24; i++) {
        const actor = i % 3 === 0 ? editor : admin;
        const client = i % 4 === 0 ? otherClient : oauthClient;
        const tags: Record<string, string> = { env: i % 2 === 0 ? 'prod' : 'dev' };
        if (i % 3 !== 2) tags.team = i < 12 ? 'payments' : 'search & ads';
        if (i === 17) tags.owner = 'ünïcode 😀';
        if (i === 5) tags.empty = '';
        const attributes = {
          name: i === 7 || i === 8 ? 'twin' : marker(`f${i}`),
          state: i % 5 === 0 ? 'error' : 'ready',
          tags,
          ...(client === otherClient ? { credentials: { api_key: 'k' } } : {}),
        };
        const res = track(
          await http
            .post(`/v2/workspaces/${fws}/secrets`)
            .set('Authorization', actor.auth)
            .set('Content-Type', JSONAPI)
            .send(secretDocument(client.id, attributes)),
        );
        assertJsonApiResponse(res);
        assert.equal(res.status, 201, res.text);
        made.push({
          id: res.body.data.id,
          name: attributes.name,
          user: actor.userId,
          client: client.id,
          state: attributes.state,
          tags,
        });
      }
    });

    it('filter[name] is an exact match', async () => {
      assert.deepEqual(
        await list('filter[name]=twin'),
        expected((m) => m.name === 'twin'),
      );
      assert.equal(expected((m) => m.name === 'twin').length, 2);
      assert.deepEqual(await list('filter[name]=TWIN'), []);
      assert.deepEqual(await list('filter[name]=twi'), []);
      const one = made[3] as Made;
      assert.deepEqual(await list(`filter[name]=${encodeURIComponent(one.name)}`), [one.id]);
    });

    it('filter[tags.KEY]=VALUE: exact, several combine with AND, values of any characters', async () => {
      assert.deepEqual(
        await list('filter[tags.env]=prod'),
        expected((m) => m.tags.env === 'prod'),
      );
      assert.deepEqual(await list('filter[tags.env]=Prod'), []);
      assert.deepEqual(
        await list('filter[tags.env]=prod&filter[tags.team]=payments'),
        expected((m) => m.tags.env === 'prod' && m.tags.team === 'payments'),
      );
      assert.deepEqual(
        await list(`filter[tags.team]=${encodeURIComponent('search & ads')}`, 3),
        expected((m) => m.tags.team === 'search & ads'),
      );
      assert.deepEqual(await list(`filter[tags.owner]=${encodeURIComponent('ünïcode 😀')}`), [made[17]?.id]);
      assert.deepEqual(await list('filter[tags.empty]='), [made[5]?.id], 'an empty value is matched exactly');
      assert.deepEqual(await list('filter[tags.nokey]=prod'), []);
      // Brackets percent-encoded, as links.next sends them.
      assert.deepEqual(
        await list('filter%5Btags.env%5D=dev'),
        expected((m) => m.tags.env === 'dev'),
      );
    });

    it('combines with filter[user], filter[auth_client], filter[state] and filter[name]', async () => {
      const cases: [string, (m: Made) => boolean][] = [
        [
          `filter[tags.env]=prod&filter[user]=${editor.userId}`,
          (m) => m.tags.env === 'prod' && m.user === editor.userId,
        ],
        [
          `filter[tags.team]=payments&filter[auth_client]=${otherClient.id}`,
          (m) => m.tags.team === 'payments' && m.client === otherClient.id,
        ],
        ['filter[tags.env]=prod&filter[state]=error', (m) => m.tags.env === 'prod' && m.state === 'error'],
        ['filter[tags.env]=dev&filter[name]=twin', (m) => m.tags.env === 'dev' && m.name === 'twin'],
        [
          `filter[tags.env]=prod&filter[tags.team]=payments&filter[user]=${admin.userId}&filter[auth_client]=${oauthClient.id}&filter[state]=error`,
          (m) =>
            m.tags.env === 'prod' &&
            m.tags.team === 'payments' &&
            m.user === admin.userId &&
            m.client === oauthClient.id &&
            m.state === 'error',
        ],
      ];
      for (const [query, match] of cases) {
        const want = expected(match);
        assert.ok(want.length > 0, `the fixture has a match for ${query}`);
        assert.deepEqual(await list(query), want, query);
        assert.deepEqual(await list(query, 200), want, `${query} in one page`);
      }
    });

    it('links.next keeps the filters and the pages never repeat an item while secrets are inserted', async function () {
      this.timeout(60_000);
      const cws = await createWorkspace(t.prisma, tenantId, admin.userId);
      const createIn = (tags: Record<string, string>) =>
        createSecret(http, admin.auth, cws, oauthClient.id, { tags }).then((s) => s.id);
      const initial: string[] = [];
      for (let i = 0; i < 30; i++)
        initial.push(await createIn({ env: i % 3 === 0 ? 'dev' : 'prod', batch: 'x' }));
      const wanted = new Set<string>();
      for (const [i, id] of initial.entries()) if (i % 3 !== 0) wanted.add(id);

      let paging = true;
      const inserted: string[] = [];
      const writer = async () => {
        for (let i = 0; paging && i < 60; i++) inserted.push(await createIn({ env: 'prod', batch: 'x' }));
      };
      const writers = [writer(), writer()];
      const seen: string[] = [];
      try {
        let next: string | undefined =
          `/v2/workspaces/${cws}/secrets?filter[tags.env]=prod&filter[tags.batch]=x&page[size]=3`;
        for (let pages = 0; next && pages < 100; pages++) {
          const res: request.Response = await get(next);
          assert.equal(res.status, 200, res.text);
          assert.equal(res.headers['content-type'], JSONAPI);
          for (const d of res.body.data as JsonApiResource[]) {
            assert.equal(d.attributes.tags.env, 'prod', 'only matching items');
            seen.push(d.id);
          }
          if (res.body.links.next) {
            const link = new URL(res.body.links.next);
            assert.equal(link.searchParams.get('filter[tags.env]'), 'prod');
            assert.equal(link.searchParams.get('filter[tags.batch]'), 'x');
          }
          next = res.body.links.next ? pathOf(res.body.links.next) : undefined;
        }
      } finally {
        paging = false;
        await Promise.all(writers);
      }
      assert.equal(new Set(seen).size, seen.length, 'an item was listed twice');
      assert.deepEqual([...seen].sort(), seen, 'pages are in id order');
      for (const id of wanted) assert.ok(seen.includes(id), `secret ${id} that existed before was listed`);
      for (const id of seen) assert.ok(wanted.has(id) || inserted.includes(id), 'nothing unexpected');
    });

    it('bad filters → 400 naming each parameter; the list is not served', async () => {
      const one = async (query: string, parameters: string[], code?: string) => {
        const res = await get(`/v2/workspaces/${fws}/secrets?${query}`);
        const errors = expectError(res, 400, code);
        assert.deepEqual(
          errors.map((e) => e.source?.parameter),
          parameters,
          query,
        );
        return errors;
      };
      await one('filter[tags.bad%20key]=x', ['filter[tags.bad key]'], 'invalid_filter_key');
      await one('filter[tags.]=x', ['filter[tags.]'], 'invalid_filter_key');
      await one(`filter[tags.${'k'.repeat(65)}]=x`, [`filter[tags.${'k'.repeat(65)}]`], 'invalid_filter_key');
      await one('filter[tags.a/b]=x', ['filter[tags.a/b]'], 'invalid_filter_key');
      await one('filter[tags]=x', ['filter[tags]'], 'unknown_query_parameter');
      await one('filter[tag.env]=x', ['filter[tag.env]'], 'unknown_query_parameter');
      await one(`filter[tags.env]=${'v'.repeat(257)}`, ['filter[tags.env]'], 'invalid_query_parameter');
      await one('filter[tags.env]=a&filter[tags.env]=b', ['filter[tags.env]']);
      await one('filter[tags.env]=a%00b', ['filter[tags.env]']);
      await one('filter[name]=', ['filter[name]']);
      const eleven = Array.from({ length: 11 }, (_, i) => `filter[tags.k${i}]=v`).join('&');
      const errors = await one(eleven, ['filter[tags.k10]'], 'too_many_filters');
      assert.match(errors[0]?.detail ?? '', /At most 10/);
      // Every problem of one request is reported.
      await one('filter[tags.bad%20key]=x&filter[tags.]=y&filter[name]=&filter[tags.ok]=fine', [
        'filter[tags.bad key]',
        'filter[tags.]',
        'filter[name]',
      ]);
      // Ten is the bound, not a problem.
      const ten = Array.from({ length: 10 }, (_, i) => `filter[tags.k${i}]=v`).join('&');
      const res = await get(`/v2/workspaces/${fws}/secrets?${ten}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, []);
      // A value of 256 code points (astral characters count once) is accepted.
      const astral = await get(
        `/v2/workspaces/${fws}/secrets?filter[tags.env]=${encodeURIComponent('😀'.repeat(256))}`,
      );
      assert.equal(astral.status, 200, astral.text);
    });
  });
});
