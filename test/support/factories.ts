// Test factories: every test creates its own tenant, so tests never truncate and never see
// each other's data (the Outline pattern).
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '../../src/auth/api-key-token.js';
import { randomUUID7 } from '../../src/db/uuid7.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { bootstrapTenant } from '../../src/modules/tenants/bootstrap-service.js';
import { BUILT_IN_ROLES } from '../../src/permissions/permission-catalogue.js';

export interface Actor {
  userId: string;
  email: string;
  apiKey: string;
  /** Value for the Authorization header (Basic EMAIL:API_KEY). */
  auth: string;
}

const basic = (email: string, key: string) => `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;
export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;

export async function createTenant(prisma: PrismaClient): Promise<{ tenantId: string; admin: Actor }> {
  const email = `${uniqueName('admin')}@example.test`;
  const r = await bootstrapTenant(prisma, { tenant: uniqueName('tenant'), email });
  return {
    tenantId: r.tenant_id,
    admin: { userId: r.user_id, email, apiKey: r.api_key, auth: basic(email, r.api_key) },
  };
}

export async function createApiKey(prisma: PrismaClient, userId: string, scopes?: string[]): Promise<string> {
  const id = randomUUID7();
  const { token, secretHash } = generateApiKey(id);
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  await prisma.apiKey.create({
    data: {
      id,
      userId,
      tenantId: user.tenantId,
      name: 'test',
      secretHash: new Uint8Array(secretHash),
      scopes: scopes ?? [],
      scoped: scopes !== undefined,
    },
  });
  return token;
}

export async function createUser(
  prisma: PrismaClient,
  tenantId: string,
  tenantRole: 'admin' | 'member' = 'member',
  scopes?: string[],
): Promise<Actor> {
  const email = `${uniqueName('user')}@example.test`;
  const user = await prisma.user.create({ data: { tenantId, email, name: 'Test user', tenantRole } });
  const apiKey = await createApiKey(prisma, user.id, scopes);
  return { userId: user.id, email, apiKey, auth: basic(email, apiKey) };
}

export async function createWorkspace(
  prisma: PrismaClient,
  tenantId: string,
  ownerId: string,
): Promise<string> {
  const ws = await prisma.workspace.create({ data: { tenantId, name: uniqueName('ws') } });
  await addMember(prisma, ws.id, ownerId, 'owner');
  return ws.id;
}

export async function addMember(
  prisma: PrismaClient,
  workspaceId: string,
  userId: string,
  roleName: string,
): Promise<string> {
  const ws = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const builtIn = BUILT_IN_ROLES.find((r) => r.name === roleName);
  const roleId =
    builtIn?.id ??
    (await prisma.role.findFirstOrThrow({ where: { tenantId: ws.tenantId, name: roleName } })).id;
  const m = await prisma.membership.create({ data: { tenantId: ws.tenantId, workspaceId, userId, roleId } });
  return m.id;
}
