// API.md §7 under PostgreSQL faults, against the real server process and a PostgreSQL cluster of
// the test's own (test/faults/support/postgres-server.ts) that it stops, restarts and freezes:
// - database unreachable → 503 database_unavailable with Retry-After, in time, logged at a bounded
//   rate, /readyz naming the database, recovery without a restart;
// - no request outlives REQUEST_TIMEOUT_MS (frozen server, a row lock held elsewhere);
// - nothing acknowledged is lost when the server is killed mid-write.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'mocha';
import pg from 'pg';
import request from 'supertest';
import { generateKeySpec } from '../../src/crypto/key-ring.js';
import { applyMigrations } from '../../src/db/migrator.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ensureBuiltInRoles } from '../../src/modules/roles/built-in-roles.js';
import { ServiceProcess } from '../refresh/helpers/child-process.js';
import {
  createClient,
  createTenant,
  createWorkspace,
  JSONAPI,
  secretDocument,
} from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { marker } from '../support/secrets.js';
import {
  destroyAllPostgresServers,
  POSTGRES_MISSING,
  PostgresServer,
  postgresBinDir,
} from './support/postgres-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Small, so that "answered before REQUEST_TIMEOUT_MS" is quick to check.
const REQUEST_TIMEOUT_MS = 3000;

interface Answer {
  status: number;
  ms: number;
  code?: string;
  retryAfter?: string;
  body: unknown;
}

async function timed(req: request.Test): Promise<Answer> {
  const started = performance.now();
  // A request the server never answers fails the test instead of hanging it.
  const res = await req.timeout(REQUEST_TIMEOUT_MS + 5000).then(
    (r) => r,
    (err: Error) => ({ status: 0, headers: {}, body: { error: err.message } }) as unknown as request.Response,
  );
  const ms = Math.round(performance.now() - started);
  if (res.status !== 0) assertJsonApiResponse(res);
  const body = res.body as { errors?: { code?: string }[] };
  return {
    status: res.status,
    ms,
    code: body?.errors?.[0]?.code,
    retryAfter: res.headers['retry-after'] as string | undefined,
    body: res.body,
  };
}

/** Error-level and warning lines of a server's JSON log written since `from` (request lines are info). */
function problemLines(server: ServiceProcess, from: number): string[] {
  return server.text
    .slice(from)
    .split('\n')
    .filter((line) => /"level":(40|50|60)/.test(line));
}

const summary = (answers: Answer[]) => {
  const byStatus: Record<string, number> = {};
  for (const a of answers)
    byStatus[`${a.status} ${a.code ?? ''}`.trim()] =
      (byStatus[`${a.status} ${a.code ?? ''}`.trim()] ?? 0) + 1;
  const times = answers.map((a) => a.ms).sort((x, y) => x - y);
  return { byStatus, maxMs: times.at(-1), p50Ms: times[Math.floor(times.length / 2)] };
};

describe('faults: PostgreSQL (API.md §7)', function () {
  this.timeout(60_000);
  let pgServer: PostgresServer;
  let databaseUrl: string;
  let prisma: PrismaClient;
  let keySpec: string;
  const servers: ServiceProcess[] = [];

  const spawnServer = async (extra: Record<string, string> = {}) => {
    const server = ServiceProcess.server({
      DATABASE_URL: databaseUrl,
      ENCRYPTION_KEYS: keySpec,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_POOL_MAX: '5',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      // The load below comes from one address and one key.
      RATE_LIMIT_PER_KEY_PER_MINUTE: '0',
      RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      ...extra,
    });
    servers.push(server);
    const port = await server.port(40_000);
    return { server, http: request(`http://127.0.0.1:${port}`) };
  };

  before(async function () {
    if (!postgresBinDir()) {
      console.log(`      skipped: ${POSTGRES_MISSING}`);
      this.skip();
    }
    pgServer = await PostgresServer.start();
    const admin = new pg.Client({ connectionString: pgServer.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE faults');
    await admin.end();
    databaseUrl = pgServer.url('faults');
    await applyMigrations(databaseUrl);
    prisma = createPrismaClient({ url: databaseUrl, poolMax: 2 });
    await ensureBuiltInRoles(prisma);
    keySpec = generateKeySpec('faults');
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await pgServer?.ensureRunning();
  });

  after(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await prisma?.$disconnect().catch(() => undefined);
    await destroyAllPostgresServers();
  });

  /** A tenant, workspace, auth-client and one secret, through the running server where it matters. */
  async function world(http: request.Agent | ReturnType<typeof request>) {
    const { tenantId, admin } = await createTenant(prisma);
    const workspaceId = await createWorkspace(prisma, tenantId, admin.userId);
    const client = await createClient(http as never, admin.auth, tenantId);
    const created = await http
      .post(`/v2/workspaces/${workspaceId}/secrets`)
      .set('Authorization', admin.auth)
      .set('Content-Type', JSONAPI)
      .send(secretDocument(client.id));
    assert.equal(created.status, 201, created.text);
    const secretId = created.body.data.id as string;
    const secretPath = `/v2/workspaces/${workspaceId}/secrets/${secretId}`;
    return { tenantId, admin, workspaceId, clientId: client.id, secretId, secretPath };
  }

  const patchName = (http: ReturnType<typeof request>, w: Awaited<ReturnType<typeof world>>, name: string) =>
    http
      .patch(w.secretPath)
      .set('Authorization', w.admin.auth)
      .set('Content-Type', JSONAPI)
      .send({ data: { type: 'auth-secret', id: w.secretId, attributes: { name } } });

  it('database unreachable → 503 database_unavailable with Retry-After in time, /readyz names it, bounded logging, recovery without restart', async () => {
    // The worker sweeps every second, so its failed sweeps fall inside the outage too.
    const { server, http } = await spawnServer({ REFRESH_POLL_SECONDS: '1' });
    const w = await world(http);
    const load = async (count: number, concurrency: number) => {
      const answers: Answer[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            const n = next++;
            const req =
              n % 3 === 0
                ? patchName(http, w, marker('renamed'))
                : n % 3 === 1
                  ? http.get(w.secretPath).set('Authorization', w.admin.auth)
                  : http.get(`/v2/workspaces/${w.workspaceId}/secrets`).set('Authorization', w.admin.auth);
            answers.push(await timed(req));
          }
        }),
      );
      return answers;
    };

    const before = await load(60, 10);
    assert.deepEqual(summary(before).byStatus, { 200: 60 }, JSON.stringify(summary(before)));

    await pgServer.stop();
    const stoppedAt = performance.now();
    const logFrom = server.text.length;
    const during = await load(300, 20);
    const ready = await timed(http.get('/readyz'));
    // At least three worker sweeps fail before the log is counted.
    await sleep(Math.max(0, 3500 - (performance.now() - stoppedAt)));
    const logged = problemLines(server, logFrom);
    console.log(
      '      outage:',
      JSON.stringify(summary(during)),
      'readyz',
      ready.status,
      ready.ms,
      'ms; problem log lines',
      logged.length,
    );
    for (const a of during) {
      assert.equal(a.status, 503, JSON.stringify(a.body));
      assert.equal(a.code, 'database_unavailable');
      assert.match(a.retryAfter ?? '', /^\d+$/, 'Retry-After in whole seconds');
      assert.ok(a.ms < REQUEST_TIMEOUT_MS, `answered in ${a.ms} ms`);
    }
    assert.equal(ready.status, 503);
    assert.match(JSON.stringify(ready.body), /database/);
    assert.ok(ready.ms < REQUEST_TIMEOUT_MS);
    assert.ok(
      logged.length <= 3,
      `${logged.length} problem log lines for ${during.length} requests:\n${logged.slice(0, 5).join('\n')}`,
    );

    await pgServer.restart();
    const restarted = performance.now();
    // Recovery by itself: no restart of the service, only its own reconnection.
    let recoveredAfter = -1;
    while (performance.now() - restarted < 10_000) {
      const probe = await timed(http.get(w.secretPath).set('Authorization', w.admin.auth));
      if (probe.status === 200) {
        recoveredAfter = Math.round(performance.now() - restarted);
        break;
      }
      await sleep(100);
    }
    assert.ok(recoveredAfter >= 0, 'answers 200 again within 10 s of the database returning');
    const afterwards = await load(60, 10);
    console.log('      recovered after', recoveredAfter, 'ms;', JSON.stringify(summary(afterwards)));
    assert.deepEqual(summary(afterwards).byStatus, { 200: 60 });
    assert.equal((await timed(http.get('/readyz'))).status, 200);
    // The outage ends with one summary line.
    assert.equal(server.text.slice(logFrom).match(/database available again/g)?.length, 1);
  });

  it('no request outlives REQUEST_TIMEOUT_MS: PostgreSQL frozen → GET and PATCH get 503/504 JSON:API errors in time, 200 after thaw', async () => {
    const { http } = await spawnServer();
    const w = await world(http);
    assert.equal((await timed(http.get(w.secretPath).set('Authorization', w.admin.auth))).status, 200);
    pgServer.freeze();
    let answers: Answer[];
    try {
      answers = await Promise.all([
        timed(http.get(w.secretPath).set('Authorization', w.admin.auth)),
        timed(http.get(`/v2/workspaces/${w.workspaceId}/secrets`).set('Authorization', w.admin.auth)),
        timed(patchName(http, w, marker('frozen'))),
        timed(http.get('/readyz')),
        ...Array.from({ length: 10 }, () => timed(http.get(w.secretPath).set('Authorization', w.admin.auth))),
      ]);
    } finally {
      pgServer.thaw();
    }
    console.log('      frozen:', JSON.stringify(summary(answers)));
    for (const a of answers) {
      assert.ok([503, 504].includes(a.status), `status ${a.status}: ${JSON.stringify(a.body)}`);
      assert.ok(['database_unavailable', 'request_timeout', 'not_ready'].includes(a.code ?? ''), a.code);
      // The deadline itself fires at REQUEST_TIMEOUT_MS; a little slack for a busy machine.
      assert.ok(a.ms < REQUEST_TIMEOUT_MS + 300, `answered in ${a.ms} ms`);
    }
    const thawed = performance.now();
    let back = -1;
    while (performance.now() - thawed < 10_000) {
      if ((await timed(http.get(w.secretPath).set('Authorization', w.admin.auth))).status === 200) {
        back = Math.round(performance.now() - thawed);
        break;
      }
      await sleep(100);
    }
    console.log('      200 again', back, 'ms after thaw');
    assert.ok(back >= 0, '200 again within 10 s of the thaw');
    const patched = await timed(patchName(http, w, 'after-thaw'));
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  });

  it('no request outlives REQUEST_TIMEOUT_MS: a PATCH waiting on a row lock held elsewhere → 503/504 in time, nothing changed', async () => {
    const { http } = await spawnServer();
    const w = await world(http);
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM auth_secrets WHERE id = $1 FOR UPDATE', [w.secretId]);
      const answer = await timed(patchName(http, w, 'must-not-stick'));
      console.log('      row lock:', JSON.stringify(summary([answer])), answer.code);
      assert.ok(
        [503, 504].includes(answer.status),
        `status ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
      assert.ok(['database_unavailable', 'request_timeout'].includes(answer.code ?? ''), answer.code);
      assert.ok(answer.ms < REQUEST_TIMEOUT_MS + 300, `answered in ${answer.ms} ms`);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    // The abandoned PATCH must not land once the lock is gone.
    await sleep(500);
    const row = await prisma.authSecret.findUniqueOrThrow({ where: { id: w.secretId } });
    assert.notEqual(row.name, 'must-not-stick');
    const events = await prisma.auditEvent.count({
      where: { resourceId: w.secretId, action: 'auth_secret.update' },
    });
    assert.equal(events, 0, 'no update audited');
  });

  it('nothing acknowledged is lost: SIGKILL during 300 concurrent creates, then restart: every 201 readable with its credentials, secrets and create events 1:1', async () => {
    const first = await spawnServer({ REQUEST_TIMEOUT_MS: '30000' });
    const w = await world(first.http);
    const acknowledged = new Map<string, string>();
    let answered = 0;
    const creates = Array.from({ length: 300 }, async () => {
      const doc = secretDocument(w.clientId);
      const res = await first.http
        .post(`/v2/workspaces/${w.workspaceId}/secrets`)
        .set('Authorization', w.admin.auth)
        .set('Content-Type', JSONAPI)
        .send(doc)
        .timeout(30_000)
        .catch(() => undefined);
      answered += 1;
      if (res?.status === 201)
        acknowledged.set(res.body.data.id, doc.data.attributes.credentials.access_token);
    });
    // Kill once some creates are acknowledged and others are still in flight.
    const killAt = performance.now();
    while (acknowledged.size < 40 && performance.now() - killAt < 20_000) await sleep(5);
    await first.server.stop('SIGKILL');
    await Promise.all(creates);
    console.log('      killed with', acknowledged.size, 'of 300 acknowledged;', answered, 'settled');
    assert.ok(acknowledged.size > 0 && acknowledged.size < 300, `acknowledged ${acknowledged.size}`);

    const second = await spawnServer({ REQUEST_TIMEOUT_MS: '30000' });
    for (const [id, accessToken] of acknowledged) {
      const res = await second.http
        .get(`/v2/workspaces/${w.workspaceId}/secrets/${id}`)
        .set('Authorization', w.admin.auth);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.attributes.credentials.access_token, accessToken);
    }
    const secretIds = (
      await prisma.authSecret.findMany({ where: { workspaceId: w.workspaceId }, select: { id: true } })
    ).map((s) => s.id);
    const events = await prisma.auditEvent.findMany({
      where: { workspaceId: w.workspaceId, action: 'auth_secret.create' },
      select: { resourceId: true },
    });
    const eventIds = events.map((e) => e.resourceId).sort();
    assert.deepEqual(eventIds, [...secretIds].sort(), 'one create event per stored secret, and no other');
    for (const id of acknowledged.keys()) assert.ok(secretIds.includes(id));
  });
});
