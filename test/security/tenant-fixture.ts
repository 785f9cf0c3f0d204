// A fully populated tenant for the fuzz and cross-tenant suites, built through the API (so its audit
// events are the real ones): users, API keys (one revoked), a custom role, two workspaces with
// memberships, an oauth2 and an `other` auth-client, auth-secrets in both workspaces. Every id,
// name, email and secret is collected, so a suite can scan responses for any of them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type Actor, createTenant } from '../support/factories.js';
import type { IdKind, SecurityApp } from './route-catalogue.js';

/** A unique, greppable string. */
// 24 hex digits, like test/auth-secrets/helpers.ts: the suite-wide secret scan
// (test/audit/secret-scan.test.ts) then recognises these access/refresh tokens and client secrets.
export const marker = (kind: string) => `${kind}-${randomBytes(12).toString('hex')}`;

export const basicAuth = (email: string, key: string) =>
  `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;

export interface KeyedActor extends Actor {
  apiKeyId: string;
}

export interface SecretFixture {
  id: string;
  name: string;
  /** Credential values (tokens, nested `other` values). */
  values: string[];
}

export interface TenantFixture {
  tenantId: string;
  tenantName: string;
  /** Tenant admin (bootstrap), owner of ws1 and ws2 as their creator. */
  admin: KeyedActor;
  /** Tenant member, owner of ws1, not a member of ws2. */
  wsOwner: KeyedActor;
  /** Tenant member: the custom role in ws1, viewer in ws2. */
  member: KeyedActor;
  /** Tenant member without memberships or keys. */
  outsider: { userId: string; email: string; name: string };
  /** A revoked key of `member`, as an Authorization header value. */
  revokedAuth: string;
  revokedKeyId: string;
  ws1: { id: string; name: string };
  ws2: { id: string; name: string };
  /** Membership ids: ws1 (admin, wsOwner, member), ws2 (admin, member). */
  memberships: { ws1: string[]; ws2: string[] };
  /** `member`'s membership in ws1 (custom role). */
  memberMembershipWs1: string;
  role: { id: string; name: string };
  clients: {
    oauth2: { id: string; name: string; clientId: string; clientSecret: string; tokenUrl: string };
    other: { id: string; name: string };
  };
  secrets: { ws1Oauth2: SecretFixture; ws1Other: SecretFixture; ws2: SecretFixture };
  events: { ws1: string[]; ws2: string[]; tenant: string[] };
  /** Every id, name, email and secret of this tenant. */
  strings: string[];
  /** The strings of ws2 alone (its id and name, its memberships, secrets and audit events). */
  ws2Strings: string[];
  /** Every id of a kind this tenant owns (permissions are global: none). */
  ids(kind: IdKind): string[];
}

// biome-ignore lint/suspicious/noExplicitAny: documents are read freely; the suites check them.
type Doc = any;

/** Sends a JSON:API request and insists on a 2xx (fixture building only). */
export async function call(
  app: SecurityApp,
  auth: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Doc> {
  const res = await app.send({
    method,
    path,
    headers: {
      Authorization: auth,
      ...(body !== undefined ? { 'Content-Type': 'application/vnd.api+json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status}: ${res.text}`);
  return res.body as Doc;
}

export async function createTenantFixture(app: SecurityApp): Promise<TenantFixture> {
  const { tenantId, admin } = await createTenant(app.prisma);
  const tenant = await app.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
  const adminAuth = admin.auth;
  const adminKeys: Doc = await call(app, adminAuth, 'GET', '/v2/users/me/api-keys');
  const adminKeyId = adminKeys.data[0].id as string;

  const newUser = async () => {
    const email = `${marker('user')}@example.test`;
    const name = marker('name');
    const doc: Doc = await call(app, adminAuth, 'POST', `/v2/tenants/${tenantId}/users`, {
      data: { type: 'user', attributes: { email, name, tenant_role: 'member' } },
    });
    return { userId: doc.data.id as string, email, name };
  };
  const newKey = async (userId: string) => {
    const doc: Doc = await call(app, adminAuth, 'POST', `/v2/users/${userId}/api-keys`, {
      data: { type: 'api-key', attributes: { name: marker('key') } },
    });
    return {
      id: doc.data.id as string,
      key: doc.data.attributes.key as string,
      name: doc.data.attributes.name,
    };
  };
  const keyed = async () => {
    const user = await newUser();
    const key = await newKey(user.userId);
    return {
      actor: {
        userId: user.userId,
        email: user.email,
        apiKey: key.key,
        auth: basicAuth(user.email, key.key),
        apiKeyId: key.id,
      },
      strings: [user.userId, user.email, user.name, key.id, key.key, key.name],
    };
  };
  const wsOwner = await keyed();
  const member = await keyed();
  const outsider = await newUser();
  const revoked = await newKey(member.actor.userId);
  await call(app, adminAuth, 'DELETE', `/v2/users/${member.actor.userId}/api-keys/${revoked.id}`);

  const roleName = marker('role');
  const role: Doc = await call(app, adminAuth, 'POST', `/v2/tenants/${tenantId}/roles`, {
    data: {
      type: 'role',
      attributes: {
        name: roleName,
        permissions: ['workspaces.workspace.get', 'workspaces.membership.get', 'workspaces.auth_secret.get'],
      },
    },
  });
  const newWorkspace = async () => {
    const name = marker('ws');
    const doc: Doc = await call(app, adminAuth, 'POST', `/v2/tenants/${tenantId}/workspaces`, {
      data: { type: 'workspace', attributes: { name } },
    });
    return { id: doc.data.id as string, name };
  };
  const ws1 = await newWorkspace();
  const ws2 = await newWorkspace();
  const addMember = async (wsId: string, userId: string, roleName: string) => {
    const doc: Doc = await call(app, adminAuth, 'POST', `/v2/workspaces/${wsId}/memberships`, {
      data: {
        type: 'membership',
        attributes: { role: roleName },
        relationships: { user: { data: { type: 'user', id: userId } } },
      },
    });
    return doc.data.id as string;
  };
  await addMember(ws1.id, wsOwner.actor.userId, 'owner');
  const memberMembershipWs1 = await addMember(ws1.id, member.actor.userId, roleName);
  await addMember(ws2.id, member.actor.userId, 'viewer');

  const oauth2 = {
    name: marker('client'),
    clientId: marker('client-id'),
    clientSecret: marker('client-secret'),
    // Loopback discard port: a refresh that got through by mistake fails at once (502), no DNS wait.
    tokenUrl: `http://127.0.0.1:9/${marker('token')}`,
  };
  const oauth2Doc: Doc = await call(app, adminAuth, 'POST', `/v2/tenants/${tenantId}/auth-clients`, {
    data: {
      type: 'auth-client',
      attributes: {
        name: oauth2.name,
        auth_type: 'oauth2',
        oauth2: {
          client_id: oauth2.clientId,
          client_secret: oauth2.clientSecret,
          token_url: oauth2.tokenUrl,
        },
      },
    },
  });
  const otherName = marker('client');
  const otherDoc: Doc = await call(app, adminAuth, 'POST', `/v2/tenants/${tenantId}/auth-clients`, {
    data: { type: 'auth-client', attributes: { name: otherName, auth_type: 'other' } },
  });
  const clients = {
    oauth2: { id: oauth2Doc.data.id as string, ...oauth2 },
    other: { id: otherDoc.data.id as string, name: otherName },
  };

  const newSecret = async (wsId: string, clientId: string, credentials: Record<string, unknown>) => {
    const name = marker('secret');
    const doc: Doc = await call(app, adminAuth, 'POST', `/v2/workspaces/${wsId}/secrets`, {
      data: {
        type: 'auth-secret',
        attributes: { name, state: 'ready', credentials },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
      },
    });
    const values = JSON.stringify(credentials).match(/[a-z-]+-[0-9a-f]{24}/g) ?? [];
    return { id: doc.data.id as string, name, values };
  };
  const oauth2Credentials = () => ({
    access_token: marker('access'),
    refresh_token: marker('refresh'),
    expires_in: 3600,
  });
  const secrets = {
    ws1Oauth2: await newSecret(ws1.id, clients.oauth2.id, oauth2Credentials()),
    ws1Other: await newSecret(ws1.id, clients.other.id, {
      api_key: marker('api-key'),
      nested: { password: marker('password') },
    }),
    ws2: await newSecret(ws2.id, clients.oauth2.id, oauth2Credentials()),
  };

  const idsOf = async (path: string) =>
    ((await call(app, adminAuth, 'GET', `${path}?page[size]=200`)).data as { id: string }[]).map((r) => r.id);
  const memberships = {
    ws1: await idsOf(`/v2/workspaces/${ws1.id}/memberships`),
    ws2: await idsOf(`/v2/workspaces/${ws2.id}/memberships`),
  };
  const events = {
    ws1: await idsOf(`/v2/workspaces/${ws1.id}/audit-events`),
    ws2: await idsOf(`/v2/workspaces/${ws2.id}/audit-events`),
    tenant: await idsOf(`/v2/tenants/${tenantId}/audit-events`),
  };
  assert.ok(events.ws1.length > 0 && events.ws2.length > 0 && events.tenant.length > 0, 'audit events exist');

  const ws2Strings = [
    ws2.id,
    ws2.name,
    ...memberships.ws2.filter((id) => !memberships.ws1.includes(id)),
    secrets.ws2.id,
    secrets.ws2.name,
    ...secrets.ws2.values,
    ...events.ws2,
  ];
  const strings = [
    tenantId,
    tenant.name,
    admin.userId,
    admin.email,
    admin.apiKey,
    adminKeyId,
    ...wsOwner.strings,
    ...member.strings,
    outsider.userId,
    outsider.email,
    outsider.name,
    revoked.id,
    revoked.key,
    revoked.name,
    role.data.id,
    roleName,
    ws1.id,
    ws1.name,
    ...memberships.ws1,
    clients.oauth2.id,
    clients.oauth2.name,
    clients.oauth2.clientId,
    clients.oauth2.clientSecret,
    clients.oauth2.tokenUrl,
    clients.other.id,
    clients.other.name,
    ...[secrets.ws1Oauth2, secrets.ws1Other].flatMap((s) => [s.id, s.name, ...s.values]),
    ...events.ws1,
    ...events.tenant,
    ...ws2Strings,
  ];

  const byKind: Record<IdKind, string[]> = {
    tenant: [tenantId],
    workspace: [ws1.id, ws2.id],
    user: [admin.userId, wsOwner.actor.userId, member.actor.userId, outsider.userId],
    'auth-secret': [secrets.ws1Oauth2.id, secrets.ws1Other.id, secrets.ws2.id],
    'auth-client': [clients.oauth2.id, clients.other.id],
    role: [role.data.id],
    membership: [...new Set([...memberships.ws1, ...memberships.ws2])],
    'api-key': [adminKeyId, wsOwner.actor.apiKeyId, member.actor.apiKeyId, revoked.id],
    'workspace-audit-event': [...events.ws1, ...events.ws2],
    'tenant-audit-event': events.tenant,
    permission: [],
  };
  return {
    tenantId,
    tenantName: tenant.name,
    admin: { ...admin, apiKeyId: adminKeyId },
    wsOwner: wsOwner.actor,
    member: member.actor,
    outsider,
    revokedAuth: basicAuth(member.actor.email, revoked.key),
    revokedKeyId: revoked.id,
    ws1,
    ws2,
    memberships,
    memberMembershipWs1,
    role: { id: role.data.id, name: roleName },
    clients,
    secrets,
    events,
    strings: [...new Set(strings)],
    ws2Strings,
    ids: (kind) => byKind[kind],
  };
}

/** The tenant's own id for each kind of path parameter: a request made of these is valid. */
export function baselineIds(fx: TenantFixture): Record<IdKind, string> {
  return {
    tenant: fx.tenantId,
    workspace: fx.ws1.id,
    user: fx.member.userId,
    'auth-secret': fx.secrets.ws1Oauth2.id,
    'auth-client': fx.clients.oauth2.id,
    role: fx.role.id,
    membership: fx.memberMembershipWs1,
    'api-key': fx.member.apiKeyId,
    'workspace-audit-event': fx.events.ws1[0] as string,
    'tenant-audit-event': fx.events.tenant[0] as string,
    permission: 'workspaces.workspace.get',
  };
}

/**
 * A valid request body for a body schema ($id), addressed to the resource the path `params` name
 * (PATCH documents carry its id), or undefined for a schema nobody has described here yet.
 * `fresh` makes new names and emails (name conflicts would otherwise answer 409).
 */
export function validBody(
  schemaId: string,
  params: Record<string, string>,
  fx: TenantFixture,
  fresh: (kind: string) => string = marker,
): Record<string, unknown> | undefined {
  const resource = (
    type: string,
    attributes: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) => ({
    data: { type, ...extra, attributes },
  });
  switch (schemaId) {
    case 'user-create':
      return resource('user', {
        email: `${fresh('user')}@example.test`,
        name: fresh('name'),
        tenant_role: 'member',
      });
    case 'api-key-create':
      return resource('api-key', { name: fresh('key'), scopes: ['workspaces.workspace.get'] });
    case 'workspace-create':
      return resource('workspace', { name: fresh('ws') });
    case 'workspace-update':
      return resource('workspace', { name: fresh('ws') }, { id: params.workspace });
    case 'membership-create':
      return {
        data: {
          type: 'membership',
          attributes: { role: 'viewer' },
          relationships: { user: { data: { type: 'user', id: fx.outsider.userId } } },
        },
      };
    case 'membership-update':
      return resource('membership', { role: 'viewer' }, { id: params.id });
    case 'role-create':
      return resource('role', { name: fresh('role'), permissions: ['workspaces.workspace.get'] });
    case 'role-update':
      return resource('role', { name: fresh('role') }, { id: params.id });
    case 'auth-client-create':
      return resource('auth-client', {
        name: fresh('client'),
        auth_type: 'oauth2',
        oauth2: {
          client_id: fresh('client-id'),
          client_secret: fresh('client-secret'),
          token_url: 'https://auth.example.test/oauth/token',
          scopes: ['read'],
          auth_method: 'client_secret_post',
        },
      });
    case 'auth-client-update':
      return resource('auth-client', { name: fresh('client') }, { id: params.id });
    case 'auth-secret-create':
      return {
        data: {
          type: 'auth-secret',
          attributes: {
            name: fresh('secret'),
            state: 'ready',
            credentials: { access_token: fresh('access'), refresh_token: fresh('refresh'), expires_in: 3600 },
          },
          relationships: { 'auth-client': { data: { type: 'auth-client', id: fx.clients.oauth2.id } } },
        },
      };
    case 'auth-secret-update':
      return resource('auth-secret', { name: fresh('secret') }, { id: params.id });
    case 'authcheck':
      return { meta: { checks: { k: { permission: 'workspaces.auth_secret.get', workspace: fx.ws1.id } } } };
    default:
      return undefined;
  }
}
