// The typed client for connectors (API.md §12): src/client/api-types.ts is generated with
// openapi-typescript from the description the service serves, and must not drift from it (CI runs
// this). An end-to-end run through openapi-fetch with those types against the app on a loopback
// port: a workspace, an oauth2 auth-client whose token endpoint is a real one on 127.0.0.1, a
// secret, reading it back, refreshing it, listing, a read with min_validity, and a typed error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'mocha';
import createClient from 'openapi-fetch';
import request from 'supertest';
import { API_TYPES_FILE, renderApiTypes } from '../../scripts/render-api-types.js';
import type { paths } from '../../src/client/api-types.js';
import { type Actor, createTenant, uniqueName } from '../support/factories.js';
import { assertJsonApiResponse } from '../support/jsonapi-schema.js';
import { OAuthTestServer } from '../support/oauth-server.js';
import { usedClientSecrets } from '../support/secrets.js';
import { createTestApp, type ListeningTestApp } from '../support/test-app.js';

/** An openapi-fetch result as assertJsonApiResponse sees a response. */
function asResponse(result: { data?: unknown; error?: unknown; response: Response }) {
  return {
    status: result.response.status,
    headers: Object.fromEntries(result.response.headers),
    body: result.data ?? result.error,
  };
}

describe('typed client (openapi-typescript + openapi-fetch)', () => {
  let t: ListeningTestApp;

  before(async () => {
    t = await createTestApp({}, { listen: true });
  });

  after(async () => {
    await t?.close();
  });

  it('src/client/api-types.ts is what openapi-typescript makes of the served description (run `npm run openapi:generate`)', async () => {
    const res = await request(t.app).get('/v2/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(readFileSync(API_TYPES_FILE, 'utf8'), await renderApiTypes(res.body));
  });

  describe('end to end on a loopback port', () => {
    let provider: OAuthTestServer;
    let tenantId: string;
    let admin: Actor;

    before(async () => {
      provider = await OAuthTestServer.start();
      // The secret scan looks for it in every log line and recorded response.
      usedClientSecrets.add(provider.clientSecret);
      ({ tenantId, admin } = await createTenant(t.prisma));
    });

    after(async () => {
      await provider?.close();
    });

    it('creates a workspace, an oauth2 auth-client and a secret, reads, refreshes and lists it', async () => {
      const api = createClient<paths>({ baseUrl: t.baseUrl, headers: { Authorization: admin.auth } });

      const workspace = await api.POST('/v2/tenants/{tenant}/workspaces', {
        params: { path: { tenant: tenantId } },
        body: { data: { type: 'workspace', attributes: { name: uniqueName('ws') } } },
      });
      assert.equal(workspace.response.status, 201);
      assertJsonApiResponse(asResponse(workspace));
      const workspaceId = workspace.data?.data.id ?? '';
      assert.equal(workspace.data?.data.type, 'workspace');
      assert.equal(workspace.response.headers.get('location'), workspace.data?.data.links.self);

      const client = await api.POST('/v2/tenants/{tenant}/auth-clients', {
        params: { path: { tenant: tenantId } },
        body: {
          data: {
            type: 'auth-client',
            attributes: {
              name: uniqueName('client'),
              auth_type: 'oauth2',
              oauth2: {
                client_id: provider.clientId,
                client_secret: provider.clientSecret,
                token_url: provider.tokenUrl,
              },
            },
          },
        },
      });
      assert.equal(client.response.status, 201, JSON.stringify(client.error));
      assertJsonApiResponse(asResponse(client));
      assert.equal(client.data?.data.attributes?.oauth2?.client_secret_set, true);
      const clientId = client.data?.data.id ?? '';

      const grant = provider.grant();
      const created = await api.POST('/v2/workspaces/{workspace}/secrets', {
        params: { path: { workspace: workspaceId } },
        body: {
          data: {
            type: 'auth-secret',
            attributes: {
              name: uniqueName('secret'),
              state: 'ready',
              credentials: {
                access_token: grant.accessToken,
                refresh_token: grant.refreshToken,
                expires_in: 3600,
              },
            },
            relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
          },
        },
      });
      assert.equal(created.response.status, 201, JSON.stringify(created.error));
      assertJsonApiResponse(asResponse(created));
      const secretId = created.data?.data.id ?? '';

      // Query families as deepObject parameters: fields[auth-secret]=…, include=auth-client.
      const read = await api.GET('/v2/workspaces/{workspace}/secrets/{id}', {
        params: {
          path: { workspace: workspaceId, id: secretId },
          query: { include: 'auth-client', fields: { 'auth-secret': 'name,state,credentials,auth-client' } },
        },
      });
      assert.equal(read.response.status, 200, JSON.stringify(read.error));
      assertJsonApiResponse(asResponse(read));
      const secret = read.data?.data;
      assert.deepEqual(Object.keys(secret?.attributes ?? {}).sort(), ['credentials', 'name', 'state']);
      assert.equal(secret?.attributes?.credentials?.access_token, grant.accessToken);
      assert.equal(secret?.relationships?.['auth-client']?.data.id, clientId);
      assert.deepEqual(
        read.data?.included?.map((r) => `${r.type}:${r.id}`),
        [`auth-client:${clientId}`],
      );

      const refreshed = await api.POST('/v2/workspaces/{workspace}/secrets/{id}/refresh', {
        params: { path: { workspace: workspaceId, id: secretId } },
      });
      assert.equal(refreshed.response.status, 200, JSON.stringify(refreshed.error));
      assertJsonApiResponse(asResponse(refreshed));
      const renewed = refreshed.data?.data.attributes?.credentials;
      assert.equal(refreshed.data?.data.attributes?.state, 'ready');
      assert.equal(typeof renewed?.access_token, 'string');
      assert.notEqual(renewed?.access_token, grant.accessToken);
      assert.equal(provider.renewalsOf(grant.refreshToken), 1);

      const listed = await api.GET('/v2/workspaces/{workspace}/secrets', {
        params: {
          path: { workspace: workspaceId },
          query: { filter: { state: 'ready' }, page: { size: 1 } },
        },
      });
      assert.equal(listed.response.status, 200, JSON.stringify(listed.error));
      assertJsonApiResponse(asResponse(listed));
      assert.deepEqual(
        listed.data?.data.map((s) => s.id),
        [secretId],
      );
      assert.equal(listed.data?.links?.next, undefined);
    });

    it('reads a secret fresh with min_validity (API.md §10.4), each response with its ETag (§9.3)', async () => {
      const api = createClient<paths>({ baseUrl: t.baseUrl, headers: { Authorization: admin.auth } });
      const workspace = await api.POST('/v2/tenants/{tenant}/workspaces', {
        params: { path: { tenant: tenantId } },
        body: { data: { type: 'workspace', attributes: { name: uniqueName('ws') } } },
      });
      const workspaceId = workspace.data?.data.id ?? '';
      const client = await api.POST('/v2/tenants/{tenant}/auth-clients', {
        params: { path: { tenant: tenantId } },
        body: {
          data: {
            type: 'auth-client',
            attributes: {
              name: uniqueName('client'),
              auth_type: 'oauth2',
              oauth2: {
                client_id: provider.clientId,
                client_secret: provider.clientSecret,
                token_url: provider.tokenUrl,
              },
            },
          },
        },
      });
      assert.equal(client.response.status, 201, JSON.stringify(client.error));
      const grant = provider.grant();
      const created = await api.POST('/v2/workspaces/{workspace}/secrets', {
        params: { path: { workspace: workspaceId } },
        body: {
          data: {
            type: 'auth-secret',
            attributes: {
              name: uniqueName('secret'),
              state: 'ready',
              // 30 s left: a read that needs a minute renews it first.
              credentials: {
                access_token: grant.accessToken,
                refresh_token: grant.refreshToken,
                expires_in: 30,
              },
            },
            relationships: {
              'auth-client': { data: { type: 'auth-client', id: client.data?.data.id ?? '' } },
            },
          },
        },
      });
      assert.equal(created.response.status, 201, JSON.stringify(created.error));
      const secretId = created.data?.data.id ?? '';
      const path = { workspace: workspaceId, id: secretId };
      assert.match(created.response.headers.get('etag') ?? '', /^"[A-Za-z0-9_-]+"$/);

      const fresh = await api.GET('/v2/workspaces/{workspace}/secrets/{id}', {
        params: { path, query: { min_validity: 60 } },
      });
      assert.equal(fresh.response.status, 200, JSON.stringify(fresh.error));
      assertJsonApiResponse(asResponse(fresh));
      const renewed = fresh.data?.data.attributes?.credentials?.access_token;
      assert.equal(typeof renewed, 'string');
      assert.notEqual(renewed, grant.accessToken);
      assert.equal(provider.renewalsOf(grant.refreshToken), 1);
      const etag = fresh.response.headers.get('etag');
      assert.match(etag ?? '', /^"[A-Za-z0-9_-]+"$/);
      assert.notEqual(etag, created.response.headers.get('etag'), 'the refresh changed the secret');

      // Valid for an hour now: the same read calls nobody and sees the same secret.
      const calls = provider.totalCalls;
      const again = await api.GET('/v2/workspaces/{workspace}/secrets/{id}', {
        params: { path, query: { min_validity: 60 } },
      });
      assert.equal(again.response.status, 200, JSON.stringify(again.error));
      assertJsonApiResponse(asResponse(again));
      assert.equal(again.data?.data.attributes?.credentials?.access_token, renewed);
      assert.equal(again.response.headers.get('etag'), etag);
      assert.equal(provider.totalCalls, calls);

      const outOfRange = await api.GET('/v2/workspaces/{workspace}/secrets/{id}', {
        params: { path, query: { min_validity: 86_401 } },
      });
      assert.equal(outOfRange.response.status, 400);
      assertJsonApiResponse(asResponse(outOfRange));
      assert.equal(outOfRange.error?.errors[0]?.source?.parameter, 'min_validity');
    });

    it('gives errors their JSON:API type: status, code and pointer', async () => {
      const api = createClient<paths>({ baseUrl: t.baseUrl, headers: { Authorization: admin.auth } });
      const created = await api.POST('/v2/tenants/{tenant}/workspaces', {
        params: { path: { tenant: tenantId } },
        body: { data: { type: 'workspace', attributes: { name: '' } } },
      });
      assert.equal(created.response.status, 422);
      assertJsonApiResponse(asResponse(created));
      assert.equal(created.data, undefined);
      assert.equal(created.error?.errors[0]?.source?.pointer, '/data/attributes/name');

      const anonymous = createClient<paths>({ baseUrl: t.baseUrl });
      const refused = await anonymous.GET('/v2/users/me');
      assert.equal(refused.response.status, 401);
      assert.equal(refused.error?.errors[0]?.status, '401');
      const health = await anonymous.GET('/healthz');
      assert.equal(health.data?.meta.status, 'ok');
    });
  });
});
