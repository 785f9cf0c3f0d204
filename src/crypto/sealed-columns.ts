/**
 * The sealed columns rotate-keys walks, behind one small interface so the paging and retry logic
 * in rotate-keys.ts is written once for every table. Each adapter builds the row's AAD with the
 * same builders the API uses (aad.ts) and writes back only if the row is unchanged.
 */
import type { PrismaClient } from '../generated/prisma/client.js';
import { authClientAad, authSecretAad, authSecretVersionAad, connectSessionAad, webhookAad } from './aad.js';

export type RotationTable =
  | 'auth_secrets'
  | 'auth_secret_versions'
  | 'auth_clients'
  | 'webhooks'
  | 'connect_sessions';

/** Structural, so a transaction client works too. */
export type SealedColumnsPrisma = Pick<
  PrismaClient,
  'authSecret' | 'authSecretVersion' | 'authClient' | 'webhook' | 'connectSession'
>;

type Bytes = Uint8Array<ArrayBuffer>; // what Prisma 7 returns and accepts for Bytes columns

export interface SealedRow {
  id: string;
  aad: string;
  sealed: Bytes;
  updatedAt: Date;
}

export interface SealedColumn {
  table: RotationTable;
  /** Up to `take` rows with a sealed value and id > afterId, in id order (keyset pagination). */
  page(afterId: string | undefined, take: number): Promise<SealedRow[]>;
  /** The row's current state, or undefined if it is gone or no longer has a sealed value. */
  reload(id: string): Promise<SealedRow | undefined>;
  /** Writes `sealed` only if the row is unchanged since `row` was read; true if it did. */
  replace(row: SealedRow, sealed: Bytes): Promise<boolean>;
}

export function authSecretColumn(prisma: SealedColumnsPrisma): SealedColumn {
  const select = {
    id: true,
    tenantId: true,
    workspaceId: true,
    credentialsSealed: true,
    updatedAt: true,
  } as const;
  type Row = { id: string; tenantId: string; workspaceId: string; credentialsSealed: Bytes; updatedAt: Date };
  const toSealed = (r: Row): SealedRow => ({
    id: r.id,
    aad: authSecretAad(r),
    sealed: r.credentialsSealed,
    updatedAt: r.updatedAt,
  });
  return {
    table: 'auth_secrets',
    async page(afterId, take) {
      const rows = await prisma.authSecret.findMany({
        where: afterId === undefined ? {} : { id: { gt: afterId } },
        orderBy: { id: 'asc' },
        take,
        select,
      });
      return rows.map(toSealed);
    },
    async reload(id) {
      const r = await prisma.authSecret.findUnique({ where: { id }, select });
      return r ? toSealed(r) : undefined;
    },
    async replace(row, sealed) {
      // updatedAt is kept: re-encryption does not change the secret, so clients should not see
      // it as modified; matching on it means we never roll back a concurrent update's value.
      // Matching on the sealed bytes we read means we never write back credentials a concurrent
      // PATCH or refresh replaced (a refresh's new tokens stay; we re-read and re-seal those).
      // credentials_version is left alone: the plaintext is the same, so a refresh whose provider
      // call is running still stores its tokens (its write is conditional on that column only).
      const { count } = await prisma.authSecret.updateMany({
        where: { id: row.id, credentialsSealed: { equals: row.sealed }, updatedAt: row.updatedAt },
        data: { credentialsSealed: sealed, updatedAt: row.updatedAt },
      });
      return count === 1;
    },
  };
}

/**
 * Versions of auth-secret credentials (API.md §9.1). Their key is (auth_secret_id, number); the
 * SealedRow id is "{auth_secret_id}:{number}", which sorts like the key for keyset paging because
 * every secret id has the same length. Versions are never changed after they are written, so
 * `updatedAt` is their created_at and a write back only needs the sealed bytes to be unchanged.
 */
export function authSecretVersionColumn(prisma: SealedColumnsPrisma): SealedColumn {
  const select = {
    authSecretId: true,
    number: true,
    credentialsSealed: true,
    createdAt: true,
    authSecret: { select: { tenantId: true, workspaceId: true } },
  } as const;
  type Row = {
    authSecretId: string;
    number: number;
    credentialsSealed: Bytes;
    createdAt: Date;
    authSecret: { tenantId: string; workspaceId: string };
  };
  const toSealed = (r: Row): SealedRow => ({
    id: `${r.authSecretId}:${r.number}`,
    aad: authSecretVersionAad({ ...r.authSecret, id: r.authSecretId }, r.number),
    sealed: r.credentialsSealed,
    updatedAt: r.createdAt,
  });
  const keyOf = (id: string) => {
    const [authSecretId = '', number = '0'] = id.split(':');
    return { authSecretId, number: Number(number) };
  };
  return {
    table: 'auth_secret_versions',
    async page(afterId, take) {
      const after = afterId === undefined ? undefined : keyOf(afterId);
      const rows = await prisma.authSecretVersion.findMany({
        where: after
          ? {
              OR: [
                { authSecretId: { gt: after.authSecretId } },
                { authSecretId: after.authSecretId, number: { gt: after.number } },
              ],
            }
          : {},
        orderBy: [{ authSecretId: 'asc' }, { number: 'asc' }],
        take,
        select,
      });
      return rows.map(toSealed);
    },
    async reload(id) {
      const r = await prisma.authSecretVersion.findUnique({
        where: { authSecretId_number: keyOf(id) },
        select,
      });
      return r ? toSealed(r) : undefined;
    },
    async replace(row, sealed) {
      const { count } = await prisma.authSecretVersion.updateMany({
        where: { ...keyOf(row.id), credentialsSealed: { equals: row.sealed } },
        data: { credentialsSealed: sealed },
      });
      return count === 1;
    },
  };
}

export function authClientColumn(prisma: SealedColumnsPrisma): SealedColumn {
  const select = { id: true, tenantId: true, clientSecretSealed: true, updatedAt: true } as const;
  type Row = { id: string; tenantId: string; clientSecretSealed: Bytes | null; updatedAt: Date };
  // `other` clients have no secret; a secret removed meanwhile reads as a deleted row.
  const toSealed = (r: Row): SealedRow | undefined =>
    r.clientSecretSealed
      ? { id: r.id, aad: authClientAad(r), sealed: r.clientSecretSealed, updatedAt: r.updatedAt }
      : undefined;
  return {
    table: 'auth_clients',
    async page(afterId, take) {
      const rows = await prisma.authClient.findMany({
        where: {
          clientSecretSealed: { not: null },
          ...(afterId === undefined ? {} : { id: { gt: afterId } }),
        },
        orderBy: { id: 'asc' },
        take,
        select,
      });
      return rows.flatMap((r) => toSealed(r) ?? []);
    },
    async reload(id) {
      const r = await prisma.authClient.findUnique({ where: { id }, select });
      return r ? toSealed(r) : undefined;
    },
    async replace(row, sealed) {
      const { count } = await prisma.authClient.updateMany({
        where: { id: row.id, clientSecretSealed: { equals: row.sealed }, updatedAt: row.updatedAt },
        data: { clientSecretSealed: sealed, updatedAt: row.updatedAt },
      });
      return count === 1;
    },
  };
}

/**
 * Webhook signing secrets (API.md §11). `POST …/rotate-secret` replaces the value (and updated_at):
 * matching on both means a re-seal never writes back a secret the API just replaced.
 */
export function webhookColumn(prisma: SealedColumnsPrisma): SealedColumn {
  const select = { id: true, tenantId: true, secretSealed: true, updatedAt: true } as const;
  type Row = { id: string; tenantId: string; secretSealed: Bytes; updatedAt: Date };
  const toSealed = (r: Row): SealedRow => ({
    id: r.id,
    aad: webhookAad(r),
    sealed: r.secretSealed,
    updatedAt: r.updatedAt,
  });
  return {
    table: 'webhooks',
    async page(afterId, take) {
      const rows = await prisma.webhook.findMany({
        where: afterId === undefined ? {} : { id: { gt: afterId } },
        orderBy: { id: 'asc' },
        take,
        select,
      });
      return rows.map(toSealed);
    },
    async reload(id) {
      const r = await prisma.webhook.findUnique({ where: { id }, select });
      return r ? toSealed(r) : undefined;
    },
    async replace(row, sealed) {
      // updated_at is kept: a re-seal changes nothing a client sees.
      const { count } = await prisma.webhook.updateMany({
        where: { id: row.id, secretSealed: { equals: row.sealed }, updatedAt: row.updatedAt },
        data: { secretSealed: sealed, updatedAt: row.updatedAt },
      });
      return count === 1;
    },
  };
}

/**
 * PKCE verifiers of connect sessions (API.md §10.2). Every session is re-sealed, finished ones too:
 * after the rotation the old key may go, and no stored value may then stop opening. The verifier
 * never changes; the callback's claim moves updated_at, so a re-seal racing it re-reads and retries.
 */
export function connectSessionColumn(prisma: SealedColumnsPrisma): SealedColumn {
  const select = {
    id: true,
    tenantId: true,
    workspaceId: true,
    codeVerifierSealed: true,
    updatedAt: true,
  } as const;
  type Row = {
    id: string;
    tenantId: string;
    workspaceId: string;
    codeVerifierSealed: Bytes;
    updatedAt: Date;
  };
  const toSealed = (r: Row): SealedRow => ({
    id: r.id,
    aad: connectSessionAad(r),
    sealed: r.codeVerifierSealed,
    updatedAt: r.updatedAt,
  });
  return {
    table: 'connect_sessions',
    async page(afterId, take) {
      const rows = await prisma.connectSession.findMany({
        where: afterId === undefined ? {} : { id: { gt: afterId } },
        orderBy: { id: 'asc' },
        take,
        select,
      });
      return rows.map(toSealed);
    },
    async reload(id) {
      const r = await prisma.connectSession.findUnique({ where: { id }, select });
      return r ? toSealed(r) : undefined;
    },
    async replace(row, sealed) {
      const { count } = await prisma.connectSession.updateMany({
        where: { id: row.id, codeVerifierSealed: { equals: row.sealed }, updatedAt: row.updatedAt },
        data: { codeVerifierSealed: sealed, updatedAt: row.updatedAt },
      });
      return count === 1;
    },
  };
}
