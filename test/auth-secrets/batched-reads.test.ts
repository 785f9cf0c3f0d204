// The hot path of GET one secret (src/db/batch-loader.ts): the key, workspace-access and secret
// lookups and the read audit events of concurrent requests share statements, against the real
// database, without changing what any single request sees or leaves behind.
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'mocha';
import type pg from 'pg';
import request from 'supertest';
import { poolOf, sqlOf } from '../../src/db/prisma-client.js';
import { documentsHeldBySerializers } from '../../src/http/jsonapi/document-builder.js';
import { createAuditWriter, systemActor } from '../../src/modules/audit-events/audit-recorder.js';
import { createAuthSecretStore } from '../../src/modules/auth-secrets/auth-secret-store.js';
import {
  type Actor,
  createApiKey,
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
  httpFor,
  type JsonApiResource,
  oauth2ClientAttributes,
} from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface SecretDocument {
  data: { id: string; attributes: { credentials: Record<string, unknown> } };
}

/** Counts the statements sent through the shared pool that mention `table`, while `work` runs. */
async function countStatements<T>(pool: pg.Pool, table: string, work: () => Promise<T>) {
  const original = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  let count = 0;
  (pool as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text?.includes(table)) count += 1;
    return original(...args);
  };
  try {
    const result = await work();
    return { result, count };
  } finally {
    (pool as unknown as { query: unknown }).query = original;
  }
}

interface Sent {
  path: string;
  headers: Record<string, string>;
}

interface Received {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
  body: SecretDocument;
}

/**
 * Opens one warm keep-alive connection per request, then writes all requests at once, as a busy
 * client would: the server reads them in one turn of its event loop, so they share batches.
 */
async function burstTo(server: Server, requests: Sent[]): Promise<Received[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: requests.length });
  const { port } = server.address() as AddressInfo;
  const send = (target: string, headers: Record<string, string>) =>
    new Promise<Received>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: target, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string | undefined>,
            text,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      });
      req.on('error', reject);
    });
  try {
    await Promise.all(requests.map(() => send('/healthz', {})));
    return await Promise.all(requests.map((r) => send(r.path, r.headers)));
  } finally {
    agent.destroy();
  }
}

describe('auth-secrets: batched reads on the hot path', () => {
  let t: TestApp;
  let server: Server;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  let secret: JsonApiResource;
  const path = () => `/v2/workspaces/${ws}/secrets/${secret.id}`;
  const burst = (requests: Sent[]) => burstTo(server, requests);

  before(async () => {
    t = await createTestApp();
    ({ tenantId, admin } = await createTenant(t.prisma));
    ws = await createWorkspace(t.prisma, tenantId, admin.userId);
    const client = await createClient(httpFor(t), admin.auth, tenantId, oauth2ClientAttributes());
    secret = await createSecret(httpFor(t), admin.auth, ws, client.id);
    server = t.app.listen(0, '127.0.0.1');
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it('50 concurrent GETs share their lookups, and each is answered and audited on its own', async () => {
    const pool = poolOf(t.prisma);
    const before = await t.prisma.auditEvent.count({
      where: { action: 'auth_secret.read', resourceId: secret.id },
    });
    const requestIds = Array.from({ length: 50 }, (_, i) => `batched-read-${i}-${Date.now()}`);
    const { result: responses, count: keyLookups } = await countStatements(pool, 'api_keys', () =>
      burst(
        requestIds.map((id) => ({
          path: path(),
          headers: { Authorization: admin.auth, 'X-Request-Id': id },
        })),
      ),
    );
    for (const res of responses) {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['content-type'], 'application/vnd.api+json');
      assertJsonApiResponse(res);
      assert.equal(res.body.data.id, secret.id);
      assert.deepEqual(Object.keys(res.body.data.attributes.credentials).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
      ]);
    }
    // Not one statement per request: requests that arrived together shared the key lookup.
    assert.ok(keyLookups >= 1 && keyLookups < 50, `key lookups for 50 requests: ${keyLookups}`);
    // …but exactly one read event per request, each carrying that request's id.
    const events = await t.prisma.auditEvent.findMany({
      where: { action: 'auth_secret.read', resourceId: secret.id, requestId: { in: requestIds } },
    });
    assert.equal(events.length, 50, 'one read event per request');
    assert.deepEqual(new Set(events.map((e) => e.requestId)), new Set(requestIds));
    const after = await t.prisma.auditEvent.count({
      where: { action: 'auth_secret.read', resourceId: secret.id },
    });
    assert.equal(after - before, 50, 'no other read events');
  });

  it('a key revoked before the batch is refused in it, while another key in the same statement is served', async () => {
    const revokedKey = await createApiKey(t.prisma, admin.userId);
    const revokedAuth = `Bearer ${revokedKey}`;
    const ok = await request(server).get(path()).set('Authorization', revokedAuth);
    assert.equal(ok.status, 200, ok.text);
    const keyHex = revokedKey.split('_')[1] as string;
    const keyId = `${keyHex.slice(0, 8)}-${keyHex.slice(8, 12)}-${keyHex.slice(12, 16)}-${keyHex.slice(16, 20)}-${keyHex.slice(20)}`;
    await t.prisma.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
    const { result, count } = await countStatements(poolOf(t.prisma), 'api_keys', () =>
      burst([
        ...Array.from({ length: 5 }, () => ({ path: path(), headers: { Authorization: revokedAuth } })),
        ...Array.from({ length: 5 }, () => ({ path: path(), headers: { Authorization: admin.auth } })),
      ]),
    );
    // Both keys were looked up by one statement, after the revocation: the batch saw it.
    assert.equal(count, 1, 'one key lookup for the ten requests');
    for (const refused of result.slice(0, 5)) expectError(refused, 401);
    for (const served of result.slice(5)) assert.equal(served.status, 200, served.text);
  });

  it("requests of two tenants in one batch each get their own secret, and never the other's", async () => {
    const other = await createTenant(t.prisma);
    const otherWs = await createWorkspace(t.prisma, other.tenantId, other.admin.userId);
    const otherClient = await createClient(
      httpFor(t),
      other.admin.auth,
      other.tenantId,
      oauth2ClientAttributes(),
    );
    const otherSecret = await createSecret(httpFor(t), other.admin.auth, otherWs, otherClient.id);
    const otherPath = `/v2/workspaces/${otherWs}/secrets/${otherSecret.id}`;
    const crossPath = `/v2/workspaces/${ws}/secrets/${otherSecret.id}`;
    const mine = { Authorization: admin.auth };
    const theirs = { Authorization: other.admin.auth };
    const { result, count } = await countStatements(poolOf(t.prisma), 'auth_secrets', () =>
      burst([
        { path: path(), headers: mine },
        { path: otherPath, headers: theirs },
        { path: otherPath, headers: mine }, // another tenant's workspace → 404
        { path: crossPath, headers: mine }, // another tenant's secret id under my workspace → 404
        { path: path(), headers: theirs }, // my workspace, their key → 404
        { path: otherPath, headers: theirs },
        { path: path(), headers: mine },
      ]),
    );
    assert.ok(count < 7, `secret reads shared statements: ${count}`);
    const [a, b, c, d, e, f, g] = result as Received[];
    for (const [res, id] of [
      [a, secret.id],
      [b, otherSecret.id],
      [f, otherSecret.id],
      [g, secret.id],
    ] as const) {
      assert.equal(res?.status, 200, res?.text);
      assert.equal(res?.body.data.id, id);
    }
    for (const res of [c, d, e]) expectError(res as Received, 404);
    // The credentials each tenant got are its own secret's.
    assert.notEqual(
      a?.body.data.attributes.credentials.access_token,
      b?.body.data.attributes.credentials.access_token,
    );
    assert.equal(
      a?.body.data.attributes.credentials.access_token,
      g?.body.data.attributes.credentials.access_token,
    );
  });

  it('keeps no response document in memory after it was sent (reused serializers store nothing)', async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await request(server).get(path()).set('Authorization', admin.auth)).status, 200);
    assert.equal(documentsHeldBySerializers(), 0);
  });

  it('reads a secret row in plain SQL exactly as Prisma reads it', async () => {
    const store = createAuthSecretStore({ prisma: t.prisma, sql: sqlOf(t.prisma), versionsKept: 10 });
    const find = (key: string) => store.find(key.split('|')[0] ?? '', key.split('|')[1] ?? '');
    const [viaSql, missing] = await Promise.all([
      find(`${ws}|${secret.id}`),
      find(`${ws}|0190a3b4-0000-7000-8000-000000000000`),
    ]);
    const viaPrisma = await t.prisma.authSecret.findUnique({ where: { id: secret.id } });
    assert.ok(viaSql && viaPrisma, 'both found');
    const normalise = (row: Record<string, unknown>) => ({
      ...row,
      credentialsSealed: Buffer.from(row.credentialsSealed as Uint8Array).toString('base64'),
    });
    assert.deepEqual(normalise(viaSql), normalise(viaPrisma));
    assert.equal(missing, undefined);
    // Another workspace's id pair finds nothing.
    const otherWs = await createWorkspace(t.prisma, tenantId, admin.userId);
    assert.equal(await find(`${otherWs}|${secret.id}`), undefined);
  });

  it('the batched audit writer stores every good event of a batch and refuses only the bad one', async () => {
    const writer = createAuditWriter(sqlOf(t.prisma));
    const event = (resourceId: string) => ({
      action: 'auth_secret.read' as const,
      resourceType: 'auth-secret',
      resourceId,
      workspaceId: ws,
    });
    const good = `batch-good-${Date.now()}`;
    const bad = `batch-bad-${Date.now()}`;
    // A tenant that does not exist violates the foreign key: its statement fails; the read that
    // shared the batch with it is stored on its own and its caller is told so.
    const { result: results, count } = await countStatements(poolOf(t.prisma), 'audit_events', () =>
      Promise.allSettled([
        writer.record(systemActor('0190a3b4-0000-7000-8000-000000000000'), [event(bad)]),
        writer.record(systemActor(tenantId), [event(good)]),
      ]),
    );
    assert.equal(count, 3, 'one statement for the batch, then one per event');
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled'],
    );
    assert.equal(await t.prisma.auditEvent.count({ where: { resourceId: good } }), 1);
    assert.equal(await t.prisma.auditEvent.count({ where: { resourceId: bad } }), 0);
  });
});
