// Shared fixtures for the tenancy and HTTP tests: one tenant with a cast of actors (API.md §2),
// a second tenant, and helpers to send JSON:API requests and count a tenant's rows.
import type { Express } from 'express';
import request from 'supertest';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import {
  type Actor,
  addMember,
  createApiKey,
  createTenant,
  createUser,
  createWorkspace,
} from '../support/factories.js';

export const ACTORS = [
  'admin',
  'member',
  'owner',
  'editor',
  'connector',
  'viewer',
  'nonMember',
  'otherTenant',
  'scopedKey',
] as const;
export type ActorName = (typeof ACTORS)[number];

/** The scopes of the `scopedKey` actor: a tenant admin's key restricted to reading workspaces. */
export const SCOPED_KEY_SCOPES = ['workspaces.workspace.get'];

export interface World {
  tenantId: string;
  otherTenantId: string;
  /**
   * admin: tenant admin, no memberships. member: tenant member, no memberships.
   * owner/editor/connector/viewer: tenant members with that role in `workspaceId`.
   * nonMember: tenant member who owns another workspace but is not in `workspaceId`.
   * otherTenant: the admin of another tenant. scopedKey: the tenant admin through a key
   * with SCOPED_KEY_SCOPES.
   */
  actors: Record<ActorName, Actor>;
  /** A tenant member the cases act upon as "another user". */
  subject: Actor;
  workspaceId: string;
  /** The subject's (viewer) membership in `workspaceId`. */
  subjectMembershipId: string;
}

export const basicAuth = (email: string, key: string) =>
  `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;

export async function createWorld(prisma: PrismaClient): Promise<World> {
  const { tenantId, admin } = await createTenant(prisma);
  const other = await createTenant(prisma);
  const [member, owner, editor, connector, viewer, nonMember, subject] = await Promise.all(
    Array.from({ length: 7 }, () => createUser(prisma, tenantId, 'member')),
  );
  const scopedToken = await createApiKey(prisma, admin.userId, SCOPED_KEY_SCOPES);
  const actors = {
    admin,
    member,
    owner,
    editor,
    connector,
    viewer,
    nonMember,
    otherTenant: other.admin,
    scopedKey: { ...admin, apiKey: scopedToken, auth: basicAuth(admin.email, scopedToken) },
  } as Record<ActorName, Actor>;
  const world = { tenantId, otherTenantId: other.tenantId, actors, subject } as World;
  await createWorkspace(prisma, tenantId, (nonMember as Actor).userId);
  const ws = await populatedWorkspace(prisma, world);
  world.workspaceId = ws.workspaceId;
  world.subjectMembershipId = ws.subjectMembershipId;
  return world;
}

/** A fresh workspace with the world's owner, editor, connector and viewer, and the subject as viewer. */
export async function populatedWorkspace(
  prisma: PrismaClient,
  world: Pick<World, 'tenantId' | 'actors' | 'subject'>,
): Promise<{ workspaceId: string; subjectMembershipId: string }> {
  const { owner, editor, connector, viewer } = world.actors;
  const workspaceId = await createWorkspace(prisma, world.tenantId, owner.userId);
  await addMember(prisma, workspaceId, editor.userId, 'editor');
  await addMember(prisma, workspaceId, connector.userId, 'connector');
  await addMember(prisma, workspaceId, viewer.userId, 'viewer');
  const subjectMembershipId = await addMember(prisma, workspaceId, world.subject.userId, 'viewer');
  return { workspaceId, subjectMembershipId };
}

/** The parts of a JSON:API resource object these tests read from response bodies. */
export interface ResourceObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  relationships?: Record<
    string,
    { data?: { type: string; id: string } | null; links?: { related?: string } }
  >;
  links?: { self?: string };
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: Method;
  path: string;
  /** Sent as JSON with Content-Type application/vnd.api+json; a string is sent verbatim. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Sends one request through supertest; `auth` is an Authorization header value or undefined. */
export function send(app: Express, auth: string | undefined, r: ApiRequest) {
  const agent = request(app);
  let test =
    r.method === 'GET'
      ? agent.get(r.path)
      : r.method === 'POST'
        ? agent.post(r.path)
        : r.method === 'PATCH'
          ? agent.patch(r.path)
          : agent.delete(r.path);
  if (auth !== undefined) test = test.set('Authorization', auth);
  for (const [k, v] of Object.entries(r.headers ?? {})) test = test.set(k, v);
  if (r.body !== undefined) {
    test = test
      .set('Content-Type', r.contentType ?? 'application/vnd.api+json')
      .send(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  }
  return test;
}

/**
 * Everything a tenant owns that §2 routes can change, with update times, so a test can assert
 * that a rejected request changed nothing (no row added, removed or updated).
 */
export async function tenantSnapshot(prisma: PrismaClient, tenantId: string) {
  const where = { tenantId };
  const orderBy = { id: 'asc' } as const;
  const [users, workspaces, memberships, roles, apiKeys] = await Promise.all([
    prisma.user.findMany({
      where,
      orderBy,
      select: { id: true, email: true, tenantRole: true, updatedAt: true },
    }),
    prisma.workspace.findMany({ where, orderBy, select: { id: true, name: true, updatedAt: true } }),
    prisma.membership.findMany({ where, orderBy, select: { id: true, roleId: true, updatedAt: true } }),
    prisma.role.findMany({
      where,
      orderBy,
      select: { id: true, name: true, permissions: true, updatedAt: true },
    }),
    prisma.apiKey.findMany({ where, orderBy, select: { id: true, revokedAt: true, updatedAt: true } }),
  ]);
  return {
    counts: {
      users: users.length,
      workspaces: workspaces.length,
      memberships: memberships.length,
      roles: roles.length,
      apiKeys: apiKeys.length,
    },
    rows: { users, workspaces, memberships, roles, apiKeys },
  };
}

/** Turns an absolute link from a response into a path supertest can request. */
export function pathOf(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}
