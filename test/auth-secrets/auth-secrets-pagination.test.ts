// Cursor pagination under load: 10,000 secrets listed with page[size]=200 come back exactly once
// each while other secrets are being created concurrently through the API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type request from 'supertest';
import { randomUUID7 } from '../../src/db/uuid7.js';
import { sealCredentials } from '../../src/modules/auth-secrets/credentials.js';
import {
  type Actor,
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
  type Http,
  httpFor,
  type JsonApiResource,
  pathOf,
} from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const BULK = 10_000;
const PAGE_SIZE = 200;
const CHUNK = 1_000;

describe('auth-secrets: pagination of 10,000 secrets under concurrent inserts', () => {
  let t: TestApp;
  let http: Http;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  let client: JsonApiResource;
  const bulkIds: string[] = [];

  before(async function () {
    this.timeout(120_000);
    t = await createTestApp();
    http = httpFor(t);
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    client = await createClient(http, admin.auth, tenantId, { name: 'bulk', auth_type: 'other' });
    // Bulk insert, sealed exactly as the API seals (bound to each row's generated id).
    for (let start = 0; start < BULK; start += CHUNK) {
      const data = Array.from({ length: Math.min(CHUNK, BULK - start) }, (_, i) => {
        const ids = { id: randomUUID7(), tenantId, workspaceId: ws };
        bulkIds.push(ids.id);
        return {
          ...ids,
          userId: admin.userId,
          authClientId: client.id,
          authType: 'other' as const,
          name: `bulk ${start + i}`,
          state: 'ready' as const,
          credentialsSealed: sealCredentials(t.keyRing, ids, { n: start + i }),
        };
      });
      await t.prisma.authSecret.createMany({ data });
    }
  });

  after(() => t.close());

  it('returns every secret exactly once, in id order, while more are created', async function () {
    this.timeout(180_000);
    let paging = true;
    const created: string[] = [];
    // Two writers creating secrets through the API for as long as the reader pages (bounded).
    const writer = async () => {
      for (let i = 0; paging && i < 150; i++) {
        created.push((await createSecret(http, admin.auth, ws, client.id, { credentials: { n: -1 } })).id);
      }
    };
    const writers = [writer(), writer()];

    const seen: string[] = [];
    const credentialsById = new Map<string, unknown>();
    let next: string | undefined = `/v2/workspaces/${ws}/secrets?page[size]=${PAGE_SIZE}`;
    let pages = 0;
    const started = Date.now();
    try {
      while (next && pages < 200) {
        const res: request.Response = await http.get(next).set('Authorization', admin.auth);
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], 'application/vnd.api+json');
        if (pages % 10 === 0) assertJsonApiResponse(res);
        assert.ok(res.body.data.length <= PAGE_SIZE);
        for (const d of res.body.data as JsonApiResource[]) {
          seen.push(d.id);
          credentialsById.set(d.id, d.attributes.credentials);
        }
        next = res.body.links.next ? pathOf(res.body.links.next) : undefined;
        pages++;
      }
    } finally {
      paging = false;
      await Promise.all(writers);
    }
    const elapsed = Date.now() - started;

    assert.equal(new Set(seen).size, seen.length, 'a secret was listed twice');
    const seenSet = new Set(seen);
    const missing = bulkIds.filter((id) => !seenSet.has(id));
    assert.deepEqual(missing, [], `${missing.length} secrets were skipped`);
    assert.deepEqual([...seen].sort(), seen, 'not in id order');
    for (const [i, id] of bulkIds.entries()) assert.deepEqual(credentialsById.get(id), { n: i });
    assert.ok(pages >= BULK / PAGE_SIZE, `${pages} pages`);
    assert.ok(created.length > 0, 'no concurrent insert happened');
    // Whatever was created concurrently and listed was listed once; the rest is on later pages.
    const all = await t.prisma.authSecret.count({ where: { workspaceId: ws } });
    assert.equal(all, BULK + created.length);
    console.log(`      (${pages} pages in ${elapsed} ms, ${created.length} created concurrently)`);
  });
});
