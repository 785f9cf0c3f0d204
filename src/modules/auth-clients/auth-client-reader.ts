// The one read model of auth-clients: every module that reads auth_clients (their own routes, the
// auth-secrets that name one, the refresher that calls its token URL) goes through here, and every
// read is scoped to the tenant. Writes stay in auth-client-service.ts.

import { isUuid } from '../../db/uuid7.js';
import type { AuthClient, AuthType, Prisma, PrismaClient } from '../../generated/prisma/client.js';

/** What the refresher needs of a client to call its token endpoint. */
export type RefreshClient = Pick<
  AuthClient,
  | 'id'
  | 'tenantId'
  | 'authType'
  | 'tokenUrl'
  | 'clientId'
  | 'clientSecretSealed'
  | 'authMethod'
  | 'grantType'
  | 'scopes'
  | 'tokenParams'
  | 'refreshParams'
  | 'defaultExpiresIn'
  | 'refreshMarginSeconds'
  | 'refreshEverySeconds'
  | 'revocationUrl'
>;

const REFRESH_CLIENT_SELECT = {
  id: true,
  tenantId: true,
  authType: true,
  tokenUrl: true,
  clientId: true,
  clientSecretSealed: true,
  authMethod: true,
  grantType: true,
  scopes: true,
  tokenParams: true,
  refreshParams: true,
  defaultExpiresIn: true,
  refreshMarginSeconds: true,
  refreshEverySeconds: true,
  revocationUrl: true,
} as const satisfies Record<keyof RefreshClient, true>;

/** What an auth-secret needs of its client: the type, the grant, and the schema its credentials must fit. */
export type SecretClient = Pick<AuthClient, 'id' | 'authType' | 'grantType' | 'credentialsSchema'>;

export interface AuthClientPageQuery {
  authType?: AuthType | undefined;
  name?: string | undefined;
  /** Rows after this id (keyset pagination). */
  afterId?: string | undefined;
  limit: number;
}

/**
 * `db` is the Prisma client, or a transaction's client when the read must see (and be ordered
 * with) that transaction's writes, as an auth-secret update that moves to another client does.
 */
export function authClientReader(db: Prisma.TransactionClient | PrismaClient) {
  return {
    /** The client if it is in this tenant. */
    async find(tenantId: string, id: string): Promise<AuthClient | null> {
      return isUuid(id) ? db.authClient.findFirst({ where: { id, tenantId } }) : null;
    },

    /**
     * Its id, type, grant and credentials schema if it is in this tenant (what an auth-secret naming it
     * needs to check its credentials).
     */
    async typeOf(tenantId: string, id: string): Promise<SecretClient | null> {
      return isUuid(id)
        ? db.authClient.findFirst({
            where: { id, tenantId },
            select: { id: true, authType: true, grantType: true, credentialsSchema: true },
          })
        : null;
    },

    /** One page of the tenant's clients in id order. */
    page(tenantId: string, q: AuthClientPageQuery): Promise<AuthClient[]> {
      return db.authClient.findMany({
        where: {
          tenantId,
          ...(q.authType ? { authType: q.authType } : {}),
          ...(q.name ? { name: q.name } : {}),
          ...(q.afterId ? { id: { gt: q.afterId } } : {}),
        },
        orderBy: { id: 'asc' },
        take: q.limit,
      });
    },

    /** The tenant's clients among `ids` (the `include` of an auth-secret page). */
    many(tenantId: string, ids: string[]): Promise<AuthClient[]> {
      return ids.length > 0
        ? db.authClient.findMany({ where: { tenantId, id: { in: ids } } })
        : Promise.resolve([]);
    },

    /** The fields of a token request (the client secret still sealed). */
    forRefresh(tenantId: string, id: string): Promise<RefreshClient | null> {
      return db.authClient.findFirst({ where: { id, tenantId }, select: REFRESH_CLIENT_SELECT });
    },

    /**
     * Of the clients `refs` name (each within its own tenant), those that have a revocation_url,
     * with the fields of a token request: what revoking a purged secret's tokens needs.
     */
    async withRevocationUrl(refs: readonly { tenantId: string; id: string }[]): Promise<RefreshClient[]> {
      if (refs.length === 0) return [];
      return db.authClient.findMany({
        where: { revocationUrl: { not: null }, OR: refs.map(({ tenantId, id }) => ({ tenantId, id })) },
        select: REFRESH_CLIENT_SELECT,
      });
    },
  };
}

export type AuthClientReader = ReturnType<typeof authClientReader>;
