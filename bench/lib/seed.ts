// Test data: a tenant (bootstrapped with the admin command line), a member user with an API key,
// an oauth2 auth-client pointing at the local OAuth2 server and workspaces, all through the API;
// then the bulk of the auth-secrets straight into PostgreSQL, sealed by the service's own
// sealCredentials (so a change to sealing reaches the seed too; a UUIDv7 per row), a few thousand
// rows per statement.

import type pg from 'pg';
import type { KeyRing } from '../../src/crypto/key-ring.js';
import { randomUUID7 } from '../../src/db/uuid7.js';
import { sealCredentials } from '../../src/modules/auth-secrets/credentials.js';
import { Api, basicAuth } from './api.js';

export interface Tenancy {
  tenantId: string;
  admin: Api;
  /** A tenant member who is `editor` in every benchmark workspace: the hot path of an integration. */
  member: Api;
  memberUserId: string;
  authClientId: string;
  workspaces: Record<WorkspaceName, string>;
}

export type WorkspaceName = 'list' | 'hot' | 'create' | 'wave' | 'tags';
const WORKSPACES: WorkspaceName[] = ['list', 'hot', 'create', 'wave', 'tags'];

export interface Bootstrapped {
  tenant_id: string;
  user_id: string;
  email: string;
  api_key: string;
}

export async function setUpTenancy(
  baseUrl: string,
  boot: Bootstrapped,
  provider: { tokenUrl: string; clientId: string; clientSecret: string },
): Promise<Tenancy> {
  const admin = new Api(baseUrl, basicAuth(boot.email, boot.api_key));
  const t = boot.tenant_id;
  const email = 'connector@bench.example';
  const user = await admin.expect(201, 'POST', `/v2/tenants/${t}/users`, {
    data: { type: 'user', attributes: { email, name: 'Benchmark integration', tenant_role: 'member' } },
  });
  const memberUserId = user.body.data.id as string;
  const key = await admin.expect(201, 'POST', `/v2/users/${memberUserId}/api-keys`, {
    data: { type: 'api-key', attributes: { name: 'benchmark' } },
  });
  const member = new Api(baseUrl, basicAuth(email, key.body.data.attributes.key as string));
  const client = await admin.expect(201, 'POST', `/v2/tenants/${t}/auth-clients`, {
    data: {
      type: 'auth-client',
      attributes: {
        name: 'bench-provider',
        auth_type: 'oauth2',
        oauth2: {
          client_id: provider.clientId,
          client_secret: provider.clientSecret,
          token_url: provider.tokenUrl,
        },
      },
    },
  });
  const workspaces = {} as Record<WorkspaceName, string>;
  for (const name of WORKSPACES) {
    const ws = await admin.expect(201, 'POST', `/v2/tenants/${t}/workspaces`, {
      data: { type: 'workspace', attributes: { name: `bench-${name}` } },
    });
    const id = ws.body.data.id as string;
    workspaces[name] = id;
    await admin.expect(201, 'POST', `/v2/workspaces/${id}/memberships`, {
      data: {
        type: 'membership',
        attributes: { role: 'editor' },
        relationships: { user: { data: { type: 'user', id: memberUserId } } },
      },
    });
  }
  return { tenantId: t, admin, member, memberUserId, authClientId: client.body.data.id, workspaces };
}

/** A POST body creating an oauth2 auth-secret. */
export function createSecretBody(
  name: string,
  authClientId: string,
  tokens: { accessToken: string; refreshToken: string },
  expiresIn: number,
) {
  return {
    data: {
      type: 'auth-secret',
      attributes: {
        name,
        state: 'ready',
        credentials: {
          access_token: tokens.accessToken,
          refresh_token: tokens.refreshToken,
          expires_in: expiresIn,
        },
      },
      relationships: { 'auth-client': { data: { type: 'auth-client', id: authClientId } } },
    },
  };
}

export interface BulkOptions {
  tenantId: string;
  workspaceId: string;
  userId: string;
  authClientId: string;
  count: number;
  namePrefix: string;
  expiresAt: Date;
  /** The stored oauth2 credentials of row i. */
  tokens(i: number): { access_token: string; refresh_token: string };
  /** The tags of row i (none when absent). */
  tags?(i: number): Record<string, string>;
  batchSize?: number;
}

// The tags go into the column and into the tag index (auth_secret_tags) in one statement, as the
// auth-secret store writes them.
const INSERT = `
  WITH inserted AS (
    INSERT INTO auth_secrets (id, tenant_id, workspace_id, user_id, auth_client_id, auth_type, name, state,
                              credentials_sealed, expires_at, failure_count, tags, created_at, updated_at)
    SELECT u.id, $1::uuid, $2::uuid, $3::uuid, $4::uuid, 'oauth2', u.name, 'ready',
           u.sealed, $5::timestamptz, 0, u.tags, now(), now()
    FROM unnest($6::uuid[], $7::text[], $8::bytea[], $9::jsonb[]) AS u(id, name, sealed, tags)
    RETURNING id, workspace_id, tags)
  INSERT INTO auth_secret_tags (secret_id, workspace_id, key, value)
  SELECT i.id, i.workspace_id, e.key, e.value FROM inserted i, jsonb_each_text(i.tags) e`;

/**
 * Inserts `count` sealed oauth2 secrets. Sealing (CPU, this process) and inserting (PostgreSQL's
 * process) overlap: while one batch is being written the next is sealed, and at most two writes
 * are in flight. Returns the ids in insertion order.
 */
export async function bulkInsertSecrets(pool: pg.Pool, ring: KeyRing, opts: BulkOptions): Promise<string[]> {
  const batchSize = opts.batchSize ?? 2000;
  const all: string[] = [];
  const inFlight = new Set<Promise<unknown>>();
  for (let start = 0; start < opts.count; start += batchSize) {
    const n = Math.min(batchSize, opts.count - start);
    const ids: string[] = [];
    const names: string[] = [];
    const sealed: Buffer[] = [];
    const tags: string[] = [];
    for (let i = start; i < start + n; i++) {
      const id = randomUUID7();
      const row = { tenantId: opts.tenantId, workspaceId: opts.workspaceId, id };
      ids.push(id);
      names.push(`${opts.namePrefix}-${i}`);
      sealed.push(sealCredentials(ring, row, opts.tokens(i)));
      tags.push(JSON.stringify(opts.tags?.(i) ?? {}));
    }
    all.push(...ids);
    while (inFlight.size >= 2) await Promise.race(inFlight);
    const write = pool
      .query(INSERT, [
        opts.tenantId,
        opts.workspaceId,
        opts.userId,
        opts.authClientId,
        opts.expiresAt,
        ids,
        names,
        sealed,
        tags,
      ])
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
  }
  await Promise.all(inFlight);
  return all;
}
