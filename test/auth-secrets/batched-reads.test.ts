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
import { createAuditWriter, systemActor } from '../../src/modules/audit-events/audit-recorder.js';
import { createSecretFinder } from '../../src/modules/auth-secrets/auth-secret-rows.js';
import { type Actor, createApiKey, createTenant, createWorkspace } from '../support/factories.js';
import { assertJsonApiResponse, expectError } from '../support/jsonapi-schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import {
  createClient,
  createSecret,
  httpFor,
  type JsonApiResource,
  oauth2ClientAttributes,
} from './helpers.js';

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

describe('auth-secrets: batched reads on the hot path', () => {
  let t: TestApp;
  let server: Server;
  let tenantId: string;
  let admin: Actor;
  let ws: string;
  let secret: JsonApiResource;
  const path = () => `/v2/workspaces/${ws}/secrets/${secret.id}`;

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
    // Warm keep-alive connections first, then all 50 requests written at once, as a busy client
    // would: the server reads them in one turn of its event loop.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const send = (target: string, headers: Record<string, string>) =>
      new Promise<{
        status: number;
        headers: Record<string, string | undefined>;
        text: string;
        body: SecretDocument;
      }>((resolve, reject) => {
        const { port } = server.address() as AddressInfo;
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
    await Promise.all(requestIds.map(() => send('/healthz', {})));
    const { result: responses, count: keyLookups } = await countStatements(pool, 'api_keys', () =>
      Promise.all(requestIds.map((id) => send(path(), { Authorization: admin.auth, 'X-Request-Id': id }))),
    );
    agent.destroy();
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

  it('a key revoked before a batch is sent is refused within that batch, the others are served', async () => {
    const revokedKey = await createApiKey(t.prisma, admin.userId);
    const revokedAuth = `Bearer ${revokedKey}`;
    const ok = await request(server).get(path()).set('Authorization', revokedAuth);
    assert.equal(ok.status, 200, ok.text);
    const keyId = revokedKey.split('_')[1] as string;
    const uuid = `${keyId.slice(0, 8)}-${keyId.slice(8, 12)}-${keyId.slice(12, 16)}-${keyId.slice(16, 20)}-${keyId.slice(20)}`;
    await t.prisma.apiKey.update({ where: { id: uuid }, data: { revokedAt: new Date() } });
    const [refused, served] = await Promise.all([
      request(server).get(path()).set('Authorization', revokedAuth),
      request(server).get(path()).set('Authorization', admin.auth),
    ]);
    expectError(refused, 401);
    assert.equal(served.status, 200, served.text);
  });

  it('reads a secret row in plain SQL exactly as Prisma reads it', async () => {
    const find = createSecretFinder(sqlOf(t.prisma));
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
    const results = await Promise.allSettled([
      writer.record(systemActor('0190a3b4-0000-7000-8000-000000000000'), [event(bad)]),
      writer.record(systemActor(tenantId), [event(good)]),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled'],
    );
    assert.equal(await t.prisma.auditEvent.count({ where: { resourceId: good } }), 1);
    assert.equal(await t.prisma.auditEvent.count({ where: { resourceId: bad } }), 0);
  });
});
