// Creates auth-clients and oauth2 auth-secrets straight in the database, sealed exactly as the API
// seals them (the auth-secrets module's helpers), for tests that need many secrets quickly.
import type { KeyRing } from '../../../src/crypto/key-ring.js';
import { randomUUID7 } from '../../../src/db/uuid7.js';
import type { PrismaClient } from '../../../src/generated/prisma/client.js';
import { sealClientSecret } from '../../../src/modules/auth-clients/client-secret.js';
import { sealCredentials } from '../../../src/modules/auth-secrets/credentials.js';
import { type Actor, createTenant, createWorkspace, uniqueName } from '../../support/factories.js';
import type { OAuthTestServer } from '../../support/oauth-server.js';

export interface SeededTenant {
  tenantId: string;
  admin: Actor;
  workspaceId: string;
  authClientId: string;
}

export async function seedTenant(
  prisma: PrismaClient,
  keyRing: KeyRing,
  provider: OAuthTestServer,
  authMethod: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic',
): Promise<SeededTenant> {
  const { tenantId, admin } = await createTenant(prisma);
  const workspaceId = await createWorkspace(prisma, tenantId, admin.userId);
  const id = randomUUID7();
  await prisma.authClient.create({
    data: {
      id,
      tenantId,
      name: uniqueName('client'),
      authType: 'oauth2',
      clientId: provider.clientId,
      clientSecretSealed: sealClientSecret(keyRing, { id, tenantId }, provider.clientSecret),
      tokenUrl: provider.tokenUrl,
      scopes: [],
      authMethod,
    },
  });
  return { tenantId, admin, workspaceId, authClientId: id };
}

export interface SeededSecret {
  id: string;
  accessToken: string;
  refreshToken: string;
}

/** `count` oauth2 secrets with fresh grants from `provider`, expiring in `expiresInSeconds`. */
export async function seedSecrets(
  prisma: PrismaClient,
  keyRing: KeyRing,
  provider: OAuthTestServer,
  t: SeededTenant,
  count: number,
  expiresInSeconds: number,
): Promise<SeededSecret[]> {
  const rows = [];
  const seeded: SeededSecret[] = [];
  const expiresAt = new Date(Date.now() + expiresInSeconds * 1000);
  for (let i = 0; i < count; i += 1) {
    const grant = provider.grant();
    const ids = { id: randomUUID7(), tenantId: t.tenantId, workspaceId: t.workspaceId };
    rows.push({
      ...ids,
      userId: t.admin.userId,
      authClientId: t.authClientId,
      authType: 'oauth2' as const,
      name: uniqueName('secret'),
      state: 'ready' as const,
      credentialsSealed: sealCredentials(keyRing, ids, {
        access_token: grant.accessToken,
        refresh_token: grant.refreshToken,
      }),
      expiresAt,
    });
    seeded.push({ id: ids.id, ...grant });
  }
  for (let i = 0; i < rows.length; i += 200)
    await prisma.authSecret.createMany({ data: rows.slice(i, i + 200) });
  return seeded;
}
