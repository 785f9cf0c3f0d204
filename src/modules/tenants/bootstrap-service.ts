// Creates a tenant, its first admin and an API key in one transaction (API.md §2 "Bootstrap").
// Used by the admin command line and by test factories.
import { generateApiKey } from '../../auth/api-key-token.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';
import { randomUUID7 } from '../../db/uuid7.js';
import type { PrismaClient } from '../../generated/prisma/client.js';

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

export interface BootstrapResult {
  tenant_id: string;
  user_id: string;
  email: string;
  api_key: string;
}

export async function bootstrapTenant(
  prisma: PrismaClient,
  input: { tenant: string; email: string; name?: string; tenantRole?: 'admin' | 'member' },
): Promise<BootstrapResult> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320)
    throw new BootstrapError(`Invalid email: ${input.email}`);
  const tenantName = input.tenant.trim();
  if (tenantName.length === 0 || tenantName.length > 200)
    throw new BootstrapError('The tenant name must be 1 to 200 characters.');
  const keyId = randomUUID7();
  const { token, secretHash } = generateApiKey(keyId);
  try {
    return await prisma.$transaction(async (tx) => {
      if (await tx.tenant.findUnique({ where: { name: tenantName } })) {
        throw new BootstrapError(`A tenant named "${tenantName}" already exists; nothing was changed.`);
      }
      const tenant = await tx.tenant.create({ data: { name: tenantName } });
      const user = await tx.user.create({
        data: {
          tenantId: tenant.id,
          email,
          name: input.name ?? email.split('@')[0] ?? email,
          tenantRole: input.tenantRole ?? 'admin',
        },
      });
      await tx.apiKey.create({
        data: {
          id: keyId,
          userId: user.id,
          tenantId: tenant.id,
          name: 'bootstrap',
          secretHash: new Uint8Array(secretHash),
          scopes: [],
        },
      });
      return { tenant_id: tenant.id, user_id: user.id, email: user.email, api_key: token };
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new BootstrapError('That tenant name or email is already taken; nothing was changed.');
    }
    throw err;
  }
}
