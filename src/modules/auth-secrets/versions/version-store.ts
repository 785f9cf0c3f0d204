// The one place that speaks SQL for auth_secret_versions (API.md §9.1). A version's number is the
// secret's credentials_version after the write that made it, so versions are written exactly where
// credentials_version moves, in that write's transaction (auth-secret-store.ts, auth-secret-service.ts,
// auth-secret-update.ts, version-service.ts). Versions are never read on the GET hot path.
import type { AuthSecretVersion, AuthType, Prisma, VersionCause } from '../../../generated/prisma/client.js';

export type VersionRow = AuthSecretVersion;

export interface NewVersion {
  secret: { id: string; tenantId: string; workspaceId: string };
  number: number;
  cause: VersionCause;
  /** Who caused it; null for the refresh worker. */
  userId: string | null;
  authType: AuthType;
  /** Sealed for (secret, number): version-credentials.ts. */
  credentialsSealed: Uint8Array<ArrayBuffer>;
  expiresAt: Date | null;
  createdAt?: Date;
}

type Db = Pick<Prisma.TransactionClient, 'authSecretVersion'>;

/** Writes a version and deletes those that fall out of the newest `kept`. */
export async function recordVersion(tx: Db, version: NewVersion, kept: number): Promise<void> {
  await tx.authSecretVersion.create({
    data: {
      authSecretId: version.secret.id,
      number: version.number,
      cause: version.cause,
      userId: version.userId,
      authType: version.authType,
      credentialsSealed: version.credentialsSealed,
      expiresAt: version.expiresAt,
      ...(version.createdAt ? { createdAt: version.createdAt } : {}),
    },
  });
  await tx.authSecretVersion.deleteMany({
    where: { authSecretId: version.secret.id, number: { lte: version.number - kept } },
  });
}

/** Reads of one secret's versions; the caller has already found the secret in its workspace. */
export function versionReader(db: Db) {
  return {
    /** Newest first; `before`: numbers below this one (keyset pagination). */
    page(authSecretId: string, before: number | undefined, limit: number): Promise<VersionRow[]> {
      return db.authSecretVersion.findMany({
        where: { authSecretId, ...(before === undefined ? {} : { number: { lt: before } }) },
        orderBy: { number: 'desc' },
        take: limit,
      });
    },
    find(authSecretId: string, number: number): Promise<VersionRow | null> {
      return db.authSecretVersion.findUnique({ where: { authSecretId_number: { authSecretId, number } } });
    },
  };
}
