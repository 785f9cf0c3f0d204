// The README's promise, end to end on the embedded default: no DATABASE_URL, no REDIS_URL,
// no ENCRYPTION_KEYS. The server starts on PGlite, the CLI bootstraps while it runs (reaching its
// database instead of opening the files twice), the printed key works, SIGTERM lets an in-flight
// request finish and releases the database, and the data survives a restart.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { LISTENING_RE, runToEnd, startProcess, stopAll } from '../support/processes.js';
import { basicAuth } from '../support/secrets.js';

async function get(port: number, p: string, auth?: string) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: auth ? { authorization: auth } : {} });
  const text = await res.text();
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    body: text ? JSON.parse(text) : undefined,
    text,
  };
}

/** Sends a request's headers and half its body, and returns a promise of the raw response. */
function startSlowRequest(port: number): { finish(): void; response: Promise<string> } {
  const body = JSON.stringify({ data: { type: 'workspace', attributes: { name: 'x' } } });
  const socket = net.connect(port, '127.0.0.1');
  socket.write(
    `POST /v2/tenants/00000000-0000-7000-8000-000000000000/workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
      body.slice(0, 10),
  );
  let raw = '';
  const response = new Promise<string>((resolve, reject) => {
    socket.on('data', (c) => {
      raw += c.toString('utf8');
    });
    socket.on('end', () => resolve(raw));
    socket.on('error', reject);
  });
  return { finish: () => socket.end(body.slice(10)), response };
}

describe('embedded default (npm start with nothing installed)', function () {
  this.timeout(180_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'auth-secrets-smoke-'));
  });

  after(async () => {
    await stopAll();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, bootstraps while running, serves the key, stops cleanly on SIGTERM and keeps data', async () => {
    const env = { DATA_DIR: dataDir, PORT: '0' };
    const server = startProcess('src/server.ts', [], env);
    const port = Number((await server.waitFor(LISTENING_RE, 120_000))[1]);
    assert.match(server.output(), /generated an encryption key file/);

    const health = await get(port, '/healthz');
    assert.equal(health.status, 200);
    assertJsonApiResponse(health);

    const boot = await runToEnd(
      'src/cli.ts',
      ['bootstrap', '--tenant', 'Smoke', '--email', 'smoke@example.test'],
      env,
    );
    assert.equal(boot.code, 0, boot.stderr);
    const printed = JSON.parse(boot.stdout.trim()) as Record<string, string>;
    assert.deepEqual(Object.keys(printed).sort(), ['api_key', 'email', 'tenant_id', 'user_id']);

    const auth = basicAuth('smoke@example.test', String(printed.api_key));
    const me = await get(port, '/v2/users/me', auth);
    assert.equal(me.status, 200);
    assertJsonApiResponse(me);
    assert.equal(me.body.data.id, printed.user_id);

    const again = await runToEnd(
      'src/cli.ts',
      ['bootstrap', '--tenant', 'Smoke', '--email', 'other@example.test'],
      env,
    );
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal(again.stdout, '');

    // SIGTERM while a request is half sent: it still gets its answer, then the process exits 0.
    const slow = startSlowRequest(port);
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    slow.finish();
    const raw = await slow.response;
    assert.match(raw, /^HTTP\/1\.1 401 /, 'the in-flight request was answered');
    assert.equal(await server.exited(), 0);
    assert.match(server.output(), /"msg":"stopped"/);
    assert.ok(!(await readdir(dataDir)).includes('embedded-postgres.json'), 'socket info removed');

    // Without a server the CLI opens the database itself; then a restarted server sees both tenants.
    const offline = await runToEnd(
      'src/cli.ts',
      ['bootstrap', '--tenant', 'Offline', '--email', 'off@example.test'],
      env,
    );
    assert.equal(offline.code, 0, offline.stderr);
    const restarted = startProcess('src/server.ts', [], env);
    const port2 = Number((await restarted.waitFor(LISTENING_RE, 120_000))[1]);
    const me2 = await get(port2, '/v2/users/me', auth);
    assert.equal(me2.status, 200, 'data and the key survived the restart');
    const offAuth = basicAuth('off@example.test', JSON.parse(offline.stdout).api_key);
    assert.equal((await get(port2, '/v2/users/me', offAuth)).status, 200);
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited(), 0);
  });
});
