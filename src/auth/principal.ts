import type { TenantRole } from '../generated/prisma/enums.js';

/** The authenticated caller: a user acting through one API key. */
export interface Principal {
  userId: string;
  email: string;
  tenantId: string;
  tenantRole: TenantRole;
  apiKeyId: string;
  /** null: the key is not restricted; otherwise the only permissions it may use. */
  scopes: ReadonlySet<string> | null;
}
