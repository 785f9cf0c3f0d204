// The zero-configuration default: `npm start` with no DATABASE_URL and no REDIS_URL runs the
// refresh worker in-process on the embedded PGlite, and renews a 5-second token without any
// request. `npm run worker` refuses to run there, with a message pointing at `npm start`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'mocha';
import request from 'supertest';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { basicAuth } from '../support/secrets.js';
import { childEnv, repoRoot, ServiceProcess } from './helpers/child-process.js';

const run = promisify(execFile);

describe('refresh: embedded default (npm start, no Redis)', function () {
  this.timeout(90_000);
  let dataDir: string;
  let provider: OAuthTestServer;
  let server: ServiceProcess | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'refresh-embedded-'));
    provider = await OAuthTestServer.start();
  });
  after(async () => {
    await server?.stop('SIGTERM');
    await provider?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('`npm run worker` without DATABASE_URL fails, saying the worker runs inside `npm start`', async () => {
    const worker = ServiceProcess.worker({ DATA_DIR: dataDir });
    const code = await worker.exitCode();
    assert.equal(code, 1);
    assert.match(worker.text, /needs DATABASE_URL.*runs inside `npm start`/s);
  });

  it('renews a 5-second token through the in-process worker, without any request', async () => {
    server = ServiceProcess.server({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
      OAUTH_TIMEOUT_MS: '3000',
      REFRESH_AHEAD_SECONDS: '2',
      REFRESH_POLL_SECONDS: '0.25',
    });
    const base = `http://127.0.0.1:${await server.port(60_000)}`;
    await server.waitFor(/refresh worker started/);

    // The command line reaches the running server's embedded database.
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'bootstrap',
        '--tenant',
        'embedded-refresh',
        '--email',
        'ops@example.test',
      ],
      { cwd: repoRoot, env: childEnv({ DATA_DIR: dataDir }), timeout: 60_000 },
    );
    const boot = JSON.parse(stdout) as { tenant_id: string; email: string; api_key: string };
    const auth = basicAuth(boot.email, boot.api_key);
    const post = async (url: string, data: unknown) => {
      const res = await request(base).post(url).set('Authorization', auth).send({ data });
      assertJsonApiResponse(res);
      assert.equal(res.status, 201, res.text);
      return res.body.data as { id: string };
    };
    const workspace = await post(`/v2/tenants/${boot.tenant_id}/workspaces`, {
      type: 'workspace',
      attributes: { name: 'main' },
    });
    const client = await post(`/v2/tenants/${boot.tenant_id}/auth-clients`, {
      type: 'auth-client',
      attributes: {
        name: 'provider',
        auth_type: 'oauth2',
        oauth2: {
          client_id: provider.clientId,
          client_secret: provider.clientSecret,
          token_url: provider.tokenUrl,
        },
      },
    });
    const grant = provider.grant();
    const secret = await post(`/v2/workspaces/${workspace.id}/secrets`, {
      type: 'auth-secret',
      attributes: {
        name: 'five-seconds',
        state: 'ready',
        credentials: { access_token: grant.accessToken, refresh_token: grant.refreshToken, expires_in: 5 },
      },
      relationships: { 'auth-client': { data: { type: 'auth-client', id: client.id } } },
    });
    const created = Date.now();

    // No refresh request: wait (bounded) for the provider to see the worker's call.
    while (provider.renewalsOf(grant.refreshToken) === 0 && Date.now() - created < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(provider.renewalsOf(grant.refreshToken), 1, 'renewed by the worker');
    let attributes: {
      refreshed_at?: string | null;
      state?: string;
      credentials?: { access_token: string; expires_in: number };
    } = {};
    while (Date.now() - created < 20_000) {
      const res = await request(base)
        .get(`/v2/workspaces/${workspace.id}/secrets/${secret.id}`)
        .set('Authorization', auth);
      assertJsonApiResponse(res);
      attributes = res.body.data.attributes;
      if (attributes.refreshed_at) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(attributes.refreshed_at, 'refreshed_at is set');
    assert.equal(attributes.state, 'ready');
    assert.notEqual(attributes.credentials?.access_token, grant.accessToken);
    assert.ok((attributes.credentials?.expires_in ?? 0) > 3500);
    assert.equal(provider.totalCalls, 1);
    assert.equal(await server.stop('SIGTERM'), 0, 'stops cleanly');
    server = undefined;
  });
});
